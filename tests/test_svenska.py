"""Text a person reads is Swedish: argparse's own words and the YAML parser's problems."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ekbist.cli import main

ENGLISH = ("usage", "error", "expected", "found", "required", "arguments", "but ")


def test_argparse_speaks_swedish(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main([])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "användning: ekbist" in err and "fel: följande argument krävs: KOMMANDO" in err
    with pytest.raises(SystemExit):
        main(["berakna", "x.yaml", "--okand"])
    assert "okända argument: --okand" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["berakna", "--help"])
    out = capsys.readouterr().out
    assert "flaggor:" in out and "visa den här hjälpen och avsluta" in out
    assert not any(w in out.split("flaggor:")[0].lower() for w in ("usage", "positional"))


@pytest.mark.parametrize(
    ("text", "swedish"),
    [
        ("period: [\n", "texten tar slut där ett värde väntades"),
        ("period: 2026-03\n  hushall: x\n", "ett kolon står där det inte får stå"),
        ('period: "2026-03\n', "saknas ett avslutande citattecken"),
        ("period:\t'2026-03'\n", "tabbtecken"),
        ("period: '2026-03'\n---\nperiod: '2026-04'\n", "ett enda dokument"),
        ("hushall:\n  - id: s\n   roll: sokande\n", "indraget stämmer inte"),
    ],
)
def test_yaml_problems_in_swedish(tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, swedish: str) -> None:
    path = tmp_path / "ansokan.yaml"
    path.write_text(text, encoding="utf-8")
    assert main(["berakna", str(path)]) == 2
    err = capsys.readouterr().err
    assert swedish in err and "på rad" in err and "kolumn" in err
    message = err.split("ogiltig YAML", 1)[1].lower()
    assert not any(w in message for w in ENGLISH), message


def test_swedish_letters_in_field_names_and_codes(bundle: Any) -> None:
    """An application written with å, ä, ö computes exactly as its folded spelling does."""
    folded = {
        "period": "2026-03",
        "hushall": [
            {"id": "åsa", "roll": "sokande", "fodd": "1985-02-01"},
            {"id": "b", "roll": "barn", "fodd": "2020-01-01", "lunch_utanfor_hemmet": True},
        ],
        "inkomster": [
            {"person": "åsa", "typ": "lon", "belopp": 4000},
            {"person": "åsa", "typ": "a_kassa", "belopp": 900},
        ],
        "kostnader": [{"typ": "hushallsel", "belopp": 300}, {"typ": "boende", "belopp": 6000}],
    }
    swedish = {
        "period": "2026-03",
        "hushåll": [
            {"id": "åsa", "roll": "sökande", "född": "1985-02-01"},
            {"id": "b", "roll": "barn", "född": "2020-01-01", "lunch_utanför_hemmet": True},
        ],
        "inkomster": [
            {"person": "åsa", "typ": "lön", "belopp": 4000},
            {"person": "åsa", "typ": "a-kassa", "belopp": 900},
        ],
        "kostnader": [{"typ": "hushållsel", "belopp": 300}, {"typ": "Boende", "belopp": 6000}],
    }
    before = json.dumps(swedish, ensure_ascii=False)
    assert bundle.calculate(swedish).values == bundle.calculate(folded).values
    assert json.dumps(swedish, ensure_ascii=False) == before  # the caller's application is not changed


@pytest.mark.parametrize("written", ["19850201-1235", "850201-1235", "198502011235", " 19850201 1235 "])
def test_personnummer_forms_and_the_birth_date_from_it(bundle: Any, written: str) -> None:
    app = {"period": "2026-03", "hushall": [{"id": "s", "roll": "sokande", "personnummer": written}]}
    result = bundle.calculate(app).to_dict()
    assert result["hushall"][0]["personnummer"] == "19850201-****"
    assert result["hushall"][0]["alder"] == 41  # born 1985-02-01, taken from the number


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ("19850201-1234", "kontrollsiffran stämmer inte"),
        ("19850230-1234", "födelsedatumet i numret finns inte"),
        ("1985-02-01", "ska skrivas ÅÅÅÅMMDDNNNK"),
    ],
)
def test_a_wrong_personnummer_is_refused_in_swedish_without_repeating_it(
    bundle: Any, written: str, message: str
) -> None:
    import engine

    app = {
        "period": "2026-03",
        "hushall": [{"id": "s", "roll": "sokande", "fodd": "1985-02-01", "personnummer": written}],
    }
    with pytest.raises(engine.InputError) as exc:
        bundle.calculate(app)
    text = str(exc.value.problems[0])
    assert message in text and written.strip() not in text


def test_a_samordningsnummer_gives_its_birth_date(bundle: Any) -> None:
    from engine._personnummer import with_check_digit

    number = "19" + with_check_digit("850261123")  # day 61: born on the 1st
    app = {"period": "2026-03", "hushall": [{"id": "s", "roll": "sokande", "personnummer": number}]}
    assert bundle.calculate(app).to_dict()["hushall"][0]["alder"] == 41


def test_deviations_have_swedish_headings_and_agencies_spelled_out(bundle: Any) -> None:
    from explain import render_html, render_text
    from tests.ssbtek_helpers import answer, single

    paid = {"FK": {"utbetalningar": [{"id": "SJP", "beskrivning": "Sjukpenning", "manad": -1, "netto": 5000}]}}
    result = bundle.calculate(single(), agency={"s": answer(paid)}).to_dict()
    dev = next(d for d in result["avvikelser"] if d["kod"] == "EJ_DEKLARERAD_INKOMST")
    assert dev["kalla"] == "FK" and dev["rubrik"]  # the code stays in the JSON
    text = render_text(result)
    assert f"{dev['rubrik']} (EJ_DEKLARERAD_INKOMST)" in text and "källa: Försäkringskassan" in text
    assert "källa: Försäkringskassan" in render_html(result)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf")])
def test_a_share_that_is_not_a_number_is_refused_naming_the_field(bundle: Any, value: float) -> None:
    """Found by hand through the calculation page, whose form hands the engine Python floats."""
    import engine

    child = {"id": "b", "roll": "barn", "fodd": "2020-01-01", "boendeandel": value}
    app = {"period": "2026-03", "hushall": [{"id": "s", "roll": "sokande", "fodd": "1990-01-01"}, child]}
    with pytest.raises(engine.InputError) as exc:
        bundle.calculate(app)
    assert exc.value.problems[0].field == "hushall[1].boendeandel"
