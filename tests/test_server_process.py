"""``ekbist serve`` as a process: acknowledged decisions survive SIGKILL; no personal data in its output."""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from beslutslogg import DecisionLog
from tests.api_helpers import APP, DECISION, KEYRING, app_role, auth, db_url  # noqa: F401
from tests.server_helpers import EKBIST, running_server, server_env

WRITERS = 8


def _burst(url: str, acked: list[str], stop: threading.Event, errors: list[str]) -> None:
    """Record decisions until the server disappears; keep the id of every one it acknowledged."""
    headers = auth("handlaggare")
    with httpx.Client(base_url=url, timeout=30) as client:
        n = 0
        while not stop.is_set():
            n += 1
            body = {"ansokan": {**APP, "kostnader": [{"typ": "boende", "belopp": 5000 + n}]}, "beslut": DECISION}
            try:
                r = client.post("/v1/beslut", json=body, headers=headers)
            except httpx.TransportError:
                return  # the server is gone: this request was never acknowledged
            if r.status_code != 201:
                errors.append(f"{r.status_code} {r.text[:200]}")
                return
            acked.append(r.json()["id"])


@pytest.fixture
def server_db(db_url: str) -> Iterator[tuple[str, dict[str, str]]]:  # noqa: F811
    """The URL the server runs on, and its environment: on PostgreSQL a role that owns nothing,
    with the tables made by the owner (EKBIST_MIGRERING_URL), as in production."""
    if db_url.startswith("sqlite"):
        yield db_url, {}
        return
    with app_role(db_url) as app_url:
        yield app_url, {"EKBIST_MIGRERING_URL": db_url}


def test_acknowledged_decisions_survive_sigkill(server_db: tuple[str, dict[str, str]], tmp_path: Path) -> None:
    url, extra = server_db
    acked: list[str] = []
    errors: list[str] = []
    stop = threading.Event()
    with running_server(url, tmp_path, "--workers", "2", **extra) as server:
        threads = [threading.Thread(target=_burst, args=(server.url, acked, stop, errors)) for _ in range(WRITERS)]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 60
        while len(acked) < 150 and not errors and time.monotonic() < deadline:
            time.sleep(0.005)
        server.kill()  # in the middle of the burst: the writers still have requests in flight
        stop.set()
        for t in threads:
            t.join(30)
    assert not errors
    assert len(acked) >= 150

    log = DecisionLog(url, KEYRING)
    stored = {r.id for r in log.records()}
    assert set(acked) <= stored, "an acknowledged decision is missing after the crash"
    v = log.verify()
    assert (v.beslut, v.problem) == (len(stored), [])
    log.dispose()

    # The command an auditor runs agrees, and the server comes back on the same log and appends to it.
    out = subprocess.run(
        [str(EKBIST), "revision", "verifiera"],
        env=server_env(url, tmp_path / "data", **extra),
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert f"{len(stored)} beslut" in out.stdout
    with running_server(url, tmp_path, **extra) as server:
        r = httpx.post(
            server.url + "/v1/beslut", json={"ansokan": APP, "beslut": DECISION}, headers=auth("handlaggare")
        )
        assert r.status_code == 201 and r.json()["seq"] == len(stored) + 1
    log = DecisionLog(url, KEYRING)
    v = log.verify()
    assert (v.beslut, v.problem) == (len(stored) + 1, [])
    log.dispose()


def test_server_output_holds_no_personal_data(tmp_path: Path) -> None:
    pnr = "198502011235"
    person = {"id": "s", "roll": "sokande", "fodd": "1985-02-01", "personnummer": pnr}
    app = {**APP, "hushall": [person]}
    with running_server(f"sqlite:///{tmp_path / 'b.sqlite3'}", tmp_path) as server:
        h = auth("handlaggare")
        r = httpx.post(server.url + "/v1/beslut", json={"ansokan": app, "beslut": DECISION}, headers=h)
        assert r.status_code == 201
        ident = r.json()["id"]
        link = httpx.post(f"{server.url}/v1/beslut/{ident}/lank", headers=h).json()["url"]
        assert httpx.get(server.url + link).status_code == 200
        bad = {**app, "hushall": [{**person, "fodd": pnr}]}  # personal data in a refused field
        assert httpx.post(server.url + "/v1/berakningar", json=bad, headers=h).status_code == 422
        wrong = {**app, "hushall": [{**person, "personnummer": "198502011234"}]}  # checksum error
        r = httpx.post(server.url + "/v1/berakningar", json=wrong, headers=h)
        assert r.status_code == 422 and "198502011234" not in r.text
        time.sleep(0.3)  # let the log lines reach the file
        text = server.log_text()
    assert "/v1/berakningar" in text and "/forklaring" in text  # requests are logged ...
    assert pnr not in text and "198502011234" not in text  # ... without personnummer ...
    assert link.split("lank=")[1] not in text  # ... or the link's token
