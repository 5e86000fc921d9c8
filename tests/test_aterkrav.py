"""Återkrav and replay in detail: outcomes, deadlines, rule files, damaged bundles, today's rules.

Amounts by hand from the statute tables: riksnorm 2026 for one adult 3 940 + 1 280 = 5 220 kr,
rent 6 000 kr, so 11 220 kr; with a wage of 5 000 kr, 6 220 kr.
"""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

import aterkrav
import engine
from beslutslogg import DecisionLog, canonical
from beslutslogg.omprovning import (
    BundleUnavailable,
    decision_against_computation,
    replay,
    stored_bundle,
    summary_lines,
)
from ekbist.cli import main
from tests.api_helpers import APP, DECISION, KEYRING, LOG_KEY
from tests.conftest import ROOT

BUNDLE = engine.load_bundle(ROOT)
WAGE = {**APP, "inkomster": [{"person": "s", "typ": "lon", "belopp": 5000}]}


@pytest.fixture
def log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("EKBIST_LOGG_NYCKEL", LOG_KEY)
    d = DecisionLog(f"sqlite:///{tmp_path / 'b.sqlite3'}", KEYRING)
    d.migrate()
    yield d
    d.dispose()


def decide(log: DecisionLog, decision: dict[str, Any] = DECISION, app: dict[str, Any] = APP) -> Any:
    return log.append(
        kommun="0180",
        anvandare="anna",
        roll="handlaggare",
        indata={"ansokan": app},
        resultat=BUNDLE.calculate(app).to_dict(),
        beslut_data=decision,
        bundle=BUNDLE,
    )


def test_nothing_paid_nothing_to_recover(log: DecisionLog) -> None:
    rec = decide(log, {"utfall": "avslag", "belopp": 0, "motivering": "x"})
    b = aterkrav.basis(rec, BUNDLE, BUNDLE, WAGE, today=date(2026, 12, 1))
    assert b["for_mycket_totalt"] == 0 and b["per_manad"][0]["utbetalt"] == 0
    assert all(g["bedomning"].startswith("ej aktuell") for g in b["grunder"])


def test_partly_granted_and_the_29th_of_february(log: DecisionLog) -> None:
    rec = decide(log, {"utfall": "delvis", "belopp": 8000, "motivering": "x"})
    b = aterkrav.basis(rec, BUNDLE, BUNDLE, WAGE, paid_on=date(2028, 2, 29), today=date(2028, 3, 1))
    assert b["for_mycket_totalt"] == 8000 - 6220  # what was paid beyond the 6 220 kr due
    assert b["talan"]["sista_dag"] == "2031-02-28" and b["talan"]["enligt"] == "angiven utbetalningsdag"
    # nothing in the correction raises income above what was decided on: the grounds are to be tried
    same = aterkrav.basis(rec, BUNDLE, BUNDLE, {**APP, "kostnader": [{"typ": "boende", "belopp": 1000}]})
    assert same["for_mycket_totalt"] == 8000 - 5220 - 1000
    ground = {g["id"]: g["bedomning"] for g in same["grunder"]}["orsakat_av_mottagaren"]
    assert ground.startswith("pröva om")


def test_text_for_the_caseworker(log: DecisionLog) -> None:
    b = aterkrav.basis(decide(log), BUNDLE, BUNDLE, WAGE)
    b["brottsmisstanke"] = {"koder": ["EJ_DEKLARERAD_INKOMST"], "lagrum": "6 §", "paminnelse": "Anmäl."}
    out = aterkrav.render_text(b)
    assert "2026-03: utbetalt 11 220 kr, rätt belopp 6 220 kr, för mycket 5 000 kr" in out
    assert "OBS (6 §): Anmäl. Avvikelser: EJ_DEKLARERAD_INKOMST." in out


def test_bad_corrections_are_named(log: DecisionLog) -> None:
    rec = decide(log)
    with pytest.raises(aterkrav.CorrectionError) as info:
        aterkrav.basis(rec, BUNDLE, BUNDLE, {**APP, "bonus": 1})
    assert info.value.field == "rattelse.bonus"
    with pytest.raises(aterkrav.CorrectionError, match="beslutet gäller 2026-03"):
        aterkrav.basis(rec, BUNDLE, BUNDLE, {**APP, "period": "2026-02"})


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda t: t.replace("beskrivning: Återkrav", "beskrivning: [Återkrav"), "ogiltig YAML"),
        (lambda t: t.replace("  ar: 3\n", "  ar: 3\n  okand: 1\n"), "talan.okand: okänd nyckel"),
        (lambda t: t.replace('sfs: "2007:612"', 'sfs: "2099:1"'), "2099:1 saknas under forfattningar"),
        (lambda t: t.replace("  ar: 3\n", "  ar: 99\n"), "talan.ar"),
    ],
)
def test_validera_checks_the_aterkrav_rules(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], edit: Any, message: str
) -> None:
    root = tmp_path / "rot"
    shutil.copytree(ROOT / "regelverk", root / "regelverk")
    shutil.copytree(ROOT / "normer", root / "normer")
    f = root / aterkrav.RULE_FILE
    f.write_text(edit(f.read_text(encoding="utf-8")), encoding="utf-8")
    assert main(["validera", str(root)]) == 1
    assert message in capsys.readouterr().out


