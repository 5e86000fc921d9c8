"""Replay (omprövning): a stored decision recomputed with exactly its rules, and with today's beside it.

One place for both faces (``POST /v1/beslut/{id}/omprovning`` and ``ekbist omprova``), so that an
auditor gets the same answer from either.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import engine
from beslutslogg import Record

CONTRACT = ("riksnorm", "skaliga_kostnader", "behov", "inkomster", "forsorjningsstod", "overskott")


def compute_stored(bundle: engine.RuleBundle, indata: Mapping[str, Any]) -> dict[str, Any]:
    """Compute a decision's stored input (application, SSBTEK answers as received, preview values)."""
    overrides = {}
    if indata.get("jamforelsetal") is not None:
        overrides["jamforelsetal"] = Decimal(str(indata["jamforelsetal"]))
    agency = agency_data(indata)
    result: dict[str, Any] = bundle.calculate(indata["ansokan"], overrides=overrides, agency=agency).to_dict()
    return result


def agency_data(indata: Mapping[str, Any]) -> dict[str, engine.PersonAgencyData] | None:
    """The stored answers parsed, and every adult whose fetch got no answer marked as such."""
    from ssbtek import parse_response

    answers: Mapping[str, str] = indata.get("ssbtek") or {}
    agency = {pid: parse_response(xml.encode("utf-8"), pid) for pid, xml in answers.items()}
    for pid, why in (indata.get("ssbtek_ej_svar") or {}).items():
        agency[pid] = engine.PersonAgencyData.unavailable(pid, why["felkod"], why["meddelande"])
    return agency or None


def replay(record: Record, decided_with: engine.RuleBundle, today: engine.RuleBundle) -> dict[str, Any]:
    """Field by field: is the stored result reproduced by its own rules, and what would today's give?"""
    stored = record.resultat
    again = compute_stored(decided_with, record.indata)
    differences = [
        {"falt": k, "lagrat": stored.get(k), "omraknat": again.get(k)}
        for k in sorted(set(stored) | set(again))
        if stored.get(k) != again.get(k) and k != "trace"
    ]
    if stored.get("trace") != again.get("trace"):
        differences.append(
            {"falt": "trace", "lagrat": len(stored.get("trace", [])), "omraknat": len(again.get("trace", []))}
        )
    now: dict[str, Any] = {"regelverk": {"id": today.id, "version": today.version, "hash": today.hash}}
    try:
        computed = compute_stored(today, record.indata)
    except engine.InputError as exc:  # e.g. today's rules do not cover the decision's month
        now["fel"] = [str(p) for p in exc.problems]
    else:
        now["resultat"] = {k: computed[k] for k in CONTRACT}
        now["avvikelser"] = [d["kod"] for d in computed.get("avvikelser", [])]
        now["skillnader_mot_beslutet"] = [
            {"falt": k, "beslut": stored.get(k), "idag": computed.get(k)}
            for k in CONTRACT
            if stored.get(k) != computed.get(k)
        ]
        now["samma_regelverk"] = today.hash == record.regelverk_hash
    return {
        "id": record.id,
        "regelverk": stored.get("regelverk"),
        "identisk": not differences,
        "skillnader": differences,
        "beslutets_regler": {k: again.get(k) for k in CONTRACT},
        "dagens_regler": now,
    }


__all__ = ["CONTRACT", "agency_data", "compute_stored", "replay"]
