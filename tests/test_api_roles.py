"""Every role against every endpoint, in its own kommun and in another."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.api_helpers import APP, DECISION, KEY, auth, make_client, rule_copy  # noqa: F401

ROLES = ("handlaggare", "revisor", "regelforvaltare")
# endpoint → role → expected status in own kommun / other kommun (None: same as own). A decision of
# another kommun is 404, like one that does not exist.
MATRIX: dict[str, dict[str, tuple[int, int | None]]] = {
    "POST /v1/berakningar": {"handlaggare": (200, None), "revisor": (403, None), "regelforvaltare": (200, None)},
    "GET /v1/regelverk": {"handlaggare": (200, None), "revisor": (200, None), "regelforvaltare": (200, None)},
    "GET /v1/normer": {"handlaggare": (200, None), "revisor": (200, None), "regelforvaltare": (200, None)},
    "POST /v1/beslut": {"handlaggare": (201, None), "revisor": (403, None), "regelforvaltare": (403, None)},
    "GET /v1/beslut": {"handlaggare": (200, None), "revisor": (200, None), "regelforvaltare": (403, None)},
    "GET /v1/beslut/{id}": {"handlaggare": (200, 404), "revisor": (200, 200), "regelforvaltare": (403, 403)},
    "POST /v1/beslut/{id}/omprovning": {
        "handlaggare": (200, 404),
        "revisor": (200, 200),
        "regelforvaltare": (403, 403),
    },
    "GET /v1/beslut/{id}/forklaring": {"handlaggare": (200, 404), "revisor": (200, 200), "regelforvaltare": (403, 403)},
    "POST /v1/beslut/{id}/lank": {"handlaggare": (200, 404), "revisor": (200, 200), "regelforvaltare": (403, 403)},
    "GET /v1/beslut/{id}/atkomst": {"handlaggare": (403, 403), "revisor": (200, 200), "regelforvaltare": (403, 403)},
    "POST /v1/beslut/{id}/aterkrav": {"handlaggare": (200, 404), "revisor": (200, 200), "regelforvaltare": (403, 403)},
}


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Any:
    import shutil

    from tests.conftest import ROOT

    d = tmp_path_factory.mktemp("roller")
    root = d / "regler"
    shutil.copytree(ROOT / "regelverk", root / "regelverk")
    shutil.copytree(ROOT / "normer", root / "normer")
    client, log = make_client(f"sqlite:///{d / 'b.sqlite3'}", root)
    r = client.post("/v1/beslut", json={"ansokan": APP, "beslut": DECISION}, headers=auth("handlaggare", "0180"))
    yield client, r.json()["id"]
    log.dispose()


def call(client: Any, endpoint: str, ident: str, headers: dict[str, str]) -> int:
    method, path = endpoint.split(" ")
    path = path.replace("{id}", ident)
    if path == "/v1/normer":
        path += "?datum=2026-03-01"
    body: dict[str, Any] | None = None
    if endpoint == "POST /v1/berakningar":
        body = {"ansokan": APP}
    elif endpoint == "POST /v1/beslut":
        body = {"ansokan": APP, "beslut": DECISION}
    elif endpoint.endswith("/aterkrav"):
        body = {"rattelse": APP}
    return int(client.request(method, path, json=body, headers=headers).status_code)


@pytest.mark.parametrize("endpoint", list(MATRIX))
@pytest.mark.parametrize("roll", ROLES)
@pytest.mark.parametrize("kommun", ["egen", "annan"])
def test_matrix(setup: Any, endpoint: str, roll: str, kommun: str) -> None:
    client, ident = setup
    own, other = MATRIX[endpoint][roll]
    expected = own if kommun == "egen" or other is None else other
    headers = auth(roll, "0180" if kommun == "egen" else "1280")
    assert call(client, endpoint, ident, headers) == expected


@pytest.mark.parametrize("endpoint", list(MATRIX))
def test_without_token_is_401(setup: Any, endpoint: str) -> None:
    client, ident = setup
    assert call(client, endpoint, ident, {}) == 401
    assert call(client, endpoint, ident, {"Authorization": "Bearer nonsens"}) == 401


def test_expired_and_foreign_tokens(setup: Any) -> None:
    import jwt

    client, _ = setup
    claims = {"sub": "x", "roll": "handlaggare", "kommun": "0180", "iat": 100, "exp": 200}
    expired = jwt.encode(claims, KEY)
    r = client.post("/v1/berakningar", json=APP, headers={"Authorization": f"Bearer {expired}"})
    assert r.status_code == 401 and "gått ut" in r.text
    now = int(time.time())
    foreign = jwt.encode({**claims, "iat": now, "exp": now + 60}, "annan-nyckel" * 4)
    assert client.post("/v1/berakningar", json=APP, headers={"Authorization": f"Bearer {foreign}"}).status_code == 401


def test_every_read_is_logged(setup: Any) -> None:
    client, ident = setup
    before = len(client.app.state.log.access_log(ident))
    client.get(f"/v1/beslut/{ident}", headers=auth("revisor", "1280", "rita"))
    client.get(f"/v1/beslut/{ident}/forklaring", headers=auth("revisor", "1280", "rita"))
    client.post(f"/v1/beslut/{ident}/omprovning", headers=auth("revisor", "1280", "rita"))
    client.get(f"/v1/beslut/{ident}", headers=auth("handlaggare", "1280", "otto"))  # refused, and logged so
    client.get(f"/v1/beslut/{ident}", headers=auth("regelforvaltare", "0180", "per"))  # refused: not a reader
    entries = client.app.state.log.access_log(ident)[before:]
    assert [(e["anvandare"], e["handling"], e["utfall"]) for e in entries] == [
        ("rita", "lasa", "ok"),
        ("rita", "forklaring", "ok"),
        ("rita", "omprova", "ok"),
        ("otto", "lasa", "nekad"),
        ("per", "lasa", "nekad"),
    ]
    assert entries[0]["adress"] == "testclient"
