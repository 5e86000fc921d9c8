"""Decisions that can be trusted, through the API and the command line (issue: trust).

Agency data belongs to the person it was asked for; tokens and keys fit social services; links
name the kommun's own server and log their reader; an auditor lists, reads who read, replays a
decision that differs and is told so, and gets an återkrav basis with its ground and deadline.
Expected amounts are worked out by hand from the statute tables: riksnorm 2026 for one adult
3 940 kr plus household costs 1 280 kr (SoF 2025:468 12 kap. 1 §) = 5 220 kr, rent 6 000 kr.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest

from api import Settings
from api._settings import parse_api_keys
from ekbist.cli import main
from engine import Month
from ssbtek import build_response, parse_response
from ssbtek.fake import FakeSsbtek, serve
from tests.api_helpers import APP, DECISION, KEY, LOG_KEY, auth, db_url, make_client, rule_copy  # noqa: F401
from tests.conftest import ROOT
from tests.server_helpers import EKBIST
from tests.ssbtek_helpers import PNR_ANNA, PNR_BO

EXAMPLE = ROOT / "exempel" / "03-sambor-med-ssbtek.yaml"
ANSWERS = ROOT / "exempel" / "ssbtek"
COUPLE = {
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


@pytest.fixture(autouse=True)
def log_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """The command line reads the log key from the environment, as an auditor's shell would."""
    monkeypatch.setenv("EKBIST_LOGG_NYCKEL", LOG_KEY)


@pytest.fixture
def client(db_url: str, rule_copy: Path) -> Iterator[Any]:  # noqa: F811
    c, log = make_client(db_url, rule_copy)
    yield c
    log.dispose()


def refused(result: dict[str, Any], person: str) -> dict[str, str]:
    """Source → felkod of the UPPGIFT_SAKNAS deviations for ``person``."""
    return {
        d["kalla"]: d["meddelande"]
        for d in result["avvikelser"]
        if d["kod"] == "UPPGIFT_SAKNAS" and d["person"] == person
    }


def record(client: Any, app: dict[str, Any] = APP, decision: dict[str, Any] = DECISION, kommun: str = "0180") -> Any:
    r = client.post("/v1/beslut", json={"ansokan": app, "beslut": decision}, headers=auth("handlaggare", kommun))
    assert r.status_code == 201, r.text
    return r.json()


# -- agency data belongs to the person it was asked for ---------------------------------------------


