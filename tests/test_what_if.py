"""What-if (``--anta``, ``antaganden``): the base and the alternative from the same application.

Expected figures by hand from the case in exempel/02 (sambor, two children, January 2026; its own
hand-computed expectations: riksnorm 16 240, skäliga kostnader 11 220, behov 27 460, inkomster 16 500,
försörjningsstöd 10 960) and SoF (2025:468) 12 kap. 2 § for 2026: sambor 7 100 kr, ensamstående 3 940 kr.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import engine
from ekbist.cli import main
from tests.api_helpers import auth, make_client
from tests.conftest import ROOT

CASE = str(ROOT / "exempel" / "02-sambor-tva-barn-lon.yaml")
BASE = {"riksnorm": 16240, "skaliga_kostnader": 11220, "behov": 27460, "inkomster": 16500, "forsorjningsstod": 10960}


def _json(capsys: pytest.CaptureFixture[str], *anta: str) -> dict[str, Any]:
    args = ["berakna", CASE, "--json"]
    for a in anta:
        args += ["--anta", a]
    assert main(args) == 0
    out: dict[str, Any] = json.loads(capsys.readouterr().out)
    return out


def test_an_amount_assumed(capsys: pytest.CaptureFixture[str]) -> None:
    out = _json(capsys, "riksnorm.vuxna.sambor=7200")
    bas, alt = out["bas"], out["alternativ"]
    assert {k: bas[k] for k in BASE} == BASE
    assert alt["riksnorm"] == 16240 + 100 and alt["behov"] == 27460 + 100 and alt["forsorjningsstod"] == 10960 + 100
    assert alt["skaliga_kostnader"] == 11220 and alt["inkomster"] == 16500
    assert out["antaganden"] == [{"namn": "riksnorm.vuxna.sambor", "varde": 7200, "typ": "norm"}]
    # the alternative's trace names the assumed value; the base's does not
    assumed = alt["normer"]["riksnorm.vuxna.sambor"]
    assert assumed["antagande"] is True and assumed["varde"] == 7200 and "antaget" in assumed["kalla"]
    assert (
        bas["normer"]["riksnorm.vuxna.sambor"]["varde"] == 7100
        and "antagande" not in bas["normer"]["riksnorm.vuxna.sambor"]
    )
    assert alt["antaganden"] == out["antaganden"] and "antaganden" not in bas


def test_a_rule_assumed_and_a_condition(capsys: pytest.CaptureFixture[str]) -> None:
    out = _json(capsys, "skaliga_kostnader=0")
    alt = out["alternativ"]
    assert alt["skaliga_kostnader"] == 0 and alt["behov"] == 16240 and alt["forsorjningsstod"] == 0
    assert alt["overskott"] == 16500 - 16240
    line = next(e for e in alt["trace"] if e["regel"] == "skaliga_kostnader")
    assert line["antagande"] is True
    # "what if they were not sambor": one adult's amount, 3 940 instead of the couple's 7 100
    out = _json(capsys, "sambor=nej")
    assert out["alternativ"]["riksnorm"] == 16240 - 7100 + 3940
    assert out["antaganden"] == [{"namn": "sambor", "varde": False, "typ": "regel"}]


def test_text_shows_both_side_by_side(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["berakna", CASE, "--anta", "riksnorm.vuxna.sambor=7200"]) == 0
    out = capsys.readouterr().out.replace("\u00a0", " ")
    assert out.startswith("VAD HÄNDER OM – FÖRSÖRJNINGSSTÖD")
    assert "riksnorm.vuxna.sambor (norm) = 7200" in out
    row = next(line for line in out.splitlines() if line.strip().startswith("Försörjningsstöd "))
    assert "+100 kr" in row and "10 960 kr" in row and "11 060 kr" in row


@pytest.mark.parametrize(
    ("anta", "message"),
    [
        ("riksnorm.vuxna.okand=1", "--anta.riksnorm.vuxna.okand: 'riksnorm.vuxna.okand' är varken en norm"),
        ("riksnorm.barn=1", "en tabell kan inte antas i sin helhet"),
        ("riksnorm.vuxna.sambor=7200,5", "ange hela kronor, inte 7200.5"),
        ("riksnorm.vuxna.sambor=mycket", "'mycket' är inget tal"),
        ("riksnorm.vuxna.sambor=" + "9" * 40, "talet är för stort"),
        ("riksnorm.vuxna.sambor=Infinity", "ange ett ändligt tal"),
        ("sambor=kanske", "regeln 'sambor' är ett villkor: ange true eller false"),
        ("skaliga_kostnader=1.5", "regeln 'skaliga_kostnader' är ett belopp: ange hela kronor"),
        ("utan-likhetstecken", "'utan-likhetstecken' ska skrivas NAMN=VÄRDE"),
    ],
)
def test_bad_assumptions_exit_2_naming_the_field(capsys: pytest.CaptureFixture[str], anta: str, message: str) -> None:
    assert main(["berakna", CASE, "--anta", anta]) == 2
    assert message in capsys.readouterr().err


def test_jobbstimulans_share_as_a_number() -> None:
    bundle = engine.load_bundle(ROOT)
    parsed = engine.parse_assumptions(bundle, {"jobbstimulans.andel": "0,3", "sambor": True}, "x")
    assert (
        parsed.norms["jobbstimulans.andel"]
        == engine.parse_assumptions(bundle, {"jobbstimulans.andel": 0.3}).norms["jobbstimulans.andel"]
    )
    assert parsed.rules == {"sambor": True} and bool(parsed)
    assert not engine.parse_assumptions(bundle, {})
    with pytest.raises(engine.InputError) as exc:
        engine.parse_assumptions(bundle, {"prisbasbelopp": True, "sambor": 1}, "")
    fields = {p.field for p in exc.value.problems}
    assert fields == {"prisbasbelopp", "sambor"}


def test_the_api_computes_a_what_if_and_never_records_one(tmp_path: Path) -> None:
    client, _ = make_client(f"sqlite:///{tmp_path / 'w.sqlite3'}")
    import yaml

    app = yaml.safe_load(Path(CASE).read_text(encoding="utf-8"))["ansokan"]
    with client:
        r = client.post(
            "/v1/berakningar",
            json={"ansokan": app, "antaganden": {"riksnorm.vuxna.sambor": 7200}},
            headers=auth("regelforvaltare"),
        )
        assert r.status_code == 200, r.text
        out = r.json()
        assert out["bas"]["forsorjningsstod"] == 10960 and out["alternativ"]["forsorjningsstod"] == 11060
        assert out["antaganden"] == [{"namn": "riksnorm.vuxna.sambor", "varde": 7200, "typ": "norm"}]
        bad = client.post(
            "/v1/berakningar", json={"ansokan": app, "antaganden": {"x.y": 1}}, headers=auth("regelforvaltare")
        )
        assert bad.status_code == 422 and bad.json()["fel"][0]["falt"] == "antaganden.x.y"
        record = client.post(
            "/v1/beslut",
            json={
                "ansokan": app,
                "antaganden": {"riksnorm.vuxna.sambor": 7200},
                "beslut": {"utfall": "beviljat", "belopp": 11060, "motivering": "prov"},
            },
            headers=auth("handlaggare"),
        )
        assert record.status_code == 422 and "antaganden" in record.text
