"""The återkrav basis for one recorded decision and a corrected application."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

import engine
from aterkrav._rules import AterkravRules, load_rules
from beslutslogg import Record
from beslutslogg.omprovning import CONTRACT, LABELS, compute_stored
from engine._lagrum import render_reference
from engine._money import format_kr


class CorrectionError(Exception):
    """The correction cannot be used with this decision; ``field`` names what is wrong."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def basis(
    record: Record,
    decided_with: engine.RuleBundle,
    today_bundle: engine.RuleBundle,
    correction: Mapping[str, Any],
    *,
    paid_on: date | None = None,
    today: date | None = None,
) -> dict[str, Any]:
    """What was paid out too much, on which grounds it may be recovered, until when, and what to report."""
    today = today or datetime.now(UTC).date()
    rules = load_rules(today_bundle.files)
    statutes = today_bundle.manifest.forfattningar
    try:
        _, facts = engine.parse_application(correction)
    except engine.InputError as exc:
        p = exc.problems[0]
        raise CorrectionError(f"rattelse.{p.field}" if p.field else "rattelse", p.message) from None
    if record.period and str(facts.period) != record.period:
        raise CorrectionError(
            "rattelse.period", f"rättelsen gäller {facts.period}, men beslutet gäller {record.period}"
        )
    indata = _corrected_input(record, correction)
    try:
        corrected = compute_stored(decided_with, indata)
    except engine.InputError as exc:
        p = exc.problems[0]
        raise CorrectionError(f"rattelse.{p.field}" if p.field else "rattelse", p.message) from None

    decided = record.beslut
    paid = int(decided.get("belopp") or 0) if decided.get("utfall") != "avslag" else 0
    right = int(corrected["forsorjningsstod"])
    over = max(0, paid - right)
    before = record.resultat
    changes = [
        {
            "falt": k,
            "beslut": before.get(k),
            "rattat": corrected.get(k),
            "text": f"{LABELS[k]}: {_kr(before.get(k))} i beslutet, {_kr(corrected.get(k))} med rättade uppgifter",
        }
        for k in CONTRACT
        if before.get(k) != corrected.get(k)
    ]
    codes = sorted({str(d.get("kod")) for d in [*before.get("avvikelser", []), *corrected.get("avvikelser", [])]})
    suspicion = [c for c in codes if c in rules.brottsmisstanke.koder and rules.brottsmisstanke.covers(today)]
    more_income = int(corrected.get("inkomster", 0)) > int(before.get("inkomster", 0))

    cost_day = paid_on or date.fromisoformat(record.tidpunkt[:10])
    talan = rules.talan
    out: dict[str, Any] = {
        "beslut": {
            "id": record.id,
            "period": record.period,
            "utfall": decided.get("utfall"),
            "belopp": decided.get("belopp"),
            "regelverk": before.get("regelverk"),
        },
        "rattad_berakning": {
            **{k: corrected[k] for k in CONTRACT},
            "avvikelser": [d["kod"] for d in corrected.get("avvikelser", [])],
            "regelverk": corrected.get("regelverk"),
        },
        "andringar": changes,
        "per_manad": [{"period": record.period, "utbetalt": paid, "ratt_belopp": right, "for_mycket": over}],
        "for_mycket_totalt": over,
        "grunder": _grounds(rules, statutes, today, over, bool(suspicion) or more_income),
        "talan": {
            "kostnaden_uppkom": cost_day.isoformat(),
            "enligt": "angiven utbetalningsdag" if paid_on else "dagen beslutet registrerades",
            "sista_dag": _add_years(cost_day, talan.ar).isoformat() if talan.covers(today) else None,
            "lagrum": render_reference(talan.lagrum, statutes),
            "lagtext": talan.lagtext,
            "konvention": talan.konvention,
        },
        "brottsmisstanke": None,
        "obs": (
            "Underlaget beslutar ingenting. Nämnden prövar om återkrav ska ske, på vilken grund och med "
            "vilket belopp, och den enskilde ska få yttra sig."
        ),
    }
    if suspicion:
        bm = rules.brottsmisstanke
        out["brottsmisstanke"] = {
            "koder": suspicion,
            "lagrum": render_reference(bm.lagrum, statutes),
            "lagtext": bm.lagtext,
            "paminnelse": bm.paminnelse,
        }
    return out


def _corrected_input(record: Record, correction: Mapping[str, Any]) -> dict[str, Any]:
    """The correction with the agency answers stored with the decision, for the persons it still has."""
    ids = {p.get("id") for p in correction.get("hushall") or [] if isinstance(p, Mapping)}
    indata: dict[str, Any] = {"ansokan": dict(correction)}
    for key in ("ssbtek", "ssbtek_ej_svar"):
        kept = {pid: v for pid, v in (record.indata.get(key) or {}).items() if pid in ids}
        if kept:
            indata[key] = kept
    if record.indata.get("jamforelsetal") is not None:
        indata["jamforelsetal"] = record.indata["jamforelsetal"]
    return indata


def _grounds(
    rules: AterkravRules, statutes: Mapping[str, Any], today: date, over: int, caused: bool
) -> list[dict[str, Any]]:
    out = []
    for g in rules.grounds_on(today):
        if over <= 0:
            verdict = "ej aktuell: inget har betalats ut för mycket"
        elif g.trolig_vid_avvikelse and caused:
            verdict = "trolig: rättelsen visar inkomster eller avvikelser som inte fanns i ansökan"
        else:
            verdict = f"pröva om {g.tillampas_nar}"
        out.append(
            {
                "id": g.id,
                "namn": g.namn,
                "lagrum": render_reference(g.lagrum, statutes),
                "lagtext": g.lagtext,
                "bedomning": verdict,
            }
        )
    return out


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a year that has none
        return day.replace(year=day.year + years, day=28)


def _kr(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{format_kr(value).replace(chr(0xA0), ' ')} kr"
    return str(value)
