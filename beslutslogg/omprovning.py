"""Replay (omprövning): a stored decision recomputed with exactly its rules, and with today's beside it.

One place for both faces (``POST /v1/beslut/{id}/omprovning`` and ``ekbist omprova``), so that an
auditor gets the same answer from either. Three questions are answered, each in readable Swedish:

1. Do the decision's own rules (by hash, from the log) still give exactly the stored result?
2. Does what was decided (outcome and amount) agree with what the rules computed? A decision of
   99 999 kr against a computed 7 420 kr is reported, never passed as "the same".
3. What would today's rules give?

A stored bundle that is missing or no longer gives its hash is reported as such (which bundle,
which hash): the decision is not blamed for a damaged log.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import engine
from beslutslogg._model import Record
from beslutslogg._verify import bundle_problem
from engine._money import format_kr

CONTRACT = ("riksnorm", "skaliga_kostnader", "behov", "inkomster", "forsorjningsstod", "overskott")
LABELS = {
    "riksnorm": "riksnorm",
    "skaliga_kostnader": "skäliga kostnader",
    "behov": "behov",
    "inkomster": "inkomster",
    "forsorjningsstod": "försörjningsstöd",
    "overskott": "överskott",
    "avvikelser": "avvikelser",
    "trace": "spåret",
    "normer": "belopp som använts",
    "regelverk": "regelverk",
    "hushall": "hushållet",
}


class BundleUnavailable(Exception):
    """The rule bundle a decision was made with cannot be used; the message says which and why."""


def stored_bundle(log: Any, bundle_hash: str) -> engine.RuleBundle:
    """The bundle by its hash from the log, checked: its files must still give that hash."""
    try:
        files = log.bundle_files(bundle_hash)
    except ValueError as exc:
        raise BundleUnavailable(f"regelverket {bundle_hash} i beslutsloggen är skadat: {exc}") from None
    if files is None:
        raise BundleUnavailable(
            f"regelverket {bundle_hash} som beslutet fattades med saknas i beslutsloggen "
            "(kör ekbist revision verifiera)"
        )
    problem = bundle_problem(bundle_hash, files)
    if problem:
        raise BundleUnavailable(f"{problem} (kör ekbist revision verifiera)")
    try:
        return engine.load_bundle_from_files(files)
    except engine.RuleFileError as exc:
        raise BundleUnavailable(
            f"regelverket {bundle_hash} i beslutsloggen kan inte läsas in ({len(exc.problems)} problem)"
        ) from None


def compute_stored(
    bundle: engine.RuleBundle, indata: Mapping[str, Any], assumptions: engine.Assumptions | None = None
) -> dict[str, Any]:
    """Compute a decision's stored input (application, SSBTEK answers as received, preview values)."""
    overrides = {}
    if indata.get("jamforelsetal") is not None:
        overrides["jamforelsetal"] = engine.jamforelsetal(indata["jamforelsetal"])
    agency = agency_data(indata)
    result: dict[str, Any] = bundle.calculate(
        indata["ansokan"], overrides=overrides, agency=agency, assumptions=assumptions
    ).to_dict()
    return result


def personnummer_by_id(application: Any) -> dict[str, str | None]:
    """Each person's personnummer as the application gives it (None when it does not)."""
    out: dict[str, str | None] = {}
    if isinstance(application, Mapping):
        for p in application.get("hushall") or []:
            if isinstance(p, Mapping) and isinstance(p.get("id"), str):
                pnr = p.get("personnummer")
                out[p["id"]] = pnr if isinstance(pnr, str) else None
    return out


def agency_data(indata: Mapping[str, Any]) -> dict[str, engine.PersonAgencyData] | None:
    """The stored answers parsed, each bound to its person, and every adult whose fetch got no answer."""
    from ssbtek import parse_response

    answers: Mapping[str, str] = indata.get("ssbtek") or {}
    numbers = personnummer_by_id(indata.get("ansokan"))
    agency = {pid: parse_response(xml.encode("utf-8"), pid, numbers.get(pid)) for pid, xml in answers.items()}
    for pid, why in (indata.get("ssbtek_ej_svar") or {}).items():
        agency[pid] = engine.PersonAgencyData.unavailable(pid, why["felkod"], why["meddelande"])
    return agency or None


def decision_against_computation(decided: Mapping[str, Any], computed: Any) -> list[str]:
    """Where what was decided departs from what the rules computed, in Swedish; empty when it agrees."""
    utfall, belopp = decided.get("utfall"), decided.get("belopp")
    if not isinstance(belopp, int) or not isinstance(computed, int | Decimal):
        return []
    kr, calc = _kr(belopp), _kr(computed)
    if utfall == "beviljat":
        if computed <= 0:
            return [f"beslutet beviljar {kr} men beräkningen ger inget försörjningsstöd"]
        if belopp != computed:
            return [f"beslutat belopp avviker från beräknat: {kr} mot {calc}"]
    elif utfall == "delvis":
        if belopp <= 0:
            return [f"beslutet är delvis bifall men beloppet är {kr}"]
        if belopp >= computed:
            return [f"beslutet är delvis bifall men beloppet {kr} är inte lägre än beräknade {calc}"]
    elif utfall == "avslag":
        out = []
        if belopp != 0:
            out.append(f"beslutet är avslag men anger beloppet {kr}")
        if computed > 0:
            out.append(f"beslutet är avslag, men beräkningen ger {calc} i försörjningsstöd (se motiveringen)")
        return out
    return []


