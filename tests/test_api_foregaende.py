"""The previous decision from the decision log as the application's ``foregaende`` (SQLite and PostgreSQL)."""

from __future__ import annotations

import copy
from typing import Any

from tests.api_helpers import DECISION, auth, db_url, make_client  # noqa: F401 - db_url is a fixture
from tests.ssbtek_helpers import PNR_ANNA

FEBRUARY = {
    "period": "2026-02",
    "hushall": [{"id": "s", "roll": "sokande", "fodd": "1985-02-01", "personnummer": PNR_ANNA}],
    "inkomster": [{"person": "s", "typ": "sjukpenning", "belopp": 8000}],
    "kostnader": [{"typ": "boende", "belopp": 6000}],
}
MARCH = {
    "period": "2026-03",
    "hushall": [{"id": "sokande", "roll": "sokande", "fodd": "1985-02-01", "personnummer": PNR_ANNA}],
    "kostnader": [{"typ": "boende", "belopp": 7000}],
}


def _codes(body: dict[str, Any]) -> set[str]:
    return {d["kod"] for d in body["avvikelser"]}


def test_the_previous_decision_is_found_used_logged_and_recorded(db_url: str, tmp_path: Any) -> None:  # noqa: F811
    client, log = make_client(db_url)
    first = client.post("/v1/beslut", json={"ansokan": FEBRUARY, "beslut": DECISION}, headers=auth("handlaggare"))
    assert first.status_code == 201, first.text
    earlier = first.json()["id"]

    asked = {"ansokan": copy.deepcopy(MARCH), "foregaende_fran_beslutsloggen": True}
    r = client.post("/v1/berakningar", json=asked, headers=auth("handlaggare", anvandare="bertil"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["foregaende_beslut"] == earlier
    # the income follows the person by personnummer although the ids differ ("s" then, "sokande" now)
    assert {"INKOMST_SAKNAS_NU", "BOENDEKOSTNAD_ANDRAD"} <= _codes(body)
    said = [d["meddelande"] for d in body["avvikelser"] if d["kod"] == "INKOMST_SAKNAS_NU"]
    assert said and "Förra beslutet (2026-02) räknade sjukpenning" in said[0] and "sokande" in said[0]
    reads = [a for a in log.access_log(earlier) if a["handling"] == "foregaende"]
    assert len(reads) == 1 and reads[0]["anvandare"] == "bertil"

    plain = client.post("/v1/berakningar", json={"ansokan": MARCH}, headers=auth("handlaggare"))
    assert "INKOMST_SAKNAS_NU" not in _codes(plain.json()) and "foregaende_beslut" not in plain.json()

    other = client.post("/v1/berakningar", json=asked, headers=auth("handlaggare", kommun="0181"))
    assert other.status_code == 200 and other.json()["foregaende_beslut"] is None
    assert "INKOMST_SAKNAS_NU" not in _codes(other.json())

    second = client.post(
        "/v1/beslut",
        json={"ansokan": copy.deepcopy(MARCH), "beslut": DECISION, "foregaende_fran_beslutsloggen": True},
        headers=auth("handlaggare"),
    )
    assert second.status_code == 201, second.text
    assert second.json()["foregaende_beslut"] == earlier and "INKOMST_SAKNAS_NU" in _codes(second.json())
    stored = client.get(f"/v1/beslut/{second.json()['id']}", headers=auth("revisor")).json()
    assert stored["indata"]["ansokan"]["foregaende"]["inkomster"] == [
        {"person": "sokande", "typ": "sjukpenning", "belopp": 8000}
    ]
    replay = client.post(f"/v1/beslut/{second.json()['id']}/omprovning", headers=auth("revisor")).json()
    assert replay["identisk"] is True


def test_who_may_ask_and_what_is_needed(tmp_path: Any) -> None:
    client, _ = make_client(f"sqlite:///{tmp_path / 'b.sqlite3'}")
    asked = {"ansokan": copy.deepcopy(MARCH), "foregaende_fran_beslutsloggen": True}
    assert client.post("/v1/berakningar", json=asked, headers=auth("regelforvaltare")).status_code == 403
    nameless = copy.deepcopy(MARCH)
    del nameless["hushall"][0]["personnummer"]
    r = client.post(
        "/v1/berakningar",
        json={"ansokan": nameless, "foregaende_fran_beslutsloggen": True},
        headers=auth("handlaggare"),
    )
    assert r.status_code == 422 and "ansokan.hushall" in r.text and "personnummer" in r.text
    bad = {"ansokan": {"period": "2026-13"}, "foregaende_fran_beslutsloggen": True}
    r = client.post("/v1/berakningar", json=bad, headers=auth("handlaggare"))
    assert r.status_code == 422 and "period" in r.text
    none_yet = client.post("/v1/berakningar", json=asked, headers=auth("handlaggare"))
    assert none_yet.status_code == 200 and none_yet.json()["foregaende_beslut"] is None
