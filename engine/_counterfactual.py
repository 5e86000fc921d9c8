"""What would change the result: the income that ends the entitlement, the room in the costs, next month.

Computed by the engine itself on changed copies of the application, never by a formula of its own:
the monthly wage (for the applicant, where jobbstimulans may leave part of it uncounted) and the
other income that bring försörjningsstöd to zero are found by searching whole kronor; the room in
the costs is how much the housing cost can rise before the amount changes; next month is the same
application a month later (its history one month longer, every age on the new first day).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from engine._errors import EvaluationError, InputError
from engine._limits import MAX_BELOPP
from engine._period import Month

OUTPUTS = ("riksnorm", "skaliga_kostnader", "behov", "inkomster", "forsorjningsstod", "overskott")


def counterfactual(
    bundle: Any,
    application: Mapping[str, Any],
    overrides: Mapping[str, Decimal] | None = None,
    *,
    curve: bool = False,
) -> dict[str, Any]:
    """``kontrafaktiskt`` for a valid application; with ``curve``, also the household's money at 21
    monthly wages from none to a little past the one that ends the entitlement (``lonekurva``)."""

    def aid(app: Mapping[str, Any]) -> int:
        return int(bundle.calculate(app, overrides=overrides).values["forsorjningsstod"])

    base_result = bundle.calculate(application, overrides=overrides)
    base = int(base_result.values["forsorjningsstod"])
    applicant = next((p["id"] for p in application["hushall"] if p.get("roll") in ("sokande", "sökande")), None)
    out: dict[str, Any] = {"forsorjningsstod": base}
    if applicant is not None and base > 0:
        out["inkomst_till_noll"] = {
            "lon": _smallest(lambda x: aid(_with_income(application, applicant, "lon", x)) == 0, base),
            "ovrig": _smallest(lambda x: aid(_with_income(application, applicant, "ovrig", x)) == 0, base),
        }
    if base == 0:
        room = int(base_result.values.get("overskott", 0))
        first = _smallest(lambda x: aid(_with_housing(application, x)) > 0, max(1, room))
        out["kostnad_utan_andring"] = None if first is None else first - 1
    else:
        out["kostnad_utan_andring"] = 0
    out["nasta_manad"] = _next_month(bundle, application, overrides, base_result)
    wage_to_zero = (out.get("inkomst_till_noll") or {}).get("lon")
    if curve and applicant is not None and wage_to_zero:
        income = int(base_result.values["inkomster"])
        points = []
        top = int(wage_to_zero * 1.25)
        for step in range(21):
            wage = top * step // 20
            paid = aid(_with_income(application, applicant, "lon", wage))
            points.append({"lon": wage, "forsorjningsstod": paid, "totalt": income + wage + paid})
        out["lonekurva"] = points
    return out


def _smallest(reached: Callable[[int], bool], guess: int) -> int | None:
    """The smallest whole X ≥ 0 for which ``reached(X)`` holds (monotone), or None beyond MAX_BELOPP
    or where the changed application is no longer one the contract takes (its amounts too large)."""
    try:
        lo, hi = 0, max(1, guess)
        while not reached(hi):
            lo, hi = hi, hi * 2
            if hi > MAX_BELOPP:
                return None
        while lo < hi:
            mid = (lo + hi) // 2
            if reached(mid):
                hi = mid
            else:
                lo = mid + 1
        return hi
    except (InputError, EvaluationError):
        return None


def _with_income(app: Mapping[str, Any], person: str, typ: str, amount: int) -> dict[str, Any]:
    out = copy.deepcopy(dict(app))
    if amount:
        out["inkomster"] = [*(out.get("inkomster") or []), {"person": person, "typ": typ, "belopp": amount}]
    return out


def _with_housing(app: Mapping[str, Any], amount: int) -> dict[str, Any]:
    out = copy.deepcopy(dict(app))
    if amount:
        out["kostnader"] = [*(out.get("kostnader") or []), {"typ": "boende", "belopp": amount}]
    return out


def _next_month(bundle: Any, app: Mapping[str, Any], overrides: Any, now: Any) -> dict[str, Any]:
    nxt = copy.deepcopy(dict(app))
    month = Month.parse(str(app["period"])) + 1
    nxt["period"] = str(month)
    for holder in [nxt, *(p for p in nxt.get("hushall") or [] if isinstance(p, dict))]:
        h = holder.get("historik")
        if isinstance(h, dict):
            h["manader_i_folj"] = int(h.get("manader_i_folj") or 0) + 1
    if isinstance(nxt.get("foregaende"), dict):
        del nxt["foregaende"]  # the previous decision is this month's, not known yet
    try:
        later = bundle.calculate(nxt, overrides=overrides)
    except (InputError, EvaluationError) as exc:
        problems = getattr(exc, "problems", None)
        why = problems[0].message if problems else str(exc)
        return {"period": str(month), "kan_inte_beraknas": why}
    before = _values_by_rule(now.trace)
    after = _values_by_rule(later.trace)
    changed = sorted(
        {
            (name, person)
            for (rid, person), (name, value) in after.items()
            if (rid, person) in before
            and before[(rid, person)][1] != value
            and not rid.startswith(("kontroll.", "statistik."))
        }
    )
    return {
        "period": str(month),
        **{k: int(later.values[k]) for k in OUTPUTS if k in later.values},
        "andras": [{"regel": name, "person": person} for name, person in changed][:20],
    }


def _values_by_rule(trace: list[dict[str, Any]]) -> dict[tuple[str, str | None], tuple[str, Any]]:
    """The values an explanation shows (hidden intermediate rules left out), by rule and person."""
    return {
        (e["regel"], e.get("person")): (e.get("namn", e["regel"]), e.get("varde"))
        for e in trace
        if e.get("visas") is not False
    }
