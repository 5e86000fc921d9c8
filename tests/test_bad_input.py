"""Bad input never yields a traceback: exit status 2 and a message naming the field."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import engine
from ekbist.cli import main
from tests.conftest import single

EXE = str(Path(sys.executable).parent / "ekbist")


def run_cli(tmp_path: Path, content: str, suffix: str = ".yaml") -> subprocess.CompletedProcess[str]:
    f = tmp_path / f"ansokan{suffix}"
    f.write_text(content, encoding="utf-8")
    return subprocess.run([EXE, "berakna", str(f)], capture_output=True, text=True, check=False)


def person(pid: str, roll: str, fodd: str, **kw: Any) -> dict[str, Any]:
    return {"id": pid, "roll": roll, "fodd": fodd, **kw}


CASES: list[tuple[str, dict[str, Any], str]] = [
    ("okänt fält", single(bonus=1), "bonus"),
    (
        "okänt fält i person",
        {"period": "2026-03", "hushall": [person("s", "sokande", "1990-01-01", ogonfarg="bla")]},
        "hushall[0].ogonfarg",
    ),
    ("okänd roll", {"period": "2026-03", "hushall": [person("s", "chef", "1990-01-01")]}, "hushall[0].roll"),
    ("okänd inkomsttyp", single(inkomster=[{"person": "s", "typ": "bitcoin", "belopp": 1}]), "inkomster[0].typ"),
    ("okänd kostnadstyp", single(kostnader=[{"typ": "resa", "belopp": 1}]), "kostnader[0].typ"),
    ("negativt belopp", single(inkomster=[{"person": "s", "typ": "lon", "belopp": -1}]), "inkomster[0].belopp"),
    ("belopp som text", single(kostnader=[{"typ": "boende", "belopp": "5000"}]), "kostnader[0].belopp"),
    ("belopp som sanningsvärde", single(kostnader=[{"typ": "boende", "belopp": True}]), "kostnader[0].belopp"),
    (
        "barn 21 år",
        {
            "period": "2026-03",
            "hushall": [person("s", "sokande", "1970-01-01"), person("b", "barn", "2005-01-01", skolgang=True)],
        },
        "hushall[1].fodd",
    ),
    (
        "19 år utan skolgång",
        {"period": "2026-03", "hushall": [person("s", "sokande", "1970-01-01"), person("b", "barn", "2007-01-01")]},
        "hushall[1].skolgang",
    ),
    (
        "två sökande",
        {"period": "2026-03", "hushall": [person("a", "sokande", "1970-01-01"), person("b", "sokande", "1970-01-01")]},
        "hushall[1].roll",
    ),
    (
        "två medsökande",
        {
            "period": "2026-03",
            "hushall": [
                person("a", "sokande", "1970-01-01"),
                person("b", "medsokande", "1970-01-01"),
                person("c", "medsokande", "1970-01-01"),
            ],
        },
        "hushall[2].roll",
    ),
    (
        "samma id två gånger",
        {"period": "2026-03", "hushall": [person("a", "sokande", "1970-01-01"), person("a", "barn", "2015-01-01")]},
        "hushall[1].id",
    ),
    ("inkomst för okänd person", single(inkomster=[{"person": "x", "typ": "lon", "belopp": 1}]), "inkomster[0].person"),
    (
        "hushållsgemenskap för liten",
        {
            "period": "2026-03",
            "gemensamt_hushall_antal": 1,
            "hushall": [person("a", "sokande", "1970-01-01"), person("b", "barn", "2015-01-01")],
        },
        "gemensamt_hushall_antal",
    ),
    (
        "jobbstimulansstart efter perioden",
        single(historik={"manader_i_folj": 9, "jobbstimulans_start": "2026-09"}),
        "historik.jobbstimulans_start",
    ),
    ("felaktig period", single("2026-3"), "period"),
    ("period som datum", single("2026-03-01"), "period"),
    ("period utan regler", single("2024-06"), "period"),
    (
        "ogiltigt födelsedatum",
        {"period": "2026-03", "hushall": [person("s", "sokande", "1990-02-30")]},
        "hushall[0].fodd",
    ),
    ("tomt hushåll", {"period": "2026-03", "hushall": []}, "hushall"),
    ("period saknas", {"hushall": [person("s", "sokande", "1990-01-01")]}, "period"),
    (
        "hittills på annan inkomsttyp",
        single(inkomster=[{"person": "s", "typ": "a_kassa", "belopp": 1, "hittills_i_ar": 5}]),
        "inkomster[0].hittills_i_ar",
    ),
]


@pytest.mark.parametrize(("label", "app", "field"), CASES, ids=[c[0] for c in CASES])
def test_engine_names_the_field(bundle: engine.RuleBundle, label: str, app: dict[str, Any], field: str) -> None:
    with pytest.raises(engine.InputError) as info:
        bundle.calculate(app)
    assert field in [p.field for p in info.value.problems], info.value.problems


@pytest.mark.parametrize(("label", "app", "field"), CASES, ids=[c[0] for c in CASES])
def test_cli_exit_2_and_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], label: str, app: dict[str, Any], field: str
) -> None:
    f = tmp_path / "a.json"
    f.write_text(json.dumps(app), encoding="utf-8")
    assert main(["berakna", str(f)]) == 2
    err = capsys.readouterr().err
    assert field in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("content", "suffix", "expected"),
    [
        ("period: '2026-03'\nhushall: [ {id: a\n", ".yaml", "ogiltig YAML"),
        ('{"period": "2026-03", "hushall": [', ".json", "ogiltig JSON"),
        ("period: '2026-03'\nperiod: '2026-04'\nhushall: []\n", ".yaml", "två gånger"),
        ('{"period": "2026-03", "period": "2026-04"}', ".json", "två gånger"),
        ("- just\n- a list\n", ".yaml", "objekt"),
        ("", ".yaml", "objekt"),
    ],
)
def test_broken_files_exit_2_without_traceback(tmp_path: Path, content: str, suffix: str, expected: str) -> None:
    proc = run_cli(tmp_path, content, suffix)
    assert proc.returncode == 2
    assert expected in proc.stderr
    assert "Traceback" not in proc.stderr


def test_missing_file_and_bad_flag(tmp_path: Path) -> None:
    proc = subprocess.run([EXE, "berakna", str(tmp_path / "finns-inte.yaml")], capture_output=True, text=True)
    assert proc.returncode == 2 and "filen finns inte" in proc.stderr
    proc = subprocess.run([EXE, "berakna", str(tmp_path), "--jamforelsetal", "abc"], capture_output=True, text=True)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr


def test_all_problems_reported_at_once(bundle: engine.RuleBundle) -> None:
    app = {
        "period": "2026-03",
        "gemensamt_hushall_antal": 1,
        "hushall": [
            person("a", "sokande", "1970-01-01"),
            person("b", "sokande", "1970-01-01"),
            person("c", "barn", "2000-01-01"),
        ],
        "inkomster": [{"person": "x", "typ": "lon", "belopp": 1}],
    }
    with pytest.raises(engine.InputError) as info:
        bundle.calculate(app)
    fields = {p.field for p in info.value.problems}
    assert {"hushall[1].roll", "hushall[2].fodd", "inkomster[0].person", "gemensamt_hushall_antal"} <= fields


def test_period_not_covered_names_missing_amounts(bundle: engine.RuleBundle) -> None:
    with pytest.raises(engine.PeriodNotCovered) as info:
        bundle.calculate(single("2027-02"))
    text = str(info.value)
    assert "riksnorm.vuxna.ensamstaende" in text and "februari 2027" in text
