"""The month's delivery to Socialstyrelsen, built from the decision log and checked before it is written.

For a month (the month the aid is *for*, HSLF-FS 2015:30 3 §) every household's newest decision is
taken; a granted one (``beviljat`` or ``delvis`` with an amount above zero) gives one household record
and one record per adult with the adult's försörjningshinder (the decision's codes, completed by the
newest supplement). The delivery is refused, with the decision ids, while any granted decision lacks
a code for an adult, has a code not in the list in force, lacks an adult's personnummer, is listed
for another month than its application's, or names an applicant twice.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import engine
from engine._personnummer import kon
from statistik._codes import check_codes
from statistik._layout import HOUSEHOLD_FIELDS, LAYOUT, PERSON_FIELDS

SUPPLEMENT = "forsorjningshinder"
GRANTED = ("beviljat", "delvis")
EXEMPTION_RULE = "aktivitetskrav_undantag"  # its value: the point of SoL 12 kap. 4 a § andra stycket


@dataclass
class MonthDelivery:
    month: str
    kommun: str | None
    households: list[dict[str, Any]] = field(default_factory=list)
    persons: list[dict[str, Any]] = field(default_factory=list)
    problems: list[dict[str, str]] = field(default_factory=list)
    decisions_read: list[tuple[str, str]] = field(default_factory=list)  # (decision id, kommun)
    not_granted: int = 0
    activity: dict[str, Any] = field(default_factory=dict)

    def totals(self) -> dict[str, Any]:
        hinder = Counter(p["forsorjningshinder"] for p in self.persons)
        return {
            "hushall": len(self.households),
            "personer": sum(h["personer"] for h in self.households),
            "vuxna": len(self.persons),
            "barn": sum(h["barn"] for h in self.households),
            "kronor": sum(h["belopp"] for h in self.households),
            "hushallstyper": dict(sorted(Counter(h["hushallstyp"] for h in self.households).items())),
            "vuxna_per_forsorjningshinder": dict(sorted(hinder.items())),
            "ej_beviljade": self.not_granted,
            "aktivitetskrav": self.activity,
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "layout": LAYOUT,
            "manad": self.month,
            "kommun": self.kommun,
            "summering": self.totals(),
            "hushall": self.households,
            "personer": self.persons,
        }


def build_month(log: Any, bundle: engine.RuleBundle, month: str, kommun: str | None = None) -> MonthDelivery:
    out = MonthDelivery(month, kommun)
    ids = log.latest_per_household(month, kommun)
    supplements = log.supplements(ids, SUPPLEMENT)
    applicants: dict[str, str] = {}
    required = 0
    exempt: Counter[int] = Counter()
    for case in log.case_inputs(ids, with_result=True):
        out.decisions_read.append((case["id"], case["kommun"]))
        decided = case["beslut"]
        if decided.get("utfall") not in GRANTED or not isinstance(decided.get("belopp"), int) or decided["belopp"] <= 0:
            out.not_granted += 1
            continue
        app = case["indata"].get("ansokan") or {}
        codes: dict[str, str] = dict(decided.get("forsorjningshinder") or {})
        extra = supplements.get(case["id"])
        if extra is not None:
            codes.update(extra["innehall"].get("forsorjningshinder") or {})
        problems = _check(bundle, case, app, codes, month)
        pnr = _applicant_pnr(app)
        if pnr is not None:
            if pnr in applicants:
                problems.append(("hushall", f"sökanden finns också i beslut {applicants[pnr]} för samma månad"))
            applicants.setdefault(pnr, case["id"])
        for path, message in problems:
            out.problems.append({"beslut_id": case["id"], "falt": path, "meddelande": message})
        if problems:
            continue
        household = _household(app, case, month, int(decided["belopp"]))
        out.households.append(household)
        for p in app.get("hushall") or []:
            if p.get("roll") != "barn":
                out.persons.append(
                    {
                        "kommun": case["kommun"],
                        "manad": month,
                        "beslut_id": case["id"],
                        "personnummer": p["personnummer"],
                        "roll": p["roll"],
                        "forsorjningshinder": codes[str(p["id"])],
                    }
                )
        req, ex = _activity(case.get("resultat") or {})
        required += req
        exempt.update(ex)
    out.activity = {
        "krav_stalls": required,
        "undantagna": {_exemption(bundle, k): n for k, n in sorted(exempt.items())},
    }
    assert all(set(h) == set(HOUSEHOLD_FIELDS) for h in out.households)
    assert all(set(p) == set(PERSON_FIELDS) for p in out.persons)
    return out


def _check(
    bundle: engine.RuleBundle, case: Mapping[str, Any], app: Mapping[str, Any], codes: Mapping[str, str], month: str
) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    if str(app.get("period")) != month or case.get("period") != month:
        problems.append(("period", f"beslutet listas för {case.get('period')} men ansökan gäller {app.get('period')}"))
        return problems
    adults = [p for p in app.get("hushall") or [] if p.get("roll") != "barn"]
    for p in adults:
        pid = str(p.get("id"))
        if pid not in codes:
            problems.append((f"forsorjningshinder.{pid}", f"försörjningshinder saknas för {pid}"))
        if not p.get("personnummer"):
            problems.append((f"hushall.{pid}.personnummer", f"personnummer saknas för {pid}; registret kräver det"))
    for problem in check_codes(bundle, app, {k: v for k, v in codes.items()}, "forsorjningshinder"):
        problems.append((problem.field, problem.message))
    return problems


def _applicant_pnr(app: Mapping[str, Any]) -> str | None:
    for p in app.get("hushall") or []:
        if p.get("roll") == "sokande" and p.get("personnummer"):
            return str(p["personnummer"])
    return None


def household_type(app: Mapping[str, Any], month: str) -> str:
    """The register's hushållstyp: adults, children under 18, and the applicant's kön from the personnummer
    (its second-to-last digit: odd for a man); unknown (9) for a single adult without a personnummer."""
    first = engine.Month.parse(month).first_day
    persons = list(app.get("hushall") or [])
    adults = [p for p in persons if p.get("roll") != "barn"]
    children = sum(1 for p in persons if p.get("roll") == "barn" and _age(p, first) < 18)
    applicant = next((p for p in adults if p.get("roll") == "sokande"), None)
    if applicant is not None and _age(applicant, first) < 18:
        return "1"
    if len(adults) >= 2:
        return "8" if children else "7"
    pnr = str(applicant.get("personnummer") or "") if applicant else ""
    if len(pnr) != 12 or not pnr.isdigit():
        return "9"
    if kon(pnr) == "man":
        return "4" if children else "3"
    return "6" if children else "5"


def _age(p: Mapping[str, Any], first: Any) -> int:
    from datetime import date

    from engine._period import age_on

    try:
        return age_on(date.fromisoformat(str(p.get("fodd"))), first)
    except ValueError:
        return 0


def _household(app: Mapping[str, Any], case: Mapping[str, Any], month: str, amount: int) -> dict[str, Any]:
    first = engine.Month.parse(month).first_day
    persons = list(app.get("hushall") or [])
    return {
        "kommun": case["kommun"],
        "manad": month,
        "beslut_id": case["id"],
        "hushallstyp": household_type(app, month),
        "vuxna": sum(1 for p in persons if p.get("roll") != "barn"),
        "barn": sum(1 for p in persons if p.get("roll") == "barn" and _age(p, first) < 18),
        "personer": len(persons),
        "belopp": amount,
    }


def _exemption(bundle: engine.RuleBundle, point: int) -> str:
    """The exemption's words, as the rule file gives them for the number (``varden``)."""
    rule = bundle.rules.get(EXEMPTION_RULE)
    labels = rule.spec.varden if rule is not None else None
    return (labels or {}).get(str(point)) or f"punkt {point}"


def _activity(result: Mapping[str, Any]) -> tuple[int, Counter[int]]:
    """Adults with an activity requirement set, and those exempted by the reason's number (from the trace)."""
    required = 0
    exempt: Counter[int] = Counter()
    for e in result.get("trace") or []:
        if e.get("regel") == "aktivitetskrav_ska_stallas" and e.get("varde") is True:
            required += 1
        elif e.get("regel") == EXEMPTION_RULE and isinstance(e.get("varde"), int) and e["varde"] > 0:
            exempt[int(e["varde"])] += 1
    return required, exempt
