"""Operations, as a kommun's IT runs ekbist: the issuer's tokens, ``/metrics``, JSON logs, schema checks.

One real ``ekbist serve`` with two worker processes, the test identity provider (:mod:`tests.idp`) and
the fake SSBTEK with the synthetic persons of exempel/ssbtek/personer (Bo's CSN answers with an error).
The day's requests are counted exactly in ``/metrics`` whichever worker served them, and the server's
whole output is read: JSON lines, each request's line with its id, user and kommun, and no personnummer
or token anywhere.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ekbist.cli import main
from ssbtek.fake import FakeSsbtek, serve
from tests.api_helpers import APP, DECISION, KEYRING, auth
from tests.conftest import ROOT
from tests.idp import TestIdp, oidc_env, running_idp
from tests.server_helpers import EKBIST, Server, running_server, server_env
from tests.ssbtek_helpers import PNR_ANNA, PNR_BO
from tests.test_api_ssbtek import APPLICATION as APPLICATION_WITH_PNR  # Anna and Bo, with personnummer

METRICS_KEY = "matvardesnyckel-" + "m" * 32


@pytest.fixture(scope="module")
def idp() -> Iterator[TestIdp]:
    yield from running_idp()


@pytest.fixture(scope="module")
def agency(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakeSsbtek]:
    folder = tmp_path_factory.mktemp("personer")
    shutil.copytree(ROOT / "exempel" / "ssbtek" / "personer", folder, dirs_exist_ok=True)
    server = serve(folder)
    yield server
    server.shutdown()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, idp: TestIdp, agency: FakeSsbtek) -> Iterator[Server]:
    work = tmp_path_factory.mktemp("drift")
    host, port = agency.server_address[:2]
    env = {**oidc_env(idp), "EKBIST_SSBTEK_URL": f"http://{host}:{port}/", "EKBIST_METRIK_NYCKEL": METRICS_KEY}
    with running_server(f"sqlite:///{work / 'beslut.sqlite3'}", work, "--workers", "2", **env) as s:
        yield s


def _metrics(server: Server) -> dict[str, float]:
    r = httpx.get(server.url + "/metrics", headers={"Authorization": f"Bearer {METRICS_KEY}"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    found: dict[str, float] = {}
    for line in r.text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            found[name] = float(value)
    return found


def _get(metrics: dict[str, float], name: str, **labels: str) -> float:
    """The sample with exactly these labels (in any order), 0 when there is none."""
    for key, value in metrics.items():
        m = re.fullmatch(r"([a-z_]+)(?:\{(.*)\})?", key)
        if m and m.group(1) == name and dict(re.findall(r'(\w+)="([^"]*)"', m.group(2) or "")) == labels:
            return value
    return 0.0


def test_a_working_day_shows_in_metrics_and_logs(server: Server, idp: TestIdp) -> None:
    token = idp.token(sub="anna.andersson", roles=["handlaggare"], kommun="0180")
    bearer = {"Authorization": f"Bearer {token}", "X-Request-ID": "drift-prov-1"}
    before = _metrics(server)
    n = 6
    for _ in range(n):
        r = httpx.post(server.url + "/v1/berakningar", json={"ansokan": APP}, headers=bearer, timeout=30)
        assert r.status_code == 200, r.text
        assert r.headers["x-request-id"] == "drift-prov-1"
    fetched = httpx.post(
        server.url + "/v1/beslut",
        json={"ansokan": APPLICATION_WITH_PNR, "hamta_ssbtek": True, "beslut": DECISION},
        headers=bearer,
        timeout=60,
    )
    assert fetched.status_code == 201, fetched.text
    decision = fetched.json()["id"]
    assert httpx.get(f"{server.url}/v1/beslut/{decision}", headers=bearer).status_code == 200
    assert httpx.get(server.url + "/v1/ingenting", headers=bearer).status_code == 404
    bad = httpx.post(server.url + "/v1/berakningar", json={"ansokan": {"period": "2026-13"}}, headers=bearer)
    assert bad.status_code == 422
    assert httpx.get(server.url + "/metrics").status_code == 401  # the scrape needs its key

    after = _metrics(server)

    def grew(name: str, **labels: str) -> float:
        return _get(after, name, **labels) - _get(before, name, **labels)

    # every request counted once, whichever of the two workers took it
    ok = {"route": "/v1/berakningar", "method": "POST"}
    assert grew("ekbist_http_requests_total", **ok, status="200") == n
    assert grew("ekbist_http_requests_total", **ok, status="422") == 1
    assert grew("ekbist_http_requests_total", route="/v1/beslut/{beslut_id}", method="GET", status="200") == 1
    assert grew("ekbist_http_requests_total", route="okand", method="GET", status="404") == 1
    assert grew("ekbist_http_request_duration_seconds_count", **ok) == n + 1
    # SSBTEK, per source: two adults asked; Bo's CSN answered with an error (exempel/ssbtek/personer)
    assert grew("ekbist_ssbtek_answers_total", kalla="FK", utfall="svar") == 2
    assert grew("ekbist_ssbtek_answers_total", kalla="CSN", utfall="fel") == 1
    assert grew("ekbist_ssbtek_answers_total", kalla="CSN", utfall="svar") == 1
    version = fetched.json()["regelverk"]["version"]
    assert grew("ekbist_calculations_total", regelversion=version, slag="berakning") == n
    assert grew("ekbist_calculations_total", regelversion=version, slag="beslut") == 1
    assert grew("ekbist_deviations_total", kod="EJ_DEKLARERAD_INKOMST") == 1  # Anna's bostadsbidrag
    assert grew("ekbist_deviations_total", kod="UPPGIFT_SAKNAS") == 1  # Bo's CSN
    assert grew("ekbist_beslutslogg_writes_total", typ="beslut") == 1
    assert grew("ekbist_beslutslogg_writes_total", typ="atkomst") >= 1  # the read of the decision
    assert _get(after, "ekbist_beslutslogg_chain_length") >= _get(before, "ekbist_beslutslogg_chain_length") + 2
    assert _get(after, "ekbist_rule_reloads_total", utfall="ok") >= 2  # each worker read the rule files

    # the logs: JSON lines; the requests' lines name the id, the user and the kommun, never a personnummer
    text = server.log_text()
    lines = [json.loads(line) for line in text.splitlines() if line.strip()]
    assert not any("color_message" in x for x in lines) and "ekbist på http" in lines[0]["meddelande"]
    mine = [x for x in lines if x.get("begaran_id") == "drift-prov-1" and "metod" in x]
    assert len(mine) == n + 4
    assert {(x["anvandare"], x["kommun"], x["roll"]) for x in mine if x["status"] != 404} == {
        ("anna.andersson", "0180", "handlaggare")
    }
    assert {x["vag"] for x in mine} == {"/v1/berakningar", "/v1/beslut", "/v1/beslut/{beslut_id}", None}
    for secret in (PNR_ANNA, PNR_BO, PNR_ANNA[2:], PNR_BO[2:], f"{PNR_ANNA[2:8]}-{PNR_ANNA[8:]}", token, decision):
        assert secret not in text
    assert "eyJ" not in text


def test_the_page_login_through_the_issuer_in_a_real_server(server: Server, idp: TestIdp) -> None:
    """The code flow over real HTTP: the browser's steps, one request at a time, cookies kept."""
    with httpx.Client(base_url=server.url) as browser:
        start = browser.get("/sida/oidc/start")
        assert start.status_code == 303
        location = start.headers["location"]
        assert location.startswith(idp.issuer + "/authorize?")
        fields = dict(httpx.URL(location).params)
        back = httpx.post(f"{idp.issuer}/authorize", data=fields)
        assert back.status_code == 302 and back.headers["location"].startswith(server.url + "/sida/oidc/tillbaka?")
        done = browser.get(back.headers["location"])
        assert done.status_code == 200 and "Du är inloggad" in done.text
        page = browser.get("/sida/berakna")
        assert page.status_code == 200 and "anna.handlaggare (handlaggare, kommun 0180)" in page.text