def test_a_bundle_without_aterkrav_rules_cannot_compute_one(log: DecisionLog) -> None:
    files = {k: v for k, v in BUNDLE.files.items() if k != aterkrav.RULE_FILE}
    assert aterkrav.check(files, {}) == []
    with pytest.raises(engine.RuleFileError, match="filen saknas"):
        aterkrav.load_rules(files)


def test_stored_bundles_missing_garbled_or_unloadable(log: DecisionLog) -> None:
    with pytest.raises(BundleUnavailable, match="saknas i beslutsloggen"):
        stored_bundle(log, "sha256:" + "0" * 64)
    broken = {"regelverk/regelverk.yaml": "id: [trasig"}
    h = engine.content_hash(broken)
    with log.writer.begin() as conn:
        conn.execute(
            text("INSERT INTO regelverk_paket VALUES (:h, 'x', '1', :f, '2026-01-01')"),
            {"h": h, "f": canonical(broken)},
        )
        conn.execute(
            text("INSERT INTO regelverk_paket VALUES (:h, 'x', '1', 'inte json', '2026-01-01')"),
            {"h": "sha256:" + "1" * 64},
        )
    with pytest.raises(BundleUnavailable, match="kan inte läsas in"):
        stored_bundle(log, h)
    with pytest.raises(BundleUnavailable, match="skadat"):
        stored_bundle(log, "sha256:" + "1" * 64)


def _root(tmp_path: Path, name: str) -> Path:
    root = tmp_path / name
    shutil.copytree(ROOT / "regelverk", root / "regelverk")
    shutil.copytree(ROOT / "normer", root / "normer")
    return root


def test_replay_against_changed_rules(tmp_path: Path, log: DecisionLog) -> None:
    rec = decide(log)
    root = _root(tmp_path, "idag")
    norms = root / "normer" / "riksnorm.yaml"
    norms.write_text(norms.read_text(encoding="utf-8").replace("3940", "3990"), encoding="utf-8")
    out = replay(rec, BUNDLE, engine.load_bundle(root))
    assert "    riksnorm: 5 220 kr i beslutet, 5 270 kr med dagens regler" in summary_lines(out)
    assert out["godkand"] is True and out["dagens_regler"]["samma_regelverk"] is False


def test_replay_when_todays_rules_cannot_compute_the_month(tmp_path: Path, log: DecisionLog) -> None:
    """A 2027 decision made under rules with a jämförelsetal, replayed against rules without one."""
    root = _root(tmp_path, "med-jamforelsetal")
    f = root / "normer" / "riksnorm-2027.yaml"
    entered = (
        "    varden:\n      - giltig_fran: 2027-01-01\n        giltig_till: 2027-12-31\n        varde: 1.05\n"
        '        kalla: {titel: "Test: inmatat jämförelsetal", url: "https://www.scb.se/"}\n'
    )
    f.write_text(f.read_text(encoding="utf-8").replace("    varden: []\n", entered, 1), encoding="utf-8")
    then = engine.load_bundle(root)
    app = {**APP, "period": "2027-02"}
    rec = log.append(
        kommun="0180",
        anvandare="anna",
        roll="handlaggare",
        indata={"ansokan": app},
        resultat=then.calculate(app).to_dict(),
        beslut_data={**DECISION, "belopp": then.calculate(app).to_dict()["forsorjningsstod"]},
        bundle=then,
    )
    out = replay(rec, then, BUNDLE)
    assert out["identisk"] is True and "jamforelsetal" in " ".join(out["dagens_regler"]["fel"])
    assert any(line.startswith("    kan inte beräknas: ") for line in summary_lines(out))


@pytest.mark.parametrize(
    ("decided", "computed", "expected"),
    [
        (
            {"utfall": "beviljat", "belopp": 100},
            0,
            ["beslutet beviljar 100 kr men beräkningen ger inget försörjningsstöd"],
        ),
        ({"utfall": "delvis", "belopp": 0}, 500, ["beslutet är delvis bifall men beloppet är 0 kr"]),
        (
            {"utfall": "delvis", "belopp": 600},
            500,
            ["beslutet är delvis bifall men beloppet 600 kr är inte lägre än beräknade 500 kr"],
        ),
        ({"utfall": "delvis", "belopp": 400}, 500, []),
        ({"utfall": "avslag", "belopp": 0}, 0, []),
        ({"utfall": "beviljat", "belopp": 12345}, 12345, []),
        ({"utfall": "beviljat", "belopp": "x"}, 1, []),
    ],
)
def test_decision_against_computation(decided: dict[str, Any], computed: int, expected: list[str]) -> None:
    assert decision_against_computation(decided, computed) == expected


def test_cli_aterkrav_json(log: DecisionLog, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rec = decide(log)
    f = tmp_path / "r.yaml"
    f.write_text(json.dumps(WAGE), encoding="utf-8")
    assert (
        main(["aterkrav", rec.id, "--rattelse", str(f), "--databas", log.url, "--json", "--utbetald", "2026-03-25"])
        == 0
    )
    assert json.loads(capsys.readouterr().out)["talan"]["sista_dag"] == "2029-03-25"
    assert main(["aterkrav", rec.id, "--rattelse", str(f), "--databas", log.url, "--utbetald", "igår"]) == 2
    assert main(["aterkrav", "finns-inte", "--rattelse", str(f), "--databas", log.url]) == 2
