"""The list of benefits, thresholds, row-by-row reading and answer quality (issue: controls as kommuner run them).

The behaviours a caseworker sees are golden cases in ``tests/golden/kontroller/``; these tests cover
what a case file cannot: every code in the shipped LEFI schema, the reader's row reports, the rule
files' own checks, and the trace of what was passed over.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

import engine
from ssbtek import parse_response
from ssbtek._build import build_response
from ssbtek._soap import question_period
from tests.conftest import ROOT
from tests.ssbtek_helpers import PNR_ANNA, answer, single

LEFI = ROOT / "ssbtek" / "schema" / "se" / "forsakringskassan" / "schema" / "lefi"
FEB = {"manad": -1, "dag": 20}


def _enum(name: str) -> list[str]:
    spec = yaml.safe_load((LEFI / "lefi-formansinformation-v9.openapi.yaml").read_text(encoding="utf-8"))
    return list(spec["components"]["schemas"][name]["enum"])


def _codes(result: engine.Result) -> list[str]:
    return sorted(d["kod"] for d in result.avvikelser)


@pytest.mark.parametrize("code", _enum("LefiFkFormanGruppKod"))
def test_every_fk_code_in_the_schema_is_income_or_unknown_never_undeclared(
    bundle: engine.RuleBundle, code: str
) -> None:
    """A code only: an income of a known type (declared, so no deviation) or OKAND_FORMAN."""
    payment = {"id": code.removeprefix("FK:"), "beskrivning": None, **FEB, "netto": 1000}
    result = bundle.calculate(single(), agency={"s": answer({"FK": {"utbetalningar": [payment]}})})
    found = _codes(result)
    if code in ("FK:ABB", "FK:FP", "FK:SJP", "FK:YL"):  # named in the facts: income (new, and not declared)
        assert "EJ_DEKLARERAD_INKOMST" in found and "OKAND_FORMAN" not in found
    else:
        assert found == ["OKAND_FORMAN"]


@pytest.mark.parametrize("code", _enum("LefiPmUtbetalningFormanKod") + _enum("LefiPmFormanGruppKod"))
def test_every_pm_code_in_the_schema_is_counted(bundle: engine.RuleBundle, code: str) -> None:
    declared = {
        "inkomster": [{"person": "s", "typ": "bostadstillagg" if code == "PM:BTI" else "pension", "belopp": 900}]
    }
    row = {"kod": code} if code in _enum("LefiPmFormanGruppKod") else {"forman": code}
    payment = {**FEB, "netto": 900, "rader": [{**row, "belopp": 1000}]}
    result = bundle.calculate(single(**declared), agency={"s": answer({"FK": {"pm_utbetalningar": [payment]}})})
    assert _codes(result) == []


NAMES = {  # Sundsvall's allow list and exclusions (ssbtek-och-kontroller.md § 2.1), and how each is treated
    "Dagersättning": "inkomst",
    "Pension/SA/Livräntor/Vårdbidrag": "inkomst",
    "Allmänt barnbidrag": "inkomst",
    "Bostadsbidrag": "inkomst",
    "Underhållsstöd": "inkomst",
    "Elstöd": "inkomst",
    "Handikappersättning": "raknas_inte",
    "Bostadskostnad": "raknas_inte",
    "Något helt nytt": "okand",
}


@pytest.mark.parametrize(("name", "treatment"), NAMES.items())
def test_sundsvalls_names(bundle: engine.RuleBundle, name: str, treatment: str) -> None:
    payment = {"beskrivning": name, **FEB, "netto": 700}
    result = bundle.calculate(single(), agency={"s": answer({"FK": {"utbetalningar": [payment]}})})
    found = _codes(result)
    if treatment == "inkomst":  # an exact threshold adds NY_INKOMST (January had nothing)
        assert "EJ_DEKLARERAD_INKOMST" in found and set(found) <= {"EJ_DEKLARERAD_INKOMST", "NY_INKOMST"}
    else:
        assert found == {"raknas_inte": [], "okand": ["OKAND_FORMAN"]}[treatment]
    passed = [e for e in result.trace if e["regel"] == "kontroll.forman_raknas_inte"]
    assert bool(passed) == (treatment == "raknas_inte")
    if passed:
        assert name in passed[0]["forklaring"] and "förbigås" in passed[0]["forklaring"]


def test_bad_rows_are_reported_and_the_rest_kept() -> None:
    good = {"id": "SJP", "beskrivning": "Sjukpenning", **FEB, "netto": 8000}
    data = answer(
        {
            "FK": {
                "utbetalningar": [good, {"ra": "inte ett objekt"}, {"ra": {"datum": "2026-02-02", "nettobelopp": 5}}],
                "pm_utbetalningar": [{"ra": {"utbetalningsdatum": "2026-02-20"}}, {**FEB, "netto": 900}],
            },
            "CSN": {
                "arenden": [
                    {
                        "utbetalningar": [
                            {"datum": "20261345", "belopp": 10},
                            {"datum": "0", "belopp": 20},
                            {**FEB, "belopp": 3000},
                        ]
                    }
                ]
            },
        }
    )
    fk, pm, csn = data.source("FK"), data.source("PM"), data.source("CSN")
    assert [p.netto for p in fk.payments] == [8000] and [p.netto for p in pm.payments] == [900]
    assert fk.radfel == (
        "formansinformation.utbetalningsuppgift rad 2: raden är inte ett objekt",
        "formansinformation.utbetalningsuppgift rad 3: nettobelopp saknas",
    )
    assert pm.radfel == ("utbetalningar rad 1: nettobelopp saknas",)
    assert [p.netto for p in csn.payments] == [3000]
    assert csn.radfel == (
        "Studiemedel ärende 1 utbetalning 1: utbetdatum: '20261345' är inget datum",
        "Studiemedel ärende 1 utbetalning 2: utbetalningen har inget utbetalningsdatum och inga veckor att "
        "placeras efter",
    )
    assert all(a.status == "svar" for a in (fk, pm, csn))


def test_a_pm_payment_whose_rows_cannot_be_weighed_stays_whole() -> None:
    rows = [{"kod": "PM:AP", "belopp": 0}, {"kod": "PM:BTI", "belopp": 0}]
    pm = answer({"FK": {"pm_utbetalningar": [{**FEB, "netto": 900, "rader": rows}]}}).source("PM")
    assert [(p.kod, p.netto) for p in pm.payments] == [("PM", 900)]
    assert "flera förmåner (PM:AP, PM:BTI)" in pm.payments[0].text


def test_a_kassa_status_is_read_per_kassa() -> None:
    so = answer({"SO": {"a_kassor": [{"namn": "A", "status": "7", "utbetalningar": [{**FEB, "netto": 100}]}]}})
    part = so.source("SO").delsvar[0]
    assert (part.namn, part.status, part.utbetalningar) == ("A", "7", True)


def test_october_asks_from_june() -> None:
    """parametrar.yaml: studiehjalp_ansokningsmanad 10, studiehjalp_utbetald_manad 6 (Sundsvall's rule)."""
    bundle = engine.load_bundle(ROOT)
    october, march = engine.Month.parse("2026-10"), engine.Month.parse("2026-03")
    assert question_period(october, bundle.ssbtek_start(october)) == ("2026-06-01", "2026-10-31")
    assert question_period(march, bundle.ssbtek_start(march)) == ("2026-01-01", "2026-03-31")
    assert question_period(march) == ("2026-01-01", "2026-03-31")  # without rules: the comparison month


def test_a_policy_edit_of_the_seasonal_check_moves_the_question(tmp_path: Path) -> None:
    """A kommun that checks studiehjälp in November against May: the question to SSBTEK follows."""
    import shutil

    from ssbtek._soap import Asker, build_request

    root = tmp_path / "regler"
    shutil.copytree(ROOT / "regelverk", root / "regelverk")
    shutil.copytree(ROOT / "normer", root / "normer")
    params = root / "regelverk" / "kontroll" / "parametrar.yaml"
    text = params.read_text(encoding="utf-8")
    text = re.sub(r"(studiehjalp_ansokningsmanad:\n    varde: )10", r"\g<1>11", text)
    text = re.sub(r"(studiehjalp_utbetald_manad:\n    varde: )6", r"\g<1>5", text)
    params.write_text(text, encoding="utf-8")
    bundle = engine.load_bundle(root)
    november, october = engine.Month.parse("2026-11"), engine.Month.parse("2026-10")
    assert question_period(november, bundle.ssbtek_start(november)) == ("2026-05-01", "2026-11-30")
    assert question_period(october, bundle.ssbtek_start(october)) == ("2026-08-01", "2026-10-31")
    asker = Asker("162120000000", "Kommunen", "handläggare")
    xml = build_request(PNR_ANNA, november, asker, start=bundle.ssbtek_start(november)).decode()
    assert "<ssbt:fromDatum>2026-05-01</ssbt:fromDatum>" in xml


RuleRoot = Callable[[], Path]


def _edit(root: Path, rel: str, old: str, new: str) -> None:
    p = root / rel
    text = p.read_text(encoding="utf-8")
    assert old in text, old
    p.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.mark.parametrize(
    ("rel", "old", "new", "message"),
    [
        (
            "regelverk/kontroll/formaner.yaml",
            'kod: "FK:FP", typ: foraldrapenning,',
            'kod: "FK:FP",',
            "typ saknas",
        ),
        (
            "regelverk/kontroll/formaner.yaml",
            'typ: foraldrapenning, kalla_for_mappningen: "LEFI-specifikationen: FK:FP',
            'typ: foraldrapeng, kalla_for_mappningen: "LEFI-specifikationen: FK:FP',
            "okänd inkomsttyp 'foraldrapeng'",
        ),
        (
            "regelverk/kontroll/formaner.yaml",
            'text: "Handikappersättning", behandling: raknas_inte,',
            'text: "Handikappersättning", behandling: raknas_inte, typ: ovrig,',
            "typ anges bara för inkomster",
        ),
        ("regelverk/kommuner/9999.yaml", "    text: Bostadsbidrag\n", "", "ange förmånen med kod eller text"),
        ("regelverk/kontroll/parametrar.yaml", "    varde: 9\n", "    varde: 13\n", "ska vara en månad 1–12"),
    ],
)
def test_the_rule_files_are_checked(rule_root: RuleRoot, rel: str, old: str, new: str, message: str) -> None:
    root = rule_root()
    _edit(root, rel, old, new)
    problems = [str(p) for p in engine.check_bundle(root)]
    assert any(message in p and rel in p for p in problems), problems


def test_a_kommun_threshold_can_be_exact(rule_root: RuleRoot) -> None:
    """Policy staff change a threshold by editing YAML: 9999 makes bostadsbidrag exact."""
    root = rule_root()
    _edit(root, "regelverk/kommuner/9999.yaml", "    troskel: 5\n", "    troskel: exakt\n")
    bundle = engine.load_bundle(root)
    pays = [
        {"id": "BOB", "beskrivning": "Bostadsbidrag", **w, "netto": n} for w, n in ((FEB, 1301), ({"manad": -2}, 1300))
    ]
    declared = {"inkomster": [{"person": "s", "typ": "bostadsbidrag", "belopp": 1301}]}
    for kommun, codes in (("9999", ["INKOMSTANDRING"]), (None, [])):
        app: dict[str, Any] = single(**declared) | ({"kommun": kommun} if kommun else {})
        result = bundle.calculate(app, agency={"s": answer({"FK": {"utbetalningar": pays}})})
        assert _codes(result) == codes


def test_the_golden_cases_cover_every_new_code() -> None:
    found: set[str] = set()
    for f in (ROOT / "tests" / "golden" / "kontroller").glob("*.yaml"):
        found |= set(re.findall(r"kod: ([A-Z_]+)", f.read_text(encoding="utf-8")))
    assert {
        "OKAND_FORMAN",
        "STUDIEHJALP_SEPTEMBER",
        "UPPGIFT_OFULLSTANDIG",
        "INKOMSTANDRING",
        "UPPGIFT_SAKNAS",
    } <= found


def test_an_answer_built_and_read_keeps_the_row_amount_type() -> None:
    pay = {
        "id": "SJP",
        **FEB,
        "netto": 10,
        "detaljer": [{"forman": {"id": "X", "beskrivning": "Del"}, "beloppstyp": {"id": "KVI"}}],
    }
    xml = build_response(
        {"personnummer": PNR_ANNA, "kallor": {"FK": {"utbetalningar": [pay]}}}, engine.Month.parse("2026-03")
    )
    p = parse_response(xml, "s", PNR_ANNA).source("FK").payments[0]
    assert (p.delforman, p.beloppstyp, p.text) == ("Del", "KVI", "SJP")


@pytest.mark.parametrize(
    ("foregaende", "field"),
    [
        ({"period": "2026-03", "antal_personer": 1}, "foregaende.period"),
        ({"period": "2026-02", "antal_personer": 0}, "foregaende.antal_personer"),
        (
            {"period": "2026-02", "antal_personer": 1, "inkomster": [{"person": "x", "typ": "lon", "belopp": 1}]},
            "foregaende.inkomster[0].person",
        ),
    ],
)
def test_a_bad_previous_decision_is_refused_naming_the_field(
    bundle: engine.RuleBundle, foregaende: dict[str, Any], field: str
) -> None:
    with pytest.raises(engine.InputError) as err:
        bundle.calculate(single(foregaende=foregaende))
    assert field in [p.field for p in err.value.problems]


def test_the_benefit_cache_is_bounded() -> None:
    """Benefit names come from agency answers; a long-running server must not keep every one it saw."""
    from datetime import date

    from engine._agency import Payment
    from engine.kontroll._facts import CACHE_LIMIT, BenefitMapper

    mapper = BenefitMapper([])
    for i in range(CACHE_LIMIT + 10):
        t = mapper.treat(Payment("FK", f"FK:{i}", f"namn {i}", date(2026, 2, 1), 1), date(2026, 3, 1), None, 12)
        assert t.behandling == "okand"
    assert len(mapper._cache) <= CACHE_LIMIT


def test_rows_that_break_the_schema_are_dropped_but_not_without_bound() -> None:
    bad = {"ra_datum": "2026-02-30", "netto": 1}
    good = {**FEB, "netto": 4000}
    so = answer({"SO": {"a_kassor": [{"namn": "K", "utbetalningar": [good, bad]}]}}).source("SO")
    assert so.status == "svar" and [p.netto for p in so.payments] == [4000]
    assert so.radfel == ("K utbetalning 2: Utbetalningsdatum '2026-02-30' är inte ett datum; raden räknades inte",)
    flood = answer({"SO": {"a_kassor": [{"namn": "K", "utbetalningar": [good] + [bad] * 201}]}}).source("SO")
    assert flood.status == "ogiltigt" and "schemat" in flood.meddelande
    csn = {"arenden": [{"utbetalningar": [{**FEB, "belopp": 10}] + [{"ra_datum": "x", "belopp": 1}] * 201}]}
    assert answer({"CSN": csn}).source("CSN").status == "ogiltigt"


def test_the_default_threshold_must_be_in_the_rule_files(rule_root: RuleRoot) -> None:
    root = rule_root()
    text = (root / "regelverk/kontroll/parametrar.yaml").read_text(encoding="utf-8")
    start = text.index("  inkomstandring_procent:")
    end = text.index("  tolerans_kronor:")
    (root / "regelverk/kontroll/parametrar.yaml").write_text(text[:start] + text[end:], encoding="utf-8")
    problems = [str(p) for p in engine.check_bundle(root)]
    assert any("parametern 'inkomstandring_procent' saknas" in p for p in problems), problems