def test_an_older_schema_stops_the_server_with_the_command_to_run(tmp_path: Path) -> None:
    """A log of the previous release's schema (0004): the server refuses to start and says what to run;
    after ``ekbist databas migrera`` it starts, and every decision still verifies."""
    from beslutslogg import DecisionLog
    from tests.test_decision_log import fill, log_at_revision

    url = f"sqlite:///{tmp_path / 'beslut.sqlite3'}"
    old = log_at_revision(url, "0004")
    fill(old, 2)
    old.dispose()

    env = server_env(url, tmp_path / "data")
    refused = subprocess.run(
        [str(EKBIST), "serve", "--port", "1", "--workers", "1"], env=env, capture_output=True, text=True, timeout=60
    )
    assert refused.returncode == 2, refused.stderr
    assert "schemaversion 0004" in refused.stderr and "ekbist databas migrera" in refused.stderr
    assert "ekbist revision export" in refused.stderr
    assert DecisionLog(url, KEYRING).schema_revision() == "0004"  # nothing was changed
    # a platform that starts the app object itself (uvicorn api._factory:app) is refused the same way
    direct = subprocess.run(
        [str(EKBIST.with_name("python")), "-c", "import api._factory"],
        env=env,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert direct.returncode != 0 and "ekbist databas migrera" in direct.stderr

    migrated = subprocess.run([str(EKBIST), "databas", "migrera"], env=env, capture_output=True, text=True, timeout=60)
    assert migrated.returncode == 0, migrated.stderr
    with running_server(url, tmp_path, "--workers", "1") as s:
        assert httpx.get(s.url + "/v1/beslut", headers=auth("handlaggare")).json()["beslut"]
    log = DecisionLog(url, KEYRING)
    assert log.verify().problem == []
    log.dispose()


def test_a_schema_newer_than_the_code_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sqlalchemy

    url = f"sqlite:///{tmp_path / 'beslut.sqlite3'}"
    monkeypatch.setenv("EKBIST_LOGG_NYCKEL", "loggnyckel-för-test-" + "y" * 40)
    assert main(["databas", "migrera", "--databas", url]) == 0
    engine = sqlalchemy.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sqlalchemy.text("UPDATE alembic_version SET version_num = '0099'"))
    engine.dispose()
    from beslutslogg import DecisionLog

    log = DecisionLog(url, KEYRING)
    problem = log.schema_problem()
    log.dispose()
    assert problem is not None and "0099" in problem and "nyare ekbist" in problem


