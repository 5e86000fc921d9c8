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