def replay(record: Record, decided_with: engine.RuleBundle, today: engine.RuleBundle) -> dict[str, Any]:
    """Field by field and in words: is the stored result reproduced, does the decision agree, what now?"""
    stored = record.resultat
    again = compute_stored(decided_with, record.indata)
    differences = [
        {"falt": k, "lagrat": stored.get(k), "omraknat": again.get(k), "text": _line(k, stored.get(k), again.get(k))}
        for k in sorted(set(stored) | set(again))
        if stored.get(k) != again.get(k) and k != "trace"
    ]
    if stored.get("trace") != again.get("trace"):
        n, m = len(stored.get("trace", [])), len(again.get("trace", []))
        differences.append(
            {"falt": "trace", "lagrat": n, "omraknat": m, "text": f"spåret skiljer sig ({n} mot {m} poster)"}
        )
    decided = record.beslut
    mismatch = decision_against_computation(decided, stored.get("forsorjningsstod"))
    now: dict[str, Any] = {"regelverk": {"id": today.id, "version": today.version, "hash": today.hash}}
    try:
        computed = compute_stored(today, record.indata)
    except engine.InputError as exc:  # e.g. today's rules do not cover the decision's month
        now["fel"] = [str(p) for p in exc.problems]
    else:
        now["resultat"] = {k: computed[k] for k in CONTRACT}
        now["avvikelser"] = [d["kod"] for d in computed.get("avvikelser", [])]
        now["skillnader_mot_beslutet"] = [
            {
                "falt": k,
                "beslut": stored.get(k),
                "idag": computed.get(k),
                "text": f"{LABELS[k]}: {_kr(stored.get(k))} i beslutet, {_kr(computed.get(k))} med dagens regler",
            }
            for k in CONTRACT
            if stored.get(k) != computed.get(k)
        ]
        now["samma_regelverk"] = today.hash == record.regelverk_hash
    identical = not differences
    return {
        "id": record.id,
        "regelverk": stored.get("regelverk"),
        "identisk": identical,
        "skillnader": differences,
        "beslut": {
            "utfall": decided.get("utfall"),
            "belopp": decided.get("belopp"),
            "beraknat": stored.get("forsorjningsstod"),
            "stammer": not mismatch,
            "avvikelser": mismatch,
        },
        "beslutets_regler": {k: again.get(k) for k in CONTRACT},
        "dagens_regler": now,
        "godkand": identical and not mismatch,
    }


def summary_lines(out: Mapping[str, Any]) -> list[str]:
    """The replay as lines for people (the command line prints these)."""
    lines = []
    ref = out.get("regelverk") or {}
    head = f"Med beslutets regler ({ref.get('version', '?')}, {ref.get('hash', '?')}): "
    lines.append(head + ("samma resultat som när beslutet fattades" if out["identisk"] else "ANNAT RESULTAT"))
    lines.extend(f"    {d['text']}" for d in out["skillnader"])
    d = out["beslut"]
    if d["stammer"]:
        lines.append(f"Beslutet ({d['utfall']}, {_kr(d['belopp'])}) stämmer med beräkningen")
    else:
        lines.append(f"Beslutet ({d['utfall']}, {_kr(d['belopp'])}) AVVIKER från beräkningen:")
        lines.extend(f"    {m}" for m in d["avvikelser"])
    today = out["dagens_regler"]
    lines.append(f"Med dagens regler ({today['regelverk']['version']}, {today['regelverk']['hash']}):")
    if "fel" in today:
        lines.append("    kan inte beräknas: " + "; ".join(today["fel"]))
    elif not today["skillnader_mot_beslutet"]:
        lines.append("    samma belopp som i beslutet")
    lines.extend(f"    {x['text']}" for x in today.get("skillnader_mot_beslutet", []))
    return lines


def _line(field: str, stored: Any, again: Any) -> str:
    label = LABELS.get(field, field)
    if isinstance(stored, int | Decimal) and isinstance(again, int | Decimal):
        return f"{label}: {_kr(stored)} lagrat, {_kr(again)} omräknat"
    if field == "avvikelser":
        s = sorted({str(x.get("kod")) for x in stored or [] if isinstance(x, dict)})
        a = sorted({str(x.get("kod")) for x in again or [] if isinstance(x, dict)})
        return f"{label}: {', '.join(s) or 'inga'} lagrat, {', '.join(a) or 'inga'} omräknat"
    return f"{label} skiljer sig mellan det lagrade och det omräknade resultatet"


def _kr(value: Any) -> str:
    if isinstance(value, int | Decimal) and not isinstance(value, bool):
        return f"{format_kr(value).replace(chr(0xA0), ' ')} kr"
    return str(value)


__all__ = [
    "CONTRACT",
    "BundleUnavailable",
    "agency_data",
    "compute_stored",
    "decision_against_computation",
    "personnummer_by_id",
    "replay",
    "stored_bundle",
    "summary_lines",
]
