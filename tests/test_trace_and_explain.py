"""The trace records every rule with value, inputs, version and legal reference; explain renders it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

import engine
from ekbist.cli import main
from explain import render_text
from tests.conftest import SHARED_EXAMPLES


@pytest.fixture(scope="module")
def example2(bundle: engine.RuleBundle) -> dict[str, object]:
    case = yaml.safe_load((SHARED_EXAMPLES / "02-sambor-tva-barn-lon.yaml").read_text(encoding="utf-8"))
    return bundle.calculate(case["ansokan"]).to_dict()


def test_every_entry_is_complete(example2: dict[str, object]) -> None:
    trace = example2["trace"]
    assert isinstance(trace, list) and trace
    for e in trace:
        assert e["regel"] and e["namn"] and e["version"]
        assert isinstance(e["indata"], dict)
        assert e["lagrum"], e["regel"]


def test_trace_shows_each_child_with_band(example2: dict[str, object]) -> None:
    children = [e for e in example2["trace"] if e["regel"] == "personlig_kostnad_barn"]  # type: ignore[union-attr]
    assert {e["person"]: e["varde"] for e in children} == {"c": 2720, "d": 4390}
    c = next(e for e in children if e["person"] == "c")
    assert c["detaljer"]["intervall"] == "4–6" and c["detaljer"]["kolumn"] == "utan_lunch"
    assert c["indata"]["alder"] == 5


def test_result_names_rule_version(example2: dict[str, object], bundle: engine.RuleBundle) -> None:
    assert example2["regelverk"] == {"id": bundle.id, "version": bundle.version, "hash": bundle.hash}
    assert str(bundle.hash).startswith("sha256:") and len(bundle.hash) == 71


def test_explanation_lines_say_what_how_much_why_and_paragraph(example2: dict[str, object]) -> None:
    text = render_text(example2)
    assert "BERÄKNINGSUNDERLAG" in text and "januari 2026" in text
    assert "Sambor: ett gemensamt belopp för paret" in text
    assert "Barn c, 5 år: åldersgrupp 4–6 år, lägre belopp utan lunch fem dagar i veckan" in text
    assert "12 kap. 7 § första stycket 1 socialtjänstlagen (2025:400)" in text
    assert "Försörjningsstöd" in text and "10\u00a0960\u00a0kr" in text


def test_cli_json_has_contract_fields_and_trace(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = SHARED_EXAMPLES / "01-ensamstaende-utan-inkomst.yaml"
    assert main(["berakna", str(src), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    for key in (
        "riksnorm",
        "skaliga_kostnader",
        "behov",
        "inkomster",
        "forsorjningsstod",
        "overskott",
        "regelverk",
        "trace",
    ):
        assert key in out
    assert out["forsorjningsstod"] == 11920


def test_cli_text_is_the_explanation(capsys: pytest.CaptureFixture[str]) -> None:
    src = SHARED_EXAMPLES / "03-jobbstimulans.yaml"
    assert main(["berakna", str(src)]) == 0
    text = capsys.readouterr().out
    assert "Jobbstimulans för s: 25 % av lönen (lön 8\u00a0000 kr) räknas inte" in text
    assert "12 kap. 8 § socialtjänstlagen (2025:400)" in text