def test_swapped_answer_files_are_refused_per_person(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["berakna", str(EXAMPLE), "--json"]
    args += ["--ssbtek", f"anna={ANSWERS}/svar-bo-2026-03.xml", "--ssbtek", f"bo={ANSWERS}/svar-anna-2026-03.xml"]
    assert main(args) == 0
    result = json.loads(capsys.readouterr().out)
    for person in ("anna", "bo"):
        missing = refused(result, person)
        assert {"FK", "PM", "AF", "SO", "SKV", "TNS", "MIV"} <= set(missing), missing
        assert all("svaret gäller en annan person" in m for k, m in missing.items() if k != "CSN")
    # Bo's a-kassa never becomes Anna's undeclared income, nor Anna's car Bo's.
    codes = {d["kod"] for d in result["avvikelser"]}
    assert codes == {"UPPGIFT_SAKNAS"}


def test_the_same_answer_for_two_people_is_refused(client: Any, capsys: pytest.CaptureFixture[str]) -> None:
    same = f"{ANSWERS}/svar-anna-2026-03.xml"
    assert main(["berakna", str(EXAMPLE), "--ssbtek", f"anna={same}", "--ssbtek", f"bo={same}"]) == 2
    assert "samma SSBTEK-svar" in capsys.readouterr().err
    xml = (ANSWERS / "svar-anna-2026-03.xml").read_text(encoding="utf-8")
    r = client.post(
        "/v1/berakningar", json={"ansokan": COUPLE, "ssbtek": {"anna": xml, "bo": xml}}, headers=auth("handlaggare")
    )
    assert r.status_code == 422 and r.json()["fel"][0]["falt"] == "ssbtek.bo"


def test_swapped_answers_in_the_api_body_are_recorded_as_missing(client: Any) -> None:
    anna = (ANSWERS / "svar-anna-2026-03.xml").read_text(encoding="utf-8")
    bo = (ANSWERS / "svar-bo-2026-03.xml").read_text(encoding="utf-8")
    body = {"ansokan": COUPLE, "ssbtek": {"anna": bo, "bo": anna}, "beslut": {**DECISION, "belopp": 1460}}
    r = client.post("/v1/beslut", json=body, headers=auth("handlaggare"))
    assert r.status_code == 201
    stored = client.get(f"/v1/beslut/{r.json()['id']}", headers=auth("revisor")).json()["resultat"]
    assert "FK" in refused(stored, "anna") and not any(
        d["kod"] == "EJ_DEKLARERAD_INKOMST" for d in stored["avvikelser"]
    )
    replay = client.post(f"/v1/beslut/{r.json()['id']}/omprovning", headers=auth("revisor")).json()
    assert replay["identisk"] is True  # the refusal is reproduced from the stored answers


def test_an_answer_without_a_personnummer_to_match_is_refused(client: Any) -> None:
    xml = (ANSWERS / "svar-anna-2026-03.xml").read_text(encoding="utf-8")
    app = {**COUPLE, "hushall": [{**COUPLE["hushall"][0], "personnummer": None}, COUPLE["hushall"][1]]}
    app["hushall"][0].pop("personnummer")
    r = client.post("/v1/berakningar", json={"ansokan": app, "ssbtek": {"anna": xml}}, headers=auth("handlaggare"))
    assert r.status_code == 200
    assert all("personnummer saknas i ansökan" in m for m in refused(r.json(), "anna").values())


def test_the_answer_names_its_person_and_each_source_is_checked() -> None:
    month = Month.parse("2026-03")
    from lxml import etree

    from ssbtek._soap import Asker, build_request, parse_request

    question = parse_request(build_request(PNR_ANNA, month, Asker("169999999999", "Test"))).echo
    ok = build_response({"personnummer": PNR_ANNA, "kallor": {}}, month, fraga=question)
    assert b"personidentitet" in ok
    assert all(a.status == "svar" for a in parse_response(ok, "anna", PNR_ANNA).sources.values())
    # The echoed question names Anna, but it is attached to Bo: every source refused.
    assert {a.felkod for a in parse_response(ok, "bo", PNR_BO).sources.values()} == {"ANNAN_PERSON"}
    # One source's payload names someone else: that source and the ones that name nobody are refused.
    # An answer that names nobody at all cannot be tied to anyone.
    only = {k: {"utelamna": True} for k in ("AF", "CSN", "FK", "SKV", "SO", "MIV")}
    d = parse_response(build_response({"personnummer": PNR_ANNA, "kallor": only}, month), "anna", PNR_ANNA)
    assert d.sources["TNS"].felkod == "OIDENTIFIERAD" and "kan inte knytas" in d.sources["TNS"].meddelande
    mixed = build_response({"personnummer": PNR_ANNA, "kallor": {}}, month)
    root = etree.fromstring(mixed)
    for e in root.iter(
        "{http://api.arbetsformedlingen.se/arbetssokande/ersattningsstod/v2}IdentitetsbeteckningFysiskPerson"
    ):
        e.text = PNR_BO
    d = parse_response(etree.tostring(root), "anna", PNR_ANNA)
    assert d.sources["AF"].felkod == "ANNAN_PERSON" and d.sources["TNS"].felkod == "ANNAN_PERSON"
    assert d.sources["FK"].status == "svar" and d.sources["SO"].status == "svar"


def test_a_soap_service_answering_for_another_person(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "personer"
    shutil.copytree(ANSWERS / "personer", folder)
    path = folder / f"{PNR_ANNA}.yaml"
    path.write_text(path.read_text(encoding="utf-8") + f'svarar_med_personnummer: "{PNR_BO}"\n', encoding="utf-8")
    server: FakeSsbtek = serve(folder)
    try:
        host, port = server.server_address[:2]
        assert main(["berakna", str(EXAMPLE), "--hamta", "--ssbtek-url", f"http://{host}:{port}/", "--json"]) == 0
    finally:
        server.shutdown()
    result = json.loads(capsys.readouterr().out)
    missing = refused(result, "anna")
    assert set(missing) == {"FK", "PM", "CSN", "AF", "SO", "SKV", "TNS", "MIV"}
    assert "EJ_DEKLARERAD_INKOMST" not in {d["kod"] for d in result["avvikelser"]}


# -- tokens and keys --------------------------------------------------------------------------------


def _token(**claims: Any) -> dict[str, str]:
    now = int(time.time())
    base = {"sub": "anna", "roll": "handlaggare", "kommun": "0180", "iat": now, "exp": now + 3600}
    base.update(claims)
    return {"Authorization": "Bearer " + jwt.encode({k: v for k, v in base.items() if v is not None}, KEY)}


@pytest.mark.parametrize(
    ("claims", "message"),
    [
        ({"kommun": None}, "kommun"),
        ({"kommun": ""}, "fyrsiffrig kommunkod"),
        ({"kommun": "abc"}, "fyrsiffrig kommunkod"),
        ({"exp": int(time.time()) + 10 * 365 * 86400}, "längre än tillåtet"),
        ({"iat": int(time.time()) + 3600}, "i framtiden"),
        ({"sub": "anna\x00"}, "sub"),
        ({"sub": "x" * 201}, "sub"),
        ({"iat": None}, "iat"),
    ],
)
def test_tokens_that_do_not_fit_are_refused(client: Any, claims: dict[str, Any], message: str) -> None:
    r = client.get("/v1/beslut", headers=_token(**claims))
    assert r.status_code == 401 and message in r.json()["fel"]


def test_settings_refuse_missing_and_short_keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError) as info:
        Settings.from_env(env={})
    assert "EKBIST_JWT_KEY saknas" in str(info.value) and "EKBIST_LOGG_NYCKEL" in str(info.value)
    with pytest.raises(ValueError, match="EKBIST_JWT_KEY är 1 byte"):
        Settings.from_env(env={"EKBIST_JWT_KEY": "a", "EKBIST_LOGG_NYCKEL": "b" * 40})
    for text, message in (
        ("kort=anna:handlaggare:0180", "kortare än 32"),
        ("k" * 40 + "=anna:kung:0180", "okänd roll"),
        ("k" * 40 + "=anna:handlaggare:", "fyrsiffrig kommunkod"),
    ):
        with pytest.raises(ValueError, match=message):
            parse_api_keys(text)
    monkeypatch.setattr("api._settings.DATA_DIR", tmp_path / "demo")
    s = Settings.from_env(env={}, demo=True)
    assert s.demo and len(s.jwt_key) >= 32 and s.log_keys is not None
    for name in ("jwt-nyckel", "logg-nyckel"):
        assert stat.S_IMODE((tmp_path / "demo" / name).stat().st_mode) == 0o600


def test_serve_and_token_refuse_without_real_keys(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EKBIST_")}
    env["EKBIST_DATADIR"] = str(tmp_path / "d")
    out = subprocess.run([str(EKBIST), "serve", "--port", "1"], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and "EKBIST_JWT_KEY saknas" in out.stderr and "--demo" in out.stderr
    out = subprocess.run(
        [str(EKBIST), "token", "--roll", "revisor", "--kommun", "0180"], env=env, capture_output=True, text=True
    )
    assert out.returncode == 2 and not out.stdout
    env.update(EKBIST_JWT_KEY=KEY, EKBIST_LOGG_NYCKEL="l" * 40)
    out = subprocess.run(
        [str(EKBIST), "token", "--roll", "revisor", "--kommun", "0180", "--timmar", "87600"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 2 and "högst 12 timmar" in out.stderr


def test_demo_mode_says_so(db_url: str, rule_copy: Path) -> None:  # noqa: F811
    c, log = make_client(db_url, rule_copy, demo=True)
    ident = record(c)["id"]
    r = c.get(f"/v1/beslut/{ident}/forklaring", headers=auth("handlaggare"))
    assert r.headers["x-ekbist-demo"].startswith("demo") and "Demoläge" in r.text
    assert c.get("/healthz").headers["x-ekbist-demo"]
    log.dispose()


# -- links ----------------------------------------------------------------------------------------


def test_links_use_the_public_address_and_log_their_reader(client: Any) -> None:
    ident = record(client)["id"]
    r = client.post(f"/v1/beslut/{ident}/lank", headers={**auth("handlaggare"), "Host": "angripare.example"})
    link = r.json()
    assert link["adress"].startswith("https://ekbist.exempel.se/v1/beslut/") and "angripare" not in link["adress"]
    page = client.get(link["url"])
    assert page.status_code == 200
    assert "script-src" not in page.headers["content-security-policy"] and "<script" not in page.text
    assert page.headers["x-frame-options"] == "DENY" and page.headers["cache-control"] == "no-store"
    rows = client.app.state.log.access_log(ident)
    created, opened = rows[-2], rows[-1]
    assert (created["handling"], created["anvandare"], created["lank_id"]) == ("lank_skapad", "anna", link["lank_id"])
    assert (opened["handling"], opened["anvandare"], opened["lank_id"]) == (
        "forklaring",
        "(länkinnehavare)",
        link["lank_id"],
    )
    assert opened["adress"] == "testclient" and "anna" in opened["detalj"]
    other = record(client)["id"]
    token = link["url"].split("lank=")[1]
    assert client.get(f"/v1/beslut/{other}/forklaring?lank={token}").status_code == 403
    assert client.app.state.log.access_log(other)[-1]["utfall"] == "nekad"
    assert client.get(f"/v1/beslut/{ident}", params={"lank": token}).status_code == 401  # a link opens one page


# -- the auditor's tools ------------------------------------------------------------------------------


def test_listing_decisions(client: Any) -> None:
    ids = [record(client)["id"] for _ in range(3)]
    record(client, {**APP, "period": "2026-04"})
    record(client, kommun="1280")
    r = client.get("/v1/beslut", params={"period": "2026-03", "per_sida": 2}, headers=auth("revisor", "9999"))
    body = r.json()
    assert (body["totalt"], body["sidor"], [b["id"] for b in body["beslut"]]) == (4, 2, ids[:2])
    assert body["beslut"][0]["forsorjningsstod"] == 11220 and body["beslut"][0]["utfall"] == "beviljat"
    own = client.get("/v1/beslut", headers=auth("handlaggare", "1280")).json()
    assert own["totalt"] == 1 and own["beslut"][0]["kommun"] == "1280"
    assert client.get("/v1/beslut", params={"kommun": "0180"}, headers=auth("handlaggare", "1280")).status_code == 403
    assert client.get("/v1/beslut", params={"period": "2026-13"}, headers=auth("revisor")).status_code == 422
    assert client.app.state.log.access_log("*")[-1]["handling"] == "lista"


def test_who_read_a_decision(client: Any) -> None:
    ident = record(client)["id"]
    client.get(f"/v1/beslut/{ident}", headers=auth("handlaggare", "0180", "anna"))
    client.get(f"/v1/beslut/{ident}", headers=auth("handlaggare", "1280", "otto"))
    rows = client.get(f"/v1/beslut/{ident}/atkomst", headers=auth("revisor", "0180", "rita")).json()["atkomst"]
    assert [(r["anvandare"], r["handling"], r["utfall"]) for r in rows] == [
        ("anna", "lasa", "ok"),
        ("otto", "lasa", "nekad"),
        ("rita", "atkomst", "ok"),
    ]
    assert client.get(f"/v1/beslut/{ident}/atkomst", headers=auth("handlaggare")).status_code == 403


def test_replay_reports_a_decided_amount_that_differs(client: Any) -> None:
    ident = record(client, decision={"utfall": "avslag", "belopp": 99999, "motivering": "fel"})["id"]
    out = client.post(f"/v1/beslut/{ident}/omprovning", headers=auth("revisor")).json()
    assert out["identisk"] is True and out["godkand"] is False
    assert out["beslut"]["avvikelser"] == [
        "beslutet är avslag men anger beloppet 99 999 kr",
        "beslutet är avslag, men beräkningen ger 11 220 kr i försörjningsstöd (se motiveringen)",
    ]
    ident = record(client, decision={"utfall": "beviljat", "belopp": 99999, "motivering": "fel"})["id"]
    out = client.post(f"/v1/beslut/{ident}/omprovning", headers=auth("revisor")).json()
    assert out["beslut"]["avvikelser"] == ["beslutat belopp avviker från beräknat: 99 999 kr mot 11 220 kr"]


def test_replay_with_a_damaged_bundle_is_409_naming_it(db_url: str, rule_copy: Path) -> None:  # noqa: F811
    from sqlalchemy import text

    c, log = make_client(db_url, rule_copy)
    ident = record(c)["id"]
    h = log.get(ident).regelverk_hash
    # A fresh server process: nothing cached, the bundle comes from the database.
    c2, log2 = make_client(db_url, rule_copy)
    for table in ("regelverk_paket",):
        with log.writer.begin() as conn:
            if log.sqlite:
                conn.execute(text(f"DROP TRIGGER {table}_endast_tillagg_update"))
            else:
                conn.execute(text(f"DROP TRIGGER {table}_endast_tillagg ON {table}"))
            conn.execute(text("UPDATE regelverk_paket SET filer = 'inte json'"))
    r = c2.post(f"/v1/beslut/{ident}/omprovning", headers=auth("revisor"))
    assert r.status_code == 409 and h in r.json()["fel"] and "skadat" in r.json()["fel"]
    log.dispose()
    log2.dispose()


def test_receipt_is_an_anchor(client: Any, db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: F811
    answer = record(client)
    assert set(answer["kvitto"]) == {"position", "innehall", "huvud"}
    path = tmp_path / "svar.json"
    path.write_text(json.dumps(answer), encoding="utf-8")
    assert main(["revision", "verifiera", "--databas", db_url, "--ankare", str(path)]) == 0
    assert "1 ankare finns kvar" in capsys.readouterr().out


# -- återkrav ---------------------------------------------------------------------------------------


def test_aterkrav_basis_api_and_cli(client: Any, db_url: str, tmp_path: Path, capsys: Any) -> None:  # noqa: F811
    ident = record(client)["id"]  # 11 220 kr granted and paid
    wage = {**APP, "inkomster": [{"person": "s", "typ": "lon", "belopp": 5000}]}  # an income found afterwards
    r = client.post(
        f"/v1/beslut/{ident}/aterkrav", json={"rattelse": wage, "utbetald": "2026-03-25"}, headers=auth("handlaggare")
    )
    assert r.status_code == 200, r.text
    b = r.json()
    # by hand: 5 220 + 6 000 − 5 000 = 6 220 kr was due; 11 220 − 6 220 = 5 000 kr paid too much
    assert b["per_manad"] == [{"period": "2026-03", "utbetalt": 11220, "ratt_belopp": 6220, "for_mycket": 5000}]
    assert b["for_mycket_totalt"] == 5000 and b["rattad_berakning"]["inkomster"] == 5000
    assert b["talan"]["sista_dag"] == "2029-03-25" and "33 kap. 5 §" in b["talan"]["lagrum"]
    grounds = {g["id"]: g for g in b["grunder"]}
    assert grounds["orsakat_av_mottagaren"]["lagrum"].startswith("33 kap. 1 § första stycket socialtjänstlagen")
    assert grounds["orsakat_av_mottagaren"]["bedomning"].startswith("trolig")
    assert grounds["borde_ha_insett"]["lagrum"].startswith("33 kap. 1 § andra stycket")
    assert grounds["forskott_eller_villkor"]["lagrum"].startswith("33 kap. 2 §")
    assert b["brottsmisstanke"] is None
    assert client.app.state.log.access_log(ident)[-1]["handling"] == "aterkrav"

    f = tmp_path / "rattelse.json"
    f.write_text(json.dumps(wage), encoding="utf-8")
    assert main(["aterkrav", ident, "--rattelse", str(f), "--databas", db_url]) == 0
    text = capsys.readouterr().out
    assert "Utbetalt för mycket totalt: 5 000 kr" in text and "nämnden väljer" in text
    f.write_text(json.dumps({**wage, "period": "2026-04"}), encoding="utf-8")
    assert main(["aterkrav", ident, "--rattelse", str(f), "--databas", db_url]) == 2
    assert "gäller 2026-04, men beslutet gäller 2026-03" in capsys.readouterr().err
    r = client.post(
        f"/v1/beslut/{ident}/aterkrav", json={"rattelse": {**wage, "period": "2026-04"}}, headers=auth("handlaggare")
    )
    assert r.status_code == 422 and r.json()["fel"][0]["falt"] == "rattelse.period"


def test_aterkrav_reminds_of_the_duty_to_report(client: Any) -> None:
    anna = (ANSWERS / "svar-anna-2026-03.xml").read_text(encoding="utf-8")
    body = {"ansokan": COUPLE, "ssbtek": {"anna": anna}, "beslut": {**DECISION, "belopp": 1460}}
    ident = client.post("/v1/beslut", json=body, headers=auth("handlaggare")).json()["id"]
    found = {**COUPLE, "inkomster": [*COUPLE["inkomster"], {"person": "anna", "typ": "bostadsbidrag", "belopp": 1300}]}
    b = client.post(f"/v1/beslut/{ident}/aterkrav", json={"rattelse": found}, headers=auth("handlaggare")).json()
    # 1 460 kr was paid; the bostadsbidrag of 1 300 kr reduces what was due to 160 kr
    assert b["for_mycket_totalt"] == 1300
    assert b["brottsmisstanke"]["koder"] == ["EJ_DEKLARERAD_INKOMST"]
    assert b["brottsmisstanke"]["lagrum"] == "6 § första stycket bidragsbrottslagen (2007:612)"


def test_serve_refuses_to_run_as_the_table_owner(tmp_path: Path) -> None:
    from tests.api_helpers import pg_database

    for url in pg_database():
        env = {k: v for k, v in os.environ.items() if not k.startswith("EKBIST_")}
        env.update(EKBIST_JWT_KEY=KEY, EKBIST_LOGG_NYCKEL=LOG_KEY, EKBIST_DATADIR=str(tmp_path))
        out = subprocess.run(
            [str(EKBIST), "serve", "--databas", url, "--port", "1"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert out.returncode == 2 and "superanvändare" in out.stderr and "EKBIST_MIGRERING_URL" in out.stderr
