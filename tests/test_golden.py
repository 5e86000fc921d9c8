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
