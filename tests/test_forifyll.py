"""The renewed application: next month's application pre-filled from the household's last decision."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.api_helpers import LOG_KEY, auth, make_client

PNR = "198502011235"
APP = {
    "period": "2026-03",
    "hushall": [
        {"id": "s", "roll": "sokande", "fodd": "1985-02-01", "personnummer": PNR, "historik": {"manader_i_folj": 4}},
        {"id": "b", "roll": "barn", "fodd": "2018-05-05"},
    ],
    "inkomster": [{"person": "s", "typ": "barnbidrag", "belopp": 1250}],
    "kostnader": [{"typ": "boende", "belopp": 7000}, {"typ": "hushallsel", "belopp": 350}],
}


@pytest.fixture
def client(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, Any]]:
    monkeypatch.setenv("EKBIST_LOGG_NYCKEL", LOG_KEY)
    c, log = make_client(f"sqlite:///{tmp_path / 'beslut.sqlite3'}")
    yield c, log
    log.dispose()


def test_next_month_from_the_last_decision(client: tuple[Any, Any]) -> None:
    c, log = client
    decision = {"utfall": "beviljat", "belopp": 100, "motivering": "Enligt riksnormen."}
    ident = c.post("/v1/beslut", json={"ansokan": APP, "beslut": decision}, headers=auth("handlaggare")).json()["id"]
    # the short form of the same personnummer finds the same household
    r = c.post("/v1/ansokningar/forifyll", json={"personnummer": "850201-1235"}, headers=auth("handlaggare"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["fran_beslut"] == ident
    app = body["ansokan"]
    assert app["period"] == "2026-04"
    assert app["hushall"][0]["historik"] == {"manader_i_folj": 5}
    assert app["kostnader"] == APP["kostnader"] and app["inkomster"] == APP["inkomster"]
    assert body["att_bekrafta"] == ["hushall", "inkomster[0]", "kostnader[0]", "kostnader[1]"]
    assert c.post("/v1/berakningar", json={"ansokan": app}, headers=auth("handlaggare")).status_code == 200
    assert any(row["handling"] == "forifyll" and row["beslut_id"] == ident for row in log.access_log())
    # a later month: the history starts again
    later = c.post(
        "/v1/ansokningar/forifyll", json={"personnummer": PNR, "period": "2026-07"}, headers=auth("handlaggare")
    ).json()["ansokan"]
    assert later["period"] == "2026-07" and later["hushall"][0]["historik"] == {"manader_i_folj": 0}


def test_what_is_refused(client: tuple[Any, Any]) -> None:
    c, _ = client
    assert (
        c.post("/v1/ansokningar/forifyll", json={"personnummer": PNR}, headers=auth("handlaggare")).status_code == 404
    )
    bad = c.post("/v1/ansokningar/forifyll", json={"personnummer": "19850201-1234"}, headers=auth("handlaggare"))
    assert bad.status_code == 422 and bad.json()["fel"][0]["falt"] == "personnummer"
    assert "1234" not in bad.text
    other = c.post("/v1/ansokningar/forifyll", json={"personnummer": PNR}, headers=auth("regelforvaltare"))
    assert other.status_code == 403
    extra = c.post("/v1/ansokningar/forifyll", json={"personnummer": PNR, "x": 1}, headers=auth("handlaggare"))
    assert extra.status_code == 422


def _check(c: Any, app: dict[str, Any], **extra: Any) -> dict[str, Any]:
    r = c.post("/v1/ansokningar/kontroll", json={"ansokan": app, **extra}, headers=auth("handlaggare"))
    assert r.status_code == 200, r.text
    return dict(r.json())


def test_the_verifications_to_hand_in(client: tuple[Any, Any]) -> None:
    c, _ = client
    app = {
        "period": "2026-10",
        "hushall": [
            {
                "id": "s",
                "roll": "sökande",
                "fodd": "1985-02-01",
                "sjukdom": {"dagar_i_folj": 10},
                "historik": {"manader_i_folj": 6},
            },
            {"id": "m", "roll": "medsokande", "fodd": "1987-03-03"},
        ],
        "inkomster": [
            {"person": "s", "typ": "lön", "belopp": 3000},
            {"person": "m", "typ": "a_kassa", "belopp": 5000},
        ],
        "kostnader": [{"typ": "boende", "belopp": 8000}, {"typ": "hushållsel", "belopp": 400}],
    }
    body = _check(c, app)
    codes = sorted((u["kod"], u["person"]) for u in body["underlag"])
    assert codes == sorted(
        [
            ("LONESPECIFIKATION", "s"),
            ("UTBETALNINGSBESKED", "m"),  # no agency data shows the a-kassa
            ("HYRESAVI", None),
            ("KOSTNADSUNDERLAG", None),
            ("LAKARINTYG", "s"),  # sick ten days in a row, no certificate handed in (12 kap. 3 a §)
            ("AKTIVITETSRAPPORT", "s"),  # 4 a § from October 2026: six months in a row, no exemption
            ("KONTOUTDRAG", None),
        ]
    )
    intyg = next(u for u in body["underlag"] if u["kod"] == "LAKARINTYG")
    assert "12 kap. 3 a §" in intyg["lagrum"][0] and "sju dagar" in intyg["skal"]
    assert body["signatur"] == {"medsokande": "m", "saknas": True} and body["komplett"] is False
    assert "Medsökanden (m) behöver skriva under" in body["meddelande"]
    signed = _check(c, app, medsokande_har_signerat=True)
    assert signed["komplett"] is True and signed["signatur"]["saknas"] is False


def test_what_the_agencies_show_need_not_be_handed_in(client: tuple[Any, Any]) -> None:
    from tests.conftest import ROOT

    c, _ = client
    app = {
        "period": "2026-03",
        "hushall": [
            {"id": "anna", "roll": "sokande", "fodd": "1985-02-01", "personnummer": "198502011235"},
        ],
        "inkomster": [{"person": "anna", "typ": "sjukpenning", "belopp": 9200}],
    }
    answer = (ROOT / "exempel" / "ssbtek" / "svar-anna-2026-03.xml").read_text("utf-8")
    body = _check(c, app, ssbtek={"anna": answer})
    assert not any(u["kod"] == "UTBETALNINGSBESKED" for u in body["underlag"])
    shown = [u for u in body["behovs_inte"] if u["kod"] == "UTBETALNINGSBESKED"]
    assert shown and "Försäkringskassan" in shown[0]["skal"]


def test_fields_to_correct_and_changes_since_the_last_decision(client: tuple[Any, Any]) -> None:
    c, _ = client
    body = _check(c, {"period": "2026-03", "hushall": [{"id": "s", "roll": "chef", "fodd": "1985-02-01"}]})
    assert body["komplett"] is False and body["fel"][0]["falt"] == "hushall[0].roll"
    decision = {"utfall": "beviljat", "belopp": 100, "motivering": "Enligt riksnormen."}
    c.post("/v1/beslut", json={"ansokan": APP, "beslut": decision}, headers=auth("handlaggare"))
    bigger = {**APP, "period": "2026-04", "kostnader": [{"typ": "boende", "belopp": 9000}]}
    body = _check(c, bigger, foregaende_fran_beslutsloggen=True)
    assert "BOENDEKOSTNAD_ANDRAD" in {a["kod"] for a in body["andringar"]}


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("villkor: typ == 'lon' and belopp > 0", "villkor: okant > 0", "okant"),
        ('text: "Lönespecifikation för {person}s lön ({belopp} kr)"', 'text: "{okand}"', "{okand}"),
        ("fakta: hushall", "fakta: planet", "fakta"),
    ],
)
def test_a_broken_verification_rule_is_reported_by_validera(
    rule_root: Any, capsys: pytest.CaptureFixture[str], old: str, new: str, message: str
) -> None:
    from ekbist.cli import main

    root = rule_root()
    path = root / "regelverk" / "underlag" / "underlag.yaml"
    text = path.read_text("utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), "utf-8")
    assert main(["validera", str(root)]) == 1
    out = capsys.readouterr().out
    assert "underlag.yaml" in out and message in out
