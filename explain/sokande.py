"""The explanation for the applicant: the same result in plain Swedish (klarspråk).

Short sentences, no codes and no formula names: what the household needs and why, what counts as
income, what is paid, what would change it, and what the applicant can do. It reads only the
result document, as every explanation does.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from explain._common import ROLE_SV, kr, period_sv, visible_entries

_OWN = frozenset({"avvikelser", "statistik"})


def applicant_view(result: Mapping[str, Any]) -> dict[str, Any]:
    costs = []
    for e in result.get("trace", []):
        for p in (e.get("detaljer") or {}).get("kostnader", []) or []:
            line = {"text": str(p["text"]).capitalize(), "belopp": kr(p["belopp"])}
            if "tak" in p and not p.get("godkand") and p.get("ansokt", 0) > p.get("belopp", 0):
                line["not"] = f"Du sökte {kr(p['ansokt'])}. Kommunen räknar högst {kr(p['tak'])} för den här kostnaden."
            costs.append(line)
    incomes = [
        {"text": str(e["namn"]), "belopp": kr(int(e["varde"])) if isinstance(e.get("varde"), int) else ""}
        for e in visible_entries(result, "inkomster")
        if e.get("person") is not None
    ]
    cf = result.get("kontrafaktiskt") or {}
    change = []
    zero = cf.get("inkomst_till_noll") or {}
    if zero.get("lon"):
        change.append(f"Om hushållet får {kr(zero['lon'])} mer i lön i månaden får ni inget försörjningsstöd.")
    if zero.get("ovrig") and zero.get("ovrig") != zero.get("lon"):
        change.append(f"Om hushållet får {kr(zero['ovrig'])} mer i andra inkomster får ni inget försörjningsstöd.")
    nxt = cf.get("nasta_manad") or {}
    if "forsorjningsstod" in nxt and nxt["forsorjningsstod"] != result["forsorjningsstod"]:
        change.append(
            f"Nästa månad ({period_sv(nxt['period'])}) blir det {kr(nxt['forsorjningsstod'])} om inget annat ändras."
        )
    return {
        "period": period_sv(str(result["period"])),
        "belopp": kr(result["forsorjningsstod"]),
        "far_stod": result["forsorjningsstod"] > 0,
        "riksnorm": kr(result["riksnorm"]),
        "kostnader": costs,
        "behov": kr(result["behov"]),
        "inkomster_summa": kr(result["inkomster"]),
        "inkomster": incomes,
        "overskott": kr(result.get("overskott", 0)) if result.get("overskott") else None,
        "personer": [
            f"{p['id']} ({ROLE_SV.get(str(p['roll']), p['roll'])}, {p['alder']} år)" for p in result.get("hushall", [])
        ],
        "kontrollera": any(d.get("allvarlighet") != "info" for d in result.get("avvikelser", [])),
        "andras": change,
    }
