"""The golden cases (hand-computed from the statute tables) and the shared examples."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import engine
from ekbist import golden
from tests.conftest import ROOT, SHARED, SHARED_EXAMPLES

CASES = golden.case_files([ROOT / "tests" / "golden"])
SHARED_CASES = sorted(SHARED_EXAMPLES.glob("*.yaml"))


def test_enough_own_cases() -> None:
    own = [c for c in CASES if SHARED_EXAMPLES not in c.parents]
    positive = [c for c in own if "forvantat:" in c.read_text(encoding="utf-8")]
    assert len(positive) >= 30


def test_shared_examples_are_unchanged_copies() -> None:
    originals = SHARED / "exempel"
    if not originals.is_dir():
        pytest.skip("../shared finns inte bredvid projektet; kopiorna i tests/golden/delade används")
    ours = {p.name: p.read_bytes() for p in SHARED_CASES}
    theirs = {p.name: p.read_bytes() for p in sorted(originals.glob("*.yaml"))}
    assert ours == theirs, "tests/golden/delade ska vara exakta kopior av ../shared/exempel"


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.name)
def test_case(path: Path, bundle: engine.RuleBundle) -> None:
    outcome = golden.run_case(path, golden.default_compute(bundle))
    assert outcome.ok, (outcome.error, outcome.differences)


@pytest.mark.parametrize("path", SHARED_CASES, ids=lambda p: p.name)
def test_shared_example_through_cli_json(path: Path, tmp_path: Path) -> None:
    """As a user (and the stop hook) runs it: the bare application as JSON, `ekbist berakna --json`."""
    case = yaml.safe_load(path.read_text(encoding="utf-8"))
    app = tmp_path / "ansokan.json"
    app.write_text(json.dumps(case["ansokan"], default=str), encoding="utf-8")
    exe = Path(sys.executable).parent / "ekbist"
    proc = subprocess.run([str(exe), "berakna", str(app), "--json"], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    got = json.loads(proc.stdout)
    for key, want in case["forvantat"].items():
        assert got[key] == want, key


def test_failing_case_shows_expected_and_computed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from ekbist.cli import main

    case = tmp_path / "fel.yaml"
    case.write_text(
        "namn: medvetet fel\nansokan:\n  period: '2026-03'\n  hushall:\n"
        "    - {id: s, roll: sokande, fodd: 1990-01-01}\nforvantat: {riksnorm: 5000}\n",
        encoding="utf-8",
    )
    assert main(["testa", str(case)]) == 1
    out = capsys.readouterr().out
    assert "riksnorm: förväntat 5000, beräknat 5220" in out
    assert "1 fall: 0 godkända, 1 fel." in out


@pytest.mark.parametrize(
    ("text", "ok", "says"),
    [
        ("ansokan: [\n", False, "fallet kan inte läsas"),
        ("ansokan: {period: '2026-03', hushall: [{id: s, roll: sokande, fodd: 1990-01-01}]}\n", False, "saknar"),
        ("ansokan: {period: '2026-13'}\nforvantat: {riksnorm: 1}\n", False, "ansökan vägrades"),
        ("ansokan: {period: '2026-13'}\nforvantat_fel: {falt: period}\n", True, None),
        ("ansokan: {period: '2026-13'}\nforvantat_fel: inkomster\n", False, "forvantat_fel.falt"),
        (
            "ansokan: {period: '2026-03', hushall: [{id: s, roll: sokande, fodd: 1990-01-01}]}\n"
            "forvantat_fel: {falt: period}\n",
            False,
            "forvantat_fel",
        ),
        (
            "ansokan: {period: '2026-03', hushall: [{id: s, roll: sokande, fodd: 1990-01-01}]}\n"
            "forvantat: {regler: {riksnorm.personlig: 1}, avvikelser: [UPPGIFT_SAKNAS]}\n",
            False,
            "regler.riksnorm.personlig",
        ),
        (
            "ansokan: {period: '2026-03', hushall: [{id: s, roll: sokande, fodd: 1990-01-01}]}\n"
            "ssbtek: {x: {kallor: {}}}\nforvantat: {avvikelser: []}\n",
            False,
            "ssbtek.x",
        ),
        (
            "ansokan: {period: '2026-03', hushall: [{id: s, roll: sokande, fodd: 1990-01-01}]}\n"
            "ssbtek: [1]\nforvantat: {avvikelser: []}\n",
            False,
            "ssbtek",
        ),
    ],
)
def test_case_outcomes(tmp_path: Path, bundle: engine.RuleBundle, text: str, ok: bool, says: str | None) -> None:
    path = tmp_path / "fall.yaml"
    path.write_text(text, encoding="utf-8")
    outcome = golden.run_case(path, golden.default_compute(bundle))
    assert outcome.ok is ok, outcome
    if says:
        assert says in (outcome.error or "") + repr(outcome.differences)


def test_update_case_rewrites_json_in_place(tmp_path: Path) -> None:
    path = tmp_path / "fall.json"
    path.write_text('{"namn": "x", "ansokan": {}, "forvantat": {"riksnorm": 1, "regler": {"a": 1}}}', encoding="utf-8")
    golden.update_case(path, [("riksnorm", 1, 2), ("regler.a", 1, 3), ("avvikelser", [], [("KOD", "s")])])
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["forvantat"] == {"riksnorm": 2, "regler": {"a": 3}, "avvikelser": [{"kod": "KOD", "person": "s"}]}
    assert list(data) == ["namn", "ansokan", "forvantat"]
