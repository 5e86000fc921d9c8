"""A reproducible population of synthetic applications in the contract's shape.

The mix resembles a municipality's caseload: most applicants live alone, a fifth are single
parents, the rest couples with or without children; periods spread over the months asked for
(2025–2026 by default). The same seed always gives the same applications, so figures can be
compared between runs. Used by the benchmarks and by ``ekbist jamfor`` (the impact of a change).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

PERIODS = [f"{y}-{m:02d}" for y in (2025, 2026) for m in range(1, 13)]


def _born(rnd: random.Random, period: str, lo: int, hi: int) -> str:
    y, m = map(int, period.split("-"))
    first = date(y, m, 1)
    age = rnd.randint(lo, hi)
    return (
        (date(y - age - 1, m, 1) + timedelta(days=rnd.randint(1, 364))).isoformat()
        if age
        else (first - timedelta(days=rnd.randint(1, 300))).isoformat()
    )


def application(rnd: random.Random, periods: Sequence[str] = PERIODS) -> dict[str, Any]:
    period = rnd.choice(periods)
    kind = rnd.random()
    persons: list[dict[str, Any]] = [{"id": "s", "roll": "sokande", "fodd": _born(rnd, period, 20, 64)}]
    n_children = 0
    if kind >= 0.6:
        n_children = rnd.randint(1, 3)
    if kind >= 0.8:
        persons.append({"id": "m", "roll": "medsokande", "fodd": _born(rnd, period, 20, 64)})
        n_children = rnd.randint(0, 4)
    for i in range(n_children):
        c: dict[str, Any] = {"id": f"b{i}", "roll": "barn", "fodd": _born(rnd, period, 0, 17)}
        if rnd.random() < 0.3:
            c["lunch_utanfor_hemmet"] = True
        if rnd.random() < 0.1:
            c["boendeandel"] = 0.5
        persons.append(c)
    incomes = []
    for p in persons:
        if p["roll"] != "barn" and rnd.random() < 0.5:
            incomes.append(
                {
                    "person": p["id"],
                    "typ": rnd.choice(["lon", "a_kassa", "sjukpenning", "aktivitetsstod"]),
                    "belopp": rnd.randint(1000, 15000),
                }
            )
    if n_children:
        incomes.append({"person": "s", "typ": "barnbidrag", "belopp": 1250 * n_children})
    costs = [{"typ": "boende", "belopp": rnd.randint(3500, 12000)}]
    if rnd.random() < 0.5:
        costs.append({"typ": "hushallsel", "belopp": rnd.randint(200, 900)})
    if rnd.random() < 0.4:
        costs.append({"typ": "hemforsakring", "belopp": rnd.randint(80, 300)})
    app: dict[str, Any] = {"period": period, "hushall": persons, "inkomster": incomes, "kostnader": costs}
    if rnd.random() < 0.3:
        app["historik"] = {"manader_i_folj": rnd.randint(0, 40)}
    return app


def generate(n: int, seed: int = 2026, periods: Sequence[str] | None = None) -> list[dict[str, Any]]:
    rnd = random.Random(seed)
    chosen = list(periods or PERIODS)
    return [application(rnd, chosen) for _ in range(n)]
