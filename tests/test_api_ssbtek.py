"""The API fetching agency data from SSBTEK (the fake server, real SOAP), and replay without the agency.

The persons in exempel/ssbtek/personer/ are synthetic: Anna gets bostadsbidrag 1 300 kr in the
control month (February 2026) that the application does not declare, and owns a car; Bo's a-kassa
went from 10 400 to 8 100 kr (22 % > 12 %), he is not registered with Arbetsförmedlingen, and CSN
answers with an error. Expected deviations follow from those files and the control rules.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ssbtek.fake import FakeSsbtek, serve
from tests.api_helpers import auth, make_client
from tests.conftest import ROOT
from tests.ssbtek_helpers import PNR_ANNA, PNR_BO

APPLICATION = {
    "period": "2026-03",
    "hushall": [
        {"id": "anna", "roll": "sokande", "fodd": "1985-02-01", "personnummer": PNR_ANNA},
        {"id": "bo", "roll": "medsokande", "fodd": "1990-01-01", "personnummer": PNR_BO},
    ],
    "inkomster": [
        {"person": "anna", "typ": "sjukpenning", "belopp": 9200},
        {"person": "bo", "typ": "a_kassa", "belopp": 8100},
    ],
    "kostnader": [{"typ": "boende", "belopp": 9800}, {"typ": "hushallsel", "belopp": 450}],
}
EXPECTED = [
    ("EJ_DEKLARERAD_INKOMST", "anna", "FK"),
    ("EJ_INSKRIVEN_AF", "bo", "AF"),
    ("FORDON", "anna", "TNS"),
    ("INKOMSTANDRING", "bo", "SO"),
    ("UPPGIFT_SAKNAS", "bo", "CSN"),
]
DECISION = {"utfall": "beviljat", "belopp": 1460, "motivering": "Behovet täcks inte av inkomsterna."}


@pytest.fixture
def persons(tmp_path: Path) -> Path:
    folder = tmp_path / "personer"
    shutil.copytree(ROOT / "exempel" / "ssbtek" / "personer", folder)
    return folder


@pytest.fixture
def fake(persons: Path) -> Iterator[FakeSsbtek]:
    server = serve(persons)
    yield server
    server.shutdown()


def _url(server: FakeSsbtek) -> str:
    host, port = server.server_address[:2]
    return f"http://{host}:{port}/"


def _client(tmp_path: Path, ssbtek_url: str | None) -> Any:
    client, _ = make_client(f"sqlite:///{tmp_path / 'beslut.sqlite3'}", ssbtek_url=ssbtek_url)
    return client


def _codes(result: dict[str, Any]) -> list[tuple[str, str, str]]:
    return sorted((d["kod"], d["person"], d["kalla"]) for d in result["avvikelser"])


def test_fetched_answers_give_the_deviations(fake: FakeSsbtek, tmp_path: Path) -> None:
    client = _client(tmp_path, _url(fake))
    r = client.post("/v1/berakningar", json={"ansokan": APPLICATION, "hamta_ssbtek": True}, headers=auth("handlaggare"))
    assert r.status_code == 200, r.text
    out = r.json()
    assert _codes(out) == EXPECTED
    assert out["forsorjningsstod"] == 1460  # 7 100 + 1 410 + 9 800 + 450 − 9 200 − 8 100
    assert fake.requests == 2  # one question per adult


def test_decision_keeps_the_answers_so_replay_needs_no_agency(persons: Path, tmp_path: Path) -> None:
    server = serve(persons)
    client = _client(tmp_path, _url(server))
    body = {"ansokan": APPLICATION, "hamta_ssbtek": True, "beslut": DECISION}
    r = client.post("/v1/beslut", json=body, headers=auth("handlaggare"))
    server.shutdown()  # the agency is gone (years later); the stored answers are not
    assert r.status_code == 201, r.text
    ident = r.json()["id"]
    stored = client.get(f"/v1/beslut/{ident}", headers=auth("revisor")).json()
    assert set(stored["indata"]["ssbtek"]) == {"anna", "bo"}
    assert _codes(stored["resultat"]) == EXPECTED
    again = client.post(f"/v1/beslut/{ident}/omprovning", headers=auth("revisor")).json()
    assert again["identisk"] is True and sorted(again["dagens_regler"]["avvikelser"]) == [c for c, _, _ in EXPECTED]


def test_no_answer_is_missing_data_never_zero(persons: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (persons / f"{PNR_ANNA}.yaml").write_text("fordrojning_sekunder: 2\nkallor: {}\n", encoding="utf-8")
    monkeypatch.setenv("EKBIST_SSBTEK_TIMEOUT", "0.3")
    monkeypatch.setenv("EKBIST_SSBTEK_FORSOK", "1")
    server = serve(persons)
    try:
        client = _client(tmp_path, _url(server))
        bo = {k: v for k, v in APPLICATION["hushall"][1].items() if k != "personnummer"}
        app = {**APPLICATION, "hushall": [APPLICATION["hushall"][0], bo]}
        body = {"ansokan": app, "hamta_ssbtek": True, "beslut": DECISION}
        r = client.post("/v1/beslut", json=body, headers=auth("handlaggare"))
    finally:
        server.shutdown()
    assert r.status_code == 201, r.text
    stored = client.get(f"/v1/beslut/{r.json()['id']}", headers=auth("revisor")).json()
    assert stored["indata"]["ssbtek_ej_svar"]["anna"]["felkod"] == "TRANSPORT"  # timed out
    assert stored["indata"]["ssbtek_ej_svar"]["bo"]["felkod"] == "PERSONNUMMER"  # cannot be asked
    result = stored["resultat"]
    missing = {(d["person"], d["kalla"]) for d in result["avvikelser"] if d["kod"] == "UPPGIFT_SAKNAS"}
    sources = {"FK", "PM", "CSN", "AF", "SO", "SKV", "TNS", "MIV"}
    assert missing == {(p, s) for p in ("anna", "bo") for s in sources}
    assert result["inkomster"] == 9200 + 8100  # what was declared; nothing read as zero or added
    again = client.post(f"/v1/beslut/{r.json()['id']}/omprovning", headers=auth("revisor")).json()
    assert again["identisk"] is True


def test_fetch_without_a_configured_service_is_refused(tmp_path: Path) -> None:
    client = _client(tmp_path, None)
    r = client.post("/v1/berakningar", json={"ansokan": APPLICATION, "hamta_ssbtek": True}, headers=auth("handlaggare"))
    assert r.status_code == 422 and r.json()["fel"][0]["falt"] == "hamta_ssbtek"