@pytest.mark.parametrize(
    "text",
    [
        "198502011235",
        "19850201-1235",
        "850201-1235",
        "8502011235",
        "850201+1235",  # over a hundred years old
        "850261-1234",  # samordningsnummer: day + 60
        "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbm5hIn0.c2lnbmF0dXI",
    ],
)
def test_the_last_filter_masks_personnummer_and_tokens_in_any_form(text: str) -> None:
    import logging

    from api._logging import Redact

    record = logging.LogRecord("ekbist.x", logging.INFO, __file__, 1, "fel för %s i %s", (text, "ansökan"), None)
    Redact().filter(record)
    assert text not in record.getMessage() and "ansökan" in record.getMessage()
    assert "[personnummer]" in record.getMessage() or "[token]" in record.getMessage()


def test_ids_and_amounts_are_left_alone_by_the_filter() -> None:
    from api._logging import redact

    for text in ("POST /v1/beslut 201 12.5 ms", "beslut 3f2a9c1e-77b0-4d5e-9a51-0c6e8f1d2b3a", "belopp 11220 kr"):
        assert redact(text) == text


LOG_PROBE = """
import logging, logging.config, sys
from api import _logging
logging.config.dictConfig(_logging.config(sys.argv[1]))
_, reset = _logging.begin("prov-42")
_logging.note_user("anna", "handlaggare", "0180")
logging.getLogger("ekbist.prov").info("hej %s", "198502011235")
_logging.end(reset)
"""


@pytest.mark.parametrize("fmt", ["json", "text"])
def test_both_log_formats_carry_the_request(fmt: str) -> None:
    """In a process of its own: the server's logging configuration replaces every handler."""
    done = subprocess.run(
        [str(EKBIST.with_name("python")), "-c", LOG_PROBE, fmt], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert done.returncode == 0, done.stderr
    err = done.stderr.strip().splitlines()[-1]
    if fmt == "json":
        line = json.loads(err)
        assert (line["begaran_id"], line["anvandare"], line["kommun"]) == ("prov-42", "anna", "0180")
        assert line["meddelande"] == "hej [personnummer]" and line["niva"] == "INFO"
    else:
        assert err.endswith("hej [personnummer]")


def test_a_request_id_that_is_not_sane_is_replaced() -> None:
    from api import _logging

    info, reset = _logging.begin("ett id med mellanslag\noch en rad till")
    try:
        assert info.id != "ett id med mellanslag\noch en rad till" and len(info.id) == 32
    finally:
        _logging.end(reset)


def test_metrics_in_one_process_and_the_scrape_key(tmp_path: Path) -> None:
    from tests.api_helpers import make_client

    client, _ = make_client(f"sqlite:///{tmp_path / 'beslut.sqlite3'}", metrics_key=METRICS_KEY)
    assert (
        client.post("/v1/beslut", json={"ansokan": APP, "beslut": DECISION}, headers=auth("handlaggare")).status_code
        == 201
    )
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer fel"}).status_code == 401
    r = client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_KEY}"})
    assert r.status_code == 200
    assert 'ekbist_http_requests_total{method="POST",route="/v1/beslut",status="201"}' in r.text
    assert re.search(r"^ekbist_beslutslogg_chain_length [1-9]", r.text, re.M)


def test_a_metrics_scrape_answers_without_the_chain_when_the_database_is_gone() -> None:
    from api._metrics import exposition

    def broken() -> object:
        raise OSError("borta")

    body, _ = exposition(broken)
    assert b"ekbist_http_requests" in body and b"ekbist_beslutslogg_chain_length " not in body


def test_invented_methods_and_paths_do_not_grow_the_metrics(tmp_path: Path) -> None:
    from tests.api_helpers import make_client

    client, _ = make_client(f"sqlite:///{tmp_path / 'beslut.sqlite3'}")
    for i in range(30):
        client.request(f"HITTEPA{i}", f"/v1/nagot-{i}")
    text = client.get("/metrics").text
    assert "HITTEPA" not in text and "nagot-" not in text
    assert 'ekbist_http_requests_total{method="annan",route="okand"' in text
