"""Failing neighbours against a real ``ekbist serve``: a locked database, a trickling or endless
SSBTEK, oversized chunked bodies. The server answers 503 with ``Retry-After`` or marks the agency's
data missing, within its bounds, and ``/healthz`` keeps answering throughout (one worker, so the
event loop under test is the only one). Latency figures belong to ``bench/bench_hostile.py``; here
a generous client timeout only tells "answers" from "hangs".
"""

from __future__ import annotations

import shutil
import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text

from ssbtek.fake import FakeSsbtek, serve
from tests.api_helpers import APP, DECISION, auth, pg_database
from tests.conftest import ROOT
from tests.server_helpers import running_server
from tests.ssbtek_helpers import PNR_ANNA, PNR_BO

HEALTH_TIMEOUT_S = 3.0  # "answers at all while blocked"; the 100 ms figure is measured in bench/


def healthy_while(server_url: str, busy: threading.Thread) -> int:
    """Ask /healthz repeatedly while ``busy`` runs; how many answers came (each within the timeout)."""
    answers = 0
    with httpx.Client(base_url=server_url, timeout=HEALTH_TIMEOUT_S) as c:
        while busy.is_alive():
            assert c.get("/healthz").status_code == 200
            answers += 1
            time.sleep(0.05)
    return answers


def in_thread(fn: Any) -> tuple[threading.Thread, dict[str, Any]]:
    box: dict[str, Any] = {}

    def run() -> None:
        box["r"] = fn()

    t = threading.Thread(target=run)
    t.start()
    return t, box


