"""``ekbist jamfor``: value-by-value changes, and an impact that adds up to the per-case differences.

The per-case differences come from ``ekbist berakna --regelrot`` on each side, the command a policy
editor would run by hand; the comparison's totals must be their sums.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

import engine
from ekbist.cli import main
from population import generate
from tests.api_helpers import APP, DECISION, KEYRING, LOG_KEY
from tests.conftest import ROOT

VERSION = engine.load_bundle(ROOT).version


def _root(tmp_path: Path, name: str) -> Path:
    root = tmp_path / name
    shutil.copytree(ROOT / "regelverk", root / "regelverk")
    shutil.copytree(ROOT / "normer", root / "normer")
    return root


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.fixture
def changed(tmp_path: Path) -> Path:
    b = _root(tmp_path, "b")
    _edit(b / "normer" / "riksnorm.yaml", "        varde: 3940", "        varde: 3990")
    _edit(b / "regelverk" / "regelverk.yaml", 'version: "', 'version: "test-')
    return b


def _json(capsys: pytest.CaptureFixture[str], args: list[str]) -> dict[str, Any]:
    assert main(args) == 0, capsys.readouterr().err
    return dict(json.loads(capsys.readouterr().out))


def test_totals_are_the_sums_of_what_berakna_gives(
    tmp_path: Path, changed: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a = _root(tmp_path, "a")
    apps = generate(30, 11, ["2026-02", "2026-05"])
    cases = tmp_path / "fall.jsonl"
    cases.write_text("".join(json.dumps(x) + "\n" for x in apps), encoding="utf-8")
    report = _json(capsys, ["jamfor", str(a), str(changed), "--fall", str(cases), "--utan-guldfall", "--json"])
    assert [c["text"] for c in report["andringar"]] == [
        "riksnorm.vuxna.ensamstaende 2026-01-01: 3 940 → 3 990",
        f"regelverk/regelverk.yaml: version {VERSION} → test-{VERSION}",
    ]
    sums = dict.fromkeys(report["fall"]["summa"], 0)
    changed_cases = 0
    for i, app in enumerate(apps):
        f = tmp_path / f"a{i}.json"
        f.write_text(json.dumps(app), encoding="utf-8")
        before = _json(capsys, ["berakna", str(f), "--json", "--regelrot", str(a)])
        after = _json(capsys, ["berakna", str(f), "--json", "--regelrot", str(changed)])
        diff = {k: after[k] - before[k] for k in sums}
        changed_cases += any(diff.values())
        for k in sums:
            sums[k] += diff[k]
    assert report["fall"]["summa"] == sums and report["fall"]["andrade"] == changed_cases
    assert report["fall"]["antal"] == 30 and sums["riksnorm"] > 0


def test_population_golden_cases_and_git_revision(changed: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["jamfor", str(ROOT), str(changed), "--population", "500", "--seed", "3"]
    report = _json(capsys, [*args, "--perioder", "2026-01:2026-12", "--arbetare", "2", "--json"])
    f = report["fall"]
    assert f["kallor"]["population"] == 500 and f["kallor"]["guldfall"] > 50
    assert f["andrade"] > 0 and f["statistik"]["riksnorm"]["max"] == 50 and f["statistik"]["riksnorm"]["min"] == 0
    single = "guldfall:01-ensamstaende-utan-inkomst.yaml"
    assert any(x["id"] == single and x["skillnad"]["forsorjningsstod"] == 50 for x in f["storsta"])
    assert {"typ": "norm", "id": "riksnorm.vuxna.ensamstaende", "fall": f["andrade"]} in f["orsaker"]
    assert report["b"]["version"].startswith("test-")
    # A git revision is a side too: the same revision on both sides changes nothing.
    same = _json(capsys, ["jamfor", "HEAD", "HEAD", "--utan-guldfall", "--population", "10", "--json"])
    assert same["andringar"] == [] and same["fall"]["andrade"] == 0 and same["a"]["kalla"] == "HEAD"


def test_same_label_is_flagged_and_text_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    b = _root(tmp_path, "b")
    _edit(b / "normer" / "riksnorm.yaml", "        varde: 3940", "        varde: 3990")
    assert main(["jamfor", str(ROOT), str(b), "--utan-guldfall", "--population", "20"]) == 0
    out = capsys.readouterr().out
    assert "VARNING: B har samma version" in out and "riksnorm.vuxna.ensamstaende 2026-01-01: 3 940 → 3 990" in out
    assert "Fall: 20 (population 20)" in out


def test_changes_value_by_value(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    b = _root(tmp_path, "b")
    _edit(b / "normer" / "riksnorm.yaml", 'lydelse: "förordning (2025:1046)"', 'lydelse: "förordning (2025:1047)"')
    _edit(b / "regelverk" / "kontroll" / "parametrar.yaml", "100", "150")
    _edit(
        b / "regelverk" / "berakning" / "40-resultat.yaml", "max(0, behov - inkomster)", "max(0, behov - inkomster - 0)"
    )
    report = _json(capsys, ["jamfor", str(ROOT), str(b), "--utan-guldfall", "--json"])
    texts = [c["text"] for c in report["andringar"]]
    assert any(t.startswith("riksnorm.vuxna.ensamstaende 2026-01-01: källa") and "2025:1047" in t for t in texts)
    assert any(t.startswith("forsorjningsstod version") and "behov - inkomster - 0" in t for t in texts)
    assert any(t.startswith("regelverk/kontroll/parametrar.yaml") for t in texts)


def test_decisions_from_a_log(
    tmp_path: Path, changed: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import engine
    from beslutslogg import DecisionLog

    monkeypatch.setenv("EKBIST_LOGG_NYCKEL", LOG_KEY)
    url = f"sqlite:///{tmp_path / 'b.sqlite3'}"
    log = DecisionLog(url, KEYRING)
    log.migrate()
    bundle = engine.load_bundle(ROOT)
    for _ in range(3):
        log.append(kommun="0180", anvandare="a", roll="handlaggare", indata={"ansokan": APP},
                   resultat=bundle.calculate(APP).to_dict(), beslut_data=DECISION, bundle=bundle)  # fmt: skip
    report = _json(capsys, ["jamfor", str(ROOT), str(changed), "--utan-guldfall", "--databas", url, "--json"])
    assert report["fall"]["kallor"] == {"beslut": 3} and report["fall"]["summa"]["forsorjningsstod"] == 150
    assert log.access_log("*")[-1]["handling"] == "jamfor"
    log.dispose()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["finns-inte", "."], "varken en katalog"),
        ([".", ".", "--population", "-1"], "--population"),
        ([".", ".", "--perioder", "2026-13:2026-12"], "--perioder"),
        ([".", ".", "--perioder", "2026-12:2026-01"], "efter den första"),
    ],
)
def test_bad_arguments(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    assert main(["jamfor", *args]) == 2
    assert message in capsys.readouterr().err


def test_a_broken_side_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    b = _root(tmp_path, "b")
    _edit(b / "normer" / "riksnorm.yaml", "        varde: 3940", "        varde: 39x0")
    assert main(["jamfor", str(ROOT), str(b)]) == 2
    assert "normer/riksnorm.yaml" in capsys.readouterr().err


def test_testa_uppdatera_writes_computed_values_after_asking(
    tmp_path: Path, changed: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    cases = tmp_path / "fall"
    shutil.copytree(ROOT / "tests" / "golden" / "2025-2026", cases)
    before = {p.name: p.read_text(encoding="utf-8") for p in cases.glob("*.yaml")}
    monkeypatch.setattr("builtins.input", lambda prompt: "n")
    assert main(["testa", str(cases), "--regelrot", str(changed), "--uppdatera"]) == 1
    assert "Inget ändrat." in capsys.readouterr().out
    assert {p.name: p.read_text(encoding="utf-8") for p in cases.glob("*.yaml")} == before
    assert main(["testa", str(cases), "--regelrot", str(changed), "--uppdatera", "--ja"]) == 0
    out = capsys.readouterr().out
    assert "uppdaterat" in out and "Kontrollera mot lagtexten" in out
    assert main(["testa", str(cases), "--regelrot", str(changed)]) == 0
    capsys.readouterr()
    after = (cases / "g04-alder-ettarsgrans.yaml").read_text(encoding="utf-8")
    old = before["g04-alder-ettarsgrans.yaml"]
    # only the expected values change (+50 kr for the single adult): application, description, layout stay
    assert after.split("forvantat:")[0] == old.split("forvantat:")[0]
    assert "forvantat: {riksnorm: 11530," in old and "forvantat: {riksnorm: 11580," in after
    couple = "g03-sambor-utan-barn-2026.yaml"  # couples are not touched by the single adult's amount
    assert (cases / couple).read_text(encoding="utf-8") == before[couple]


def test_every_kind_of_change_is_named() -> None:
    """Table rows, new and removed values, derivations, rule versions, the manifest, controls and files."""
    import engine
    import jamfor

    a = engine.read_rule_files(ROOT)
    b = dict(a)

    def edit(name: str, old: str, new: str) -> None:
        assert old in b[name], (name, old)
        b[name] = b[name].replace(old, new, 1)

    edit(
        "normer/riksnorm.yaml",
        "- {alder_fran: 19, alder_till: 20, belopp: 5000}",
        "- {alder_fran: 19, alder_till: 20, belopp: 5010}",
    )
    edit("normer/riksnorm.yaml", "          - {alder_fran: 15, alder_till: 18, belopp: 4960}\n", "")
    edit(
        "normer/riksnorm.yaml",
        "formel: avrunda(varde * norm.jamforelsetal * norm.riksnorm.upprakning, 10)\n"
        "          kolumner: [belopp, utan_lunch]",
        "formel: avrunda(varde * norm.jamforelsetal * norm.riksnorm.upprakning, 1)\n"
        "          kolumner: [belopp, utan_lunch]",
    )
    edit(
        "normer/inkomstregler.yaml",
        "      - giltig_fran: 2025-07-01\n        varde: 0.25\n",
        "      - giltig_fran: 2025-07-01\n        giltig_till: 2029-12-31\n        varde: 0.25\n",
    )
    edit("regelverk/regelverk.yaml", 'version: "', 'version: "prov-')
    edit("regelverk/kontroll/parametrar.yaml", "100", "150")
    del b["regelverk/kommuner/9999.yaml"]
    b["regelverk/kommuner/9998.yaml"] = a["regelverk/kommuner/9999.yaml"].replace('kommun: "9999"', 'kommun: "9998"')
    ctl = "regelverk/kontroll/50-kommunala-riktlinjer.yaml"
    edit(ctl, "allvarlighet: kontrollera", "allvarlighet: utred")
    res = "regelverk/berakning/40-resultat.yaml"
    edit(res, "max(0, behov - inkomster)", "max(0, behov - inkomster - 0)")
    texts = [c["text"] for c in jamfor.changes(engine.load_bundle_from_files(a), engine.load_bundle_from_files(b))]
    joined = "\n".join(texts)
    assert "riksnorm.barn 2026-01-01, rad alder_fran=19, belopp: 5 000 → 5 010" in texts
    assert "riksnorm.barn 2026-01-01: borttagen rad alder_fran=15" in texts
    assert any(t.startswith("riksnorm.barn 2027-01-01: härlett: avrunda(") and t.endswith(", 1)") for t in texts)
    assert "jobbstimulans.andel 2025-07-01: giltig till tills vidare → 2029-12-31" in texts
    assert any(t.startswith("regelverk/regelverk.yaml: version ") and "prov-" in t for t in texts)
    assert "regelverk/kommuner/9999.yaml: borttagen fil" in texts and "regelverk/kommuner/9998.yaml: ny fil" in texts
    assert any(t.startswith("kommun.9998.tak.boende: ny norm") for t in texts)
    assert any(t.startswith("kommun.9999.tak.boende: borttagen norm") for t in texts)
    assert f"{ctl}: kapad_kostnad ändrad (allvarlighet)" in texts
    assert "forsorjningsstod version 2025-01-01: formeln" in joined
    # nothing else: a comment-only edit is no change
    c = dict(a)
    c[res] = "# en kommentar\n" + a[res]
    assert jamfor.changes(engine.load_bundle_from_files(a), engine.load_bundle_from_files(c)) == []
