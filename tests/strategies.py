"""Hypothesis strategies for valid applications in the contract's shape (2025–2026)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from hypothesis import strategies as st

from engine import COST_TYPES, INCOME_TYPES, Month
from engine._period import age_on

MONTHS = [str(Month.of(y, m)) for y in (2025, 2026) for m in range(1, 13)]
SHARES = [0.25, 0.3, 0.33, 0.47, 0.5, 0.75, 1]


@st.composite
def birth(draw: st.DrawFn, period: str, min_age: int, max_age: int) -> date:
    first = Month.parse(period).first_day
    age = draw(st.integers(min_age, max_age))
    offset = draw(st.integers(0, 364))
    born = date(first.year - age, first.month, 1) - timedelta(days=offset)
    if age == 0 and draw(st.booleans()):
        born = first + timedelta(days=draw(st.integers(0, 27)))  # born during the period month
    return born if age_on(born, first) <= max_age else date(first.year - max_age, first.month, 1)


@st.composite
def child(draw: st.DrawFn, period: str, pid: str) -> dict[str, Any]:
    born = draw(birth(period, 0, 20))
    age = age_on(born, Month.parse(period).first_day)
    p: dict[str, Any] = {"id": pid, "roll": "barn", "fodd": born.isoformat()}
    if age >= 18 or draw(st.booleans()):
        p["skolgang"] = age >= 18 or draw(st.booleans())
    if age <= 6 and draw(st.booleans()):
        p["lunch_utanfor_hemmet"] = True
    if draw(st.integers(0, 3)) == 0:
        p["boendeandel"] = draw(st.sampled_from(SHARES))
    return p


@st.composite
def history(draw: st.DrawFn, period: str) -> dict[str, Any]:
    h: dict[str, Any] = {"manader_i_folj": draw(st.integers(0, 60))}
    if draw(st.booleans()):
        h["jobbstimulans_start"] = str(Month.parse(period) - draw(st.integers(0, 48)))
    return h


@st.composite
def application(draw: st.DrawFn, max_children: int = 6) -> dict[str, Any]:
    period = draw(st.sampled_from(MONTHS))
    persons: list[dict[str, Any]] = [{"id": "s", "roll": "sokande", "fodd": draw(birth(period, 18, 80)).isoformat()}]
    if draw(st.booleans()):
        persons.append({"id": "m", "roll": "medsokande", "fodd": draw(birth(period, 18, 80)).isoformat()})
    for i in range(draw(st.integers(0, max_children))):
        persons.append(draw(child(period, f"b{i}")))
    for p in persons:
        if p["roll"] != "barn" and draw(st.integers(0, 3)) == 0:
            p["historik"] = draw(history(period))
    ids = [p["id"] for p in persons]
    children = {p["id"] for p in persons if p["roll"] == "barn"}
    incomes = []
    for _ in range(draw(st.integers(0, 6))):
        who = draw(st.sampled_from(ids))
        line: dict[str, Any] = {
            "person": who,
            "typ": draw(st.sampled_from(INCOME_TYPES)),
            "belopp": draw(st.integers(0, 40000)),
        }
        if line["typ"] == "lon" and who in children and draw(st.booleans()):
            line["hittills_i_ar"] = draw(st.integers(0, 80000))
        incomes.append(line)
    costs = [
        {"typ": draw(st.sampled_from(COST_TYPES)), "belopp": draw(st.integers(0, 20000))}
        for _ in range(draw(st.integers(0, 6)))
    ]
    app: dict[str, Any] = {"period": period, "hushall": persons, "inkomster": incomes, "kostnader": costs}
    if draw(st.integers(0, 4)) == 0:
        app["gemensamt_hushall_antal"] = len(persons) + draw(st.integers(0, 6))
    if draw(st.booleans()):
        app["historik"] = draw(history(period))
    return app
