"""The caseworker's försörjningshinder codes: checked against the list in force, compared with the suggestion."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import engine
from engine import Problem


def check_codes(
    bundle: engine.RuleBundle, ansokan: Mapping[str, Any], codes: Mapping[str, str], where: str
) -> list[Problem]:
    """Problems with ``codes`` (adult id → code) for the application: unknown persons, children,
    codes not in the list in force for the month the aid is for. Each problem names the person."""
    statistik = bundle.statistik
    period = engine.Month.parse(str(ansokan["period"]))
    known = statistik.codes_on(period.first_day) if statistik is not None else {}
    adults = {str(p.get("id")): str(p.get("roll")) for p in ansokan.get("hushall") or [] if isinstance(p, Mapping)}
    problems: list[Problem] = []
    for pid, code in codes.items():
        path = f"{where}.{pid}"
        if pid not in adults:
            problems.append(Problem(path, f"'{pid[:64]}' finns inte i ansökans hushall"))
        elif adults[pid] == "barn":
            problems.append(Problem(path, "försörjningshinder anges för vuxna (sökande och medsökande), inte för barn"))
        elif code not in known:
            shown = ", ".join(sorted(known)) or "ingen lista gäller"
            problems.append(Problem(path, f"okänd kod {code[:8]!r} för {period}; koder som gäller: {shown}"))
    return problems


def with_suggestion(codes: Mapping[str, str], suggested: Mapping[str, Any]) -> dict[str, Any]:
    """What is stored beside the chosen codes: each adult's suggestion and whether the choice matched it."""
    return {
        pid: {
            "forslag": (suggested.get(pid) or {}).get("kod"),
            "som_forslaget": code == (suggested.get(pid) or {}).get("kod"),
        }
        for pid, code in codes.items()
    }
