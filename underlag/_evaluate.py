"""The verifications for one computed application, with what the agency data already show."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from engine import SOURCE_NAMES
from engine._input import COST_TYPE_SV, INCOME_TYPE_SV
from engine._lagrum import render_references
from engine._template_text import text as _text
from engine.kontroll._condition import holds
from underlag._rules import UnderlagRules


def _facts(
    application: Mapping[str, Any], result: Mapping[str, Any], agency_facts: Sequence[Mapping[str, Any]]
) -> dict[str, list[dict[str, Any]]]:
    persons = {str(p["id"]): p for p in application.get("hushall") or []}
    shown: dict[tuple[str, str], str] = {}
    for f in agency_facts:
        if f.get("fakta") == "inkomst" and int(f.get("utbetalt_kontroll") or 0) > 0:
            shown[(str(f["person"]), str(f["typ"]))] = str(f.get("kallnamn") or f.get("kalla") or "")
    required = {
        e.get("person")
        for e in result.get("trace", [])
        if e.get("regel") == "aktivitetskrav_ska_stallas" and e.get("varde") is True
    }
    out: dict[str, list[dict[str, Any]]] = {"inkomst": [], "kostnad": [], "person": [], "hushall": []}
    for row in application.get("inkomster") or []:
        pid, typ = str(row["person"]), str(row["typ"])
        out["inkomst"].append(
            {
                "person": pid,
                "roll": str(persons.get(pid, {}).get("roll", "")),
                "typ": typ,
                "typnamn": INCOME_TYPE_SV.get(typ, typ),
                "belopp": int(row["belopp"]),
                "bevisad": (pid, typ) in shown,
                "kallnamn": shown.get((pid, typ), ""),
            }
        )
    for row in application.get("kostnader") or []:
        typ = str(row["typ"])
        out["kostnad"].append({"typ": typ, "typnamn": COST_TYPE_SV.get(typ, typ), "belopp": int(row["belopp"])})
    ages = {str(p["id"]): p.get("alder", 0) for p in result.get("hushall", [])}
    for pid, p in persons.items():
        sick = p.get("sjukdom") or {}
        out["person"].append(
            {
                "person": pid,
                "roll": str(p.get("roll")),
                "alder": int(ages.get(pid, 0)),
                "sjukdom_dagar": int(sick.get("dagar_i_folj") or 0),
                "lakarintyg_inlamnat": bool(sick.get("lakarintyg_inlamnat")),
                "aktivitetskrav": pid in required,
            }
        )
    adults = sum(1 for p in persons.values() if p.get("roll") != "barn")
    out["hushall"].append({"vuxna": adults, "personer": len(persons)})
    return out


def verifications(
    rules: UnderlagRules,
    application: Mapping[str, Any],
    result: Mapping[str, Any],
    agency_facts: Sequence[Mapping[str, Any]],
    statutes: Mapping[str, Any],
    day: Any,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(what to hand in, what need not be handed in because the agencies' data show it)."""
    facts = _facts(application, result, agency_facts)
    needed: list[dict[str, Any]] = []
    shown: list[dict[str, Any]] = []
    for item in rules.items:
        if not item.covers(day):
            continue
        basis = render_references(list(item.spec.lagrum), statutes) if item.spec.lagrum else []
        if item.spec.konvention:
            basis.append(f"Konvention: {item.spec.konvention}")
        for fact in facts[item.spec.fakta]:
            get = _lookup(fact)
            entry = {"kod": item.spec.kod, "namn": item.spec.namn, "person": fact.get("person")}
            if holds(item.condition, fact):
                needed.append(
                    {**entry, "text": item.text(get, _text), "skal": item.reason(get, _text), "lagrum": basis}
                )
            elif item.not_needed is not None and holds(item.not_needed, fact):
                reason = item.not_needed_reason(get, _text) if item.not_needed_reason else ""
                shown.append({**entry, "text": item.text(get, _text), "skal": reason})
    return needed, shown


def _lookup(fact: Mapping[str, Any]) -> Any:
    def get(key: str) -> object:
        return fact.get(key, "")

    return get


__all__ = ["SOURCE_NAMES", "verifications"]
