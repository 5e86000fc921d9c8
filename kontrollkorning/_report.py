"""The control run's report: per case, per deviation code, the cases to investigate first, the sample.

Written three ways from one dictionary: JSON (complete, for systems and for replaying the sample),
HTML (for people; Jinja2 with autoescaping, no scripts) and CSV (one row per deviation, for a
spreadsheet). Person ids of the application are shown, never a personnummer.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from kontrollkorning._run import PRIORITISED, SEVERITY, Plan


def build_report(plan: Plan, cases: Sequence[Mapping[str, Any]], meta: Mapping[str, Any]) -> dict[str, Any]:
    order = {cid: i for i, cid in enumerate(plan.case_ids)}
    cases = sorted(cases, key=lambda c: order.get(str(c["beslut_id"]), len(order)))
    per_code: dict[str, dict[str, Any]] = {}
    for c in cases:
        for d in c["avvikelser"]:
            entry = per_code.setdefault(d["kod"], {"kod": d["kod"], "allvarlighet": d["allvarlighet"], "antal": 0})
            entry["antal"] += 1
    with_deviation = [c for c in cases if c["avvikelser"]]
    prioritised = sorted(
        (c for c in with_deviation if _worst(c) >= SEVERITY["kontrollera"]),
        key=lambda c: (-_worst(c), -(c.get("forsorjningsstod") or 0), order.get(str(c["beslut_id"]), 0)),
    )[:PRIORITISED]
    sample = plan.sample()
    by_id = {str(c["beslut_id"]): c for c in cases}
    return {
        "korning": {
            **meta,
            "id": plan.run_id,
            "manad": str(plan.month),
            "arendemanad": str(plan.month - 1),
            "kommun": plan.kommun,
            "startad": plan.started,
            "regelverk": {"version": plan.bundle_version, "hash": plan.bundle_hash},
            "arenden": len(plan.case_ids),
            "kontrollerade": len(cases),
        },
        "summering": {
            "arenden_med_avvikelser": len(with_deviation),
            "arenden_som_inte_kunde_kontrolleras": sum(1 for c in cases if c.get("fel")),
            "uppgift_saknas": sum(1 for c in cases if any(d["kod"] == "UPPGIFT_SAKNAS" for d in c["avvikelser"])),
            "per_kod": sorted(
                per_code.values(), key=lambda e: (-SEVERITY.get(e["allvarlighet"], 0), -e["antal"], e["kod"])
            ),
        },
        "utreds_forst": [_brief(c) for c in prioritised],
        "urval": {
            "andel": str(plan.share),
            "seed": plan.seed,
            "antal": len(sample),
            "metod": (
                "random.Random(seed).sample av de aktiva ärendenas beslut-id i sorterad ordning, "
                "⌈andel × antal ärenden⌉ stycken; samma seed och samma ärenden ger samma urval"
            ),
            "arenden": [_brief(by_id[i]) if i in by_id else {"beslut_id": i} for i in sample],
        },
        "arenden": cases,
    }


def _worst(case: Mapping[str, Any]) -> int:
    return max((SEVERITY.get(d["allvarlighet"], 0) for d in case["avvikelser"]), default=0)


def _brief(case: Mapping[str, Any]) -> dict[str, Any]:
    codes = Counter(d["kod"] for d in case["avvikelser"])
    worst = _worst(case)
    return {
        "beslut_id": case["beslut_id"],
        "forsorjningsstod": case.get("forsorjningsstod"),
        "allvarlighet": next((k for k, v in SEVERITY.items() if v == worst), None),
        "koder": sorted(codes),
    }


def render_csv(report: Mapping[str, Any]) -> str:
    out = io.StringIO()
    w = csv.writer(out, delimiter=";", lineterminator="\n")
    w.writerow(
        ["beslut_id", "period", "forsorjningsstod", "kod", "allvarlighet", "person", "kalla", "meddelande", "lagrum"]
    )
    for c in report["arenden"]:
        for d in c["avvikelser"] or [{}]:
            if not d and not c.get("fel"):
                continue
            w.writerow(
                [
                    c["beslut_id"],
                    c.get("period") or "",
                    c.get("forsorjningsstod") if c.get("forsorjningsstod") is not None else "",
                    d.get("kod", "FEL" if c.get("fel") else ""),
                    d.get("allvarlighet", ""),
                    d.get("person") or "",
                    d.get("kalla") or "",
                    _cell(d.get("meddelande") or c.get("fel") or ""),
                    d.get("lagrum") or "",
                ]
            )
    return out.getvalue()


def _cell(text: str) -> str:
    """A spreadsheet never runs a cell as a formula (CSV injection)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


_ENV = Environment(loader=PackageLoader("kontrollkorning", "templates"), autoescape=select_autoescape(["html"]))


def render_html(report: Mapping[str, Any]) -> str:
    return _ENV.get_template("rapport.html").render(r=report)