@pytest.fixture(scope="module")
def slow_agency(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("personer")
    shutil.copytree(ROOT / "exempel" / "ssbtek" / "personer", folder, dirs_exist_ok=True)
    (folder / f"{PNR_ANNA}.yaml").write_text("trickla_sekunder: 0.5\nkallor: {}\n", encoding="utf-8")
    (folder / f"{PNR_BO}.yaml").write_text("oandligt_svar: true\nkallor: {}\n", encoding="utf-8")
    server: FakeSsbtek = serve(folder)
    host, port = server.server_address[:2]
    yield f"http://{host}:{port}/"
    server.shutdown()


@pytest.fixture(scope="module")
def sqlite_server(tmp_path_factory: pytest.TempPathFactory, slow_agency: str) -> Iterator[tuple[Any, Path]]:
    d = tmp_path_factory.mktemp("server")
    db = d / "beslut.sqlite3"
    env = {
        "EKBIST_DB_LASTID": "1",
        "EKBIST_SSBTEK_URL": slow_agency,
        "EKBIST_SSBTEK_TIDSGRANS": "2",
        "EKBIST_SSBTEK_MAX_SVAR": "300000",
        "EKBIST_SSBTEK_SAMTIDIGA": "4",
        "EKBIST_MAX_BODY": "100000",
    }
    with running_server(f"sqlite:///{db}", d, "--workers", "1", **env) as server:
        yield server, db


def test_locked_sqlite_gives_503_and_health_stays(sqlite_server: tuple[Any, Path]) -> None:
    server, db = sqlite_server
    lock = sqlite3.connect(db, timeout=1, isolation_level=None)
    lock.execute("BEGIN EXCLUSIVE")
    try:
        t, box = in_thread(
            lambda: httpx.post(
                server.url + "/v1/beslut",
                json={"ansokan": APP, "beslut": DECISION},
                headers=auth("handlaggare"),
                timeout=30,
            )
        )
        assert healthy_while(server.url, t) >= 1
        t.join()
    finally:
        lock.execute("ROLLBACK")
        lock.close()
    r = box["r"]
    assert r.status_code == 503 and r.headers["retry-after"] == "5" and "försök igen" in r.json()["fel"]
    ok = httpx.post(server.url + "/v1/beslut", json={"ansokan": APP, "beslut": DECISION}, headers=auth("handlaggare"))
    assert ok.status_code == 201


def test_trickling_and_endless_agency(sqlite_server: tuple[Any, Path]) -> None:
    server, _ = sqlite_server
    app = {
        **APP,
        "hushall": [
            {"id": "anna", "roll": "sokande", "fodd": "1985-02-01", "personnummer": PNR_ANNA},
            {"id": "bo", "roll": "medsokande", "fodd": "1990-01-01", "personnummer": PNR_BO},
        ],
    }
    body = {"ansokan": app, "hamta_ssbtek": True}
    t, box = in_thread(
        lambda: httpx.post(server.url + "/v1/berakningar", json=body, headers=auth("handlaggare"), timeout=60)
    )
    assert healthy_while(server.url, t) >= 1
    t.join()
    r = box["r"]
    assert r.status_code == 200, r.text
    why = {d["person"]: d["meddelande"] for d in r.json()["avvikelser"] if d["kod"] == "UPPGIFT_SAKNAS"}
    assert "inom 2 s" in why["anna"]  # the trickle is cut off at the deadline, and the message says so
    assert "större än 300000 byte" in why["bo"]  # the endless answer is cut off at the size bound


def test_a_burst_of_agency_calls_is_bounded(sqlite_server: tuple[Any, Path]) -> None:
    server, _ = sqlite_server
    app = {**APP, "hushall": [{"id": "anna", "roll": "sokande", "fodd": "1985-02-01", "personnummer": PNR_ANNA}]}
    results: list[int] = []

    def one() -> None:
        r = httpx.post(
            server.url + "/v1/berakningar",
            json={"ansokan": app, "hamta_ssbtek": True},
            headers=auth("handlaggare"),
            timeout=60,
        )
        results.append(r.status_code)

    threads = [threading.Thread(target=one) for _ in range(10)]
    for t in threads:
        t.start()
    watcher = threading.Thread(target=lambda: [t.join() for t in threads])
    watcher.start()
    assert healthy_while(server.url, watcher) >= 1
    assert sorted(set(results)) == [200, 503] and results.count(200) <= 4 + 4  # at most the pool, twice over


def test_oversized_chunked_body_is_413_and_the_server_goes_on(sqlite_server: tuple[Any, Path]) -> None:
    server, _ = sqlite_server
    host, port = server.url.split("://")[1].split(":")
    with socket.create_connection((host, int(port)), timeout=10) as s:
        s.sendall(
            b"POST /v1/berakningar HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
            b"Content-Type: application/json\r\n\r\n"
        )
        chunk = b"a" * 65536
        try:
            for _ in range(4):
                s.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
        except OSError:
            pass  # the server may close before everything is sent
        answer = _read_all(s)
    assert answer.startswith(b"HTTP/1.1 413") and b"connection: close" in answer.lower()
    assert b"inneh\xc3\xa5llet \xc3\xa4r st\xc3\xb6rre" in answer
    assert httpx.get(server.url + "/healthz").status_code == 200


def test_locked_postgres_gives_503(tmp_path: Path) -> None:
    for url in pg_database():
        with running_server(url, tmp_path, "--workers", "1", "--demo", EKBIST_DB_LASTID="1") as server:
            holder = create_engine(url)
            with holder.connect() as conn:
                conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": 0x0EB157})  # the chain's lock, held
                t, box = in_thread(
                    lambda: httpx.post(
                        server.url + "/v1/beslut",
                        json={"ansokan": APP, "beslut": DECISION},
                        headers=auth("handlaggare"),
                        timeout=30,
                    )
                )
                assert healthy_while(server.url, t) >= 1
                t.join()
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": 0x0EB157})
            holder.dispose()
            r = box["r"]
            assert r.status_code == 503 and r.headers["retry-after"] == "5"
            ok = httpx.post(
                server.url + "/v1/beslut", json={"ansokan": APP, "beslut": DECISION}, headers=auth("handlaggare")
            )
            assert ok.status_code == 201


def test_fake_ssbtek_answers_bad_requests_with_faults(slow_agency: str) -> None:
    host, port = slow_agency.split("://")[1].rstrip("/").split(":")
    for head in (
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
        b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n\r\n",
    ):
        with socket.create_connection((host, int(port)), timeout=10) as s:
            s.sendall(head)
            answer = _read_all(s)  # the fake closes the connection after such an answer
        assert b"Fault" in answer and answer.startswith(b"HTTP/1.1 4"), answer[:200]


def _read_all(s: socket.socket) -> bytes:
    """Everything the server sends until it closes (a reset after the answer ends it too)."""
    data = b""
    try:
        while chunk := s.recv(65536):
            data += chunk
    except OSError:
        pass
    return data


def test_fake_ssbtek_closes_idle_connections(slow_agency: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from ssbtek import fake

    folder = ROOT / "exempel" / "ssbtek" / "personer"
    monkeypatch.setattr(fake._Handler, "timeout", 0.5)
    server = serve(folder)
    try:
        host, port = server.server_address[:2]
        with socket.create_connection((host, port), timeout=10) as s:
            time.sleep(1.0)
            assert s.recv(100) == b""  # closed by the server, its thread gone
    finally:
        server.shutdown()
