"""Rule files are checked strictly; every problem names file, line and key."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

import engine
from ekbist.cli import main
from tests.conftest import ROOT, single

RIKSNORM = "regelverk/berakning/10-riksnorm.yaml"
NORMER = "normer/riksnorm.yaml"


def edit(root: Path, rel: str, old: str, new: str) -> None:
    p = root / rel
    text = p.read_text(encoding="utf-8")
    assert old in text, old
    p.write_text(text.replace(old, new, 1), encoding="utf-8")


def line_of(root: Path, rel: str, needle: str) -> int:
    for i, line in enumerate((root / rel).read_text(encoding="utf-8").splitlines(), 1):
        if needle in line:
            return i
    raise AssertionError(needle)


def problems(root: Path) -> list[engine.RuleProblem]:
    found = engine.check_bundle(root)
    assert found, "expected problems"
    return found


def test_shipped_rules_are_valid(capsys: pytest.CaptureFixture[str]) -> None:
    assert engine.check_bundle(ROOT) == []
    assert main(["validera"]) == 0
    assert "Regelfilerna är giltiga" in capsys.readouterr().out


def test_misspelt_key_is_refused_with_line(rule_root: Callable[[], Path]) -> None:
    root = rule_root()
    edit(
        root,
        NORMER,
        "        giltig_till: 2026-12-31\n        varde: 3940",
        "        giltig_tll: 2026-12-31\n        varde: 3940",
    )
    [p] = problems(root)
    assert p.file == NORMER and p.line == line_of(root, NORMER, "giltig_tll")
    assert p.key.endswith("giltig_tll") and "okänd nyckel" in p.message


def test_one_mistake_in_a_norm_file_is_one_problem(rule_root: Callable[[], Path]) -> None:
    """A policy officer entering the jämförelsetal with a wrong key sees that key, not a cascade
    about the 2027 amounts whose reference values sit in the same (now unreadable) file."""
    root = rule_root()
    edit(
        root,
        "normer/riksnorm-2027.yaml",
        "    varden: []\n",
        "    varden:\n      - {giltig_fran: 2027-01-01, varde: 1.05, kalla: {utgivare: SCB}}\n",
    )
    [p] = problems(root)
    assert p.file == "normer/riksnorm-2027.yaml" and "utgivare" in p.message + str(p)


def test_cli_validera_reports_file_and_line(rule_root: Callable[[], Path], capsys: pytest.CaptureFixture[str]) -> None:
    root = rule_root()
    edit(root, RIKSNORM, "formel: antal_vuxna == 2", "formel: antal_vuxen == 2")
    assert main(["validera", str(root)]) == 1
    out = capsys.readouterr().out
    line = line_of(root, RIKSNORM, "antal_vuxen")
    assert f"{RIKSNORM}:{line}" in out and "okänt namn 'antal_vuxen'" in out


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("formel: antal_vuxna == 2", "formel: \"__import__('os').system('true')\"", "bara namngivna funktioner"),
        ("formel: antal_vuxna == 2", 'formel: "(lambda: 1)()"', "namngivna funktioner"),
        ("formel: antal_vuxna == 2", 'formel: "[x for x in (1, 2)]"', "inte tillåtet"),
        ("formel: antal_vuxna == 2", "formel: norm.riksnorm.barn[0]", "inte tillåtet"),
        ("formel: antal_vuxna == 2", "formel: antal_vuxna.__class__", "punktnamn"),
        ("formel: antal_vuxna == 2", "formel: eval('1')", "okänd funktion 'eval'"),
        ("formel: antal_vuxna == 2", "formel: antal_vuxna +", "går inte att tolka"),
        ("formel: antal_vuxna == 2", "formel: antal_vuxna + 2", "ger tal men regeln är av typ villkor"),
        ("formel: antal_vuxna == 2", "formel: alder == 2", "gäller en person"),
        ("formel: antal_vuxna == 2", "formel: norm.riksnorm.finns_inte == 2", "okänd norm"),
        (
            "intervall(norm.riksnorm.barn, alder, 'belopp'))",
            "intervall(norm.riksnorm.barn, alder, 'beloppp'))",
            "inte ett giltigt värde",
        ),
    ],
)
def test_bad_formulas(rule_root: Callable[[], Path], old: str, new: str, message: str) -> None:
    root = rule_root()
    edit(root, RIKSNORM, old, new)
    found = problems(root)
    assert any(message in p.message for p in found), found
    assert all(p.line is not None for p in found)


def test_unknown_income_type_literal(rule_root: Callable[[], Path]) -> None:
    root = rule_root()
    edit(root, "regelverk/berakning/30-inkomster.yaml", "inkomst('fritidskort')", "inkomst('fritids_kort')")
    assert any("'fritids_kort' är inte ett giltigt värde" in p.message for p in problems(root))


def test_cycle_is_reported(rule_root: Callable[[], Path]) -> None:
    root = rule_root()
    edit(
        root,
        RIKSNORM,
        "formel: personliga_kostnader_vuxna + personliga_kostnader_barn",
        "formel: personliga_kostnader_vuxna + personliga_kostnader_barn + riksnorm",
    )
    assert any("cirkelberoende" in p.message for p in problems(root))


def test_overlapping_norm_values(rule_root: Callable[[], Path]) -> None:
    root = rule_root()
    edit(
        root,
        NORMER,
        "      - giltig_fran: 2026-01-01\n        giltig_till: 2026-12-31\n        varde: 3940",
        "      - giltig_fran: 2025-12-01\n        giltig_till: 2026-12-31\n        varde: 3940",
    )
    assert any("överlappar" in p.message for p in problems(root))


def test_duplicate_yaml_key(rule_root: Callable[[], Path]) -> None:
    root = rule_root()
    edit(root, NORMER, "        varde: 3940\n", "        varde: 3940\n        varde: 4940\n")
    [p] = problems(root)
    assert "två gånger" in p.message and p.line == line_of(root, NORMER, "varde: 4940")


def test_broken_yaml(rule_root: Callable[[], Path]) -> None:
    root = rule_root()
    edit(root, NORMER, "kolumner: [antal_personer, belopp]", "kolumner: [antal_personer, belopp")
    [p] = problems(root)
    assert p.file == NORMER and "ogiltig YAML" in p.message and p.line is not None


def test_template_must_name_values_the_rule_reads(rule_root: Callable[[], Path]) -> None:
    root = rule_root()
    edit(root, RIKSNORM, "Ensamstående vuxen}", "Ensamstående vuxen {prisbasbelopp}}")
    assert any("{prisbasbelopp}" in p.message for p in problems(root))


def test_rule_using_rule_outside_its_validity(rule_root: Callable[[], Path]) -> None:
    root = rule_root()
    edit(
        root,
        RIKSNORM,
        "      - giltig_fran: 2025-01-01\n        formel: antal_vuxna == 2",
        "      - giltig_fran: 2025-03-01\n        formel: antal_vuxna == 2",
    )
    assert any("använder regeln 'sambor', som inte gäller" in p.message for p in problems(root))


def test_version_without_lagrum(rule_root: Callable[[], Path]) -> None:
    root = rule_root()
    edit(
        root,
        "regelverk/berakning/20-kostnader.yaml",
        "      - giltig_fran: 2025-07-01\n",
        "      - giltig_fran: 2025-08-01\n",
    )
    assert any("inget lagrum gäller 2025-07-01" in p.message for p in problems(root))


def test_norm_value_needs_a_source(rule_root: Callable[[], Path]) -> None:
    root = rule_root()
    edit(
        root,
        "normer/prisbasbelopp.yaml",
        '          sfs: "2010:110"\n          kapitel: 2\n          paragraf: "6–7"\n'
        "          titel: Prisbasbelopp för 2023 fastställt (regeringen.se)\n"
        "          url: https://www.regeringen.se/artiklar/2022/09/prisbasbelopp-for-2023-faststallt/\n",
        "          titel: ingen källa\n",
    )
    assert any("källa behöver" in p.message for p in problems(root))


def test_edited_amount_changes_result_and_hash(rule_root: Callable[[], Path], bundle: engine.RuleBundle) -> None:
    root = rule_root()
    edit(root, NORMER, "        varde: 3940", "        varde: 3950")
    edited = engine.load_bundle(root)
    assert edited.hash != bundle.hash
    assert edited.calculate(single("2026-03"))["riksnorm"] == 3950 + 1280
    assert bundle.calculate(single("2026-03"))["riksnorm"] == 3940 + 1280


def test_bundle_from_stored_files_is_identical(bundle: engine.RuleBundle) -> None:
    again = engine.load_bundle_from_files(dict(bundle.files))
    assert again.hash == bundle.hash
    assert again.calculate(single()).to_dict() == bundle.calculate(single()).to_dict()


def test_missing_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validera", str(tmp_path)]) == 1
    assert "saknas" in capsys.readouterr().out


def test_broken_rules_make_berakna_exit_2(
    rule_root: Callable[[], Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = rule_root()
    edit(root, NORMER, "kolumner: [antal_personer, belopp]", "kolumner: [antal_personer, belopp")
    app = tmp_path / "a.yaml"
    app.write_text("period: '2026-03'\nhushall:\n  - {id: s, roll: sokande, fodd: 1990-01-01}\n", encoding="utf-8")
    assert main(["berakna", str(app), "--regelrot", str(root)]) == 2
    assert "ekbist validera" in capsys.readouterr().err


def test_the_shipped_rules_are_established_under_their_version_label() -> None:
    """Changed rule files need a new label in regelverk.yaml and ``ekbist validera --faststall``."""
    from ekbist import _versions

    bundle = engine.load_bundle(ROOT)
    found = _versions.status(ROOT, bundle.version, bundle.hash)
    assert found.kind == "fastställd", found.message
    labels = _versions.read(ROOT)
    assert len(set(labels.values())) == len(labels)  # no two labels for one content


def test_a_version_label_is_established_once_and_never_reused(
    rule_root: Callable[[], Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """Edit → warning until a new label is established; a label established for other content is refused."""
    root = rule_root()
    register = root / "regelverk" / "versioner.txt"
    edit(root, NORMER, "        varde: 3940", "        varde: 3990")
    assert main(["validera", str(root)]) == 0
    out = capsys.readouterr().out
    assert "VARNING" in out and "regelverk/regelverk.yaml:" in out and "ny version" in out
    assert main(["validera", str(root), "--faststall"]) == 1  # the old label keeps its old content
    assert "VARNING" in capsys.readouterr().out
    before = register.read_text(encoding="utf-8")

    edit(root, "regelverk/regelverk.yaml", 'version: "', 'version: "prov-')
    assert main(["validera", str(root)]) == 0
    assert "inte fastställd än" in capsys.readouterr().out
    assert register.read_text(encoding="utf-8") == before  # checking alone writes nothing
    assert main(["validera", str(root), "--faststall"]) == 0
    assert "fastställd med innehållet sha256:" in capsys.readouterr().out
    added = register.read_text(encoding="utf-8")[len(before) :].split()
    label = engine.load_bundle(root)
    assert added[:2] == [label.version, label.hash] and added[0].startswith("prov-")
    assert main(["validera", str(root), "--faststall"]) == 0  # establishing again changes nothing
    assert "är fastställd med detta innehåll" in capsys.readouterr().out
    assert len(register.read_text(encoding="utf-8").splitlines()) == len(before.splitlines()) + 1


def test_the_register_is_started_when_missing(rule_root: Callable[[], Path]) -> None:
    from datetime import date

    from ekbist import _versions

    root = rule_root()
    (root / "regelverk" / "versioner.txt").unlink()
    assert _versions.read(root) == {}
    assert _versions.status(root, "v1", "sha256:a").kind == "ny"
    assert _versions.establish(root, "v1", "sha256:a", date(2027, 1, 2)).kind == "fastställd"
    text = (root / "regelverk" / "versioner.txt").read_text(encoding="utf-8")
    assert text.startswith("# Fastställda") and text.endswith("v1 sha256:a 2027-01-02\n")
    assert _versions.status(root, "v1", "sha256:b").kind == "ändrad"
