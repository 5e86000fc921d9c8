"""The SOAP client and the fake SSBTEK talk the real v10 protocol to each other."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import trustme
import yaml

import engine
from ekbist.cli import main
from engine import Month
from ssbtek._soap import Asker, build_request, parse_request
from ssbtek.fake import FakeSsbtek, serve
from ssbtek.source import SoapConfig, SoapSource
from tests.conftest import ROOT
from tests.ssbtek_helpers import PNR_ANNA, PNR_BO

PERSONS = ROOT / "exempel" / "ssbtek" / "personer"
ASKER = Asker(organisationsnummer="169999999999", namn="Testkommun")
MARCH = Month.parse("2026-03")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    for p in PERSONS.glob("*.yaml"):
        (tmp_path / p.name).write_text(p.read_text(encoding="utf-8"), encoding="utf-8")
    return tmp_path


@pytest.fixture
def fake(folder: Path) -> Iterator[FakeSsbtek]:
    server = serve(folder)
    yield server
    server.shutdown()


def url(server: FakeSsbtek, scheme: str = "http") -> str:
    host, port = server.server_address[:2]
    return f"{scheme}://{host}:{port}/"


def client(address: str, **kw: Any) -> SoapSource:
    return SoapSource(SoapConfig(url=address, asker=ASKER, **kw), sleep=lambda s: None)


def test_question_validates_and_is_read_back() -> None:
    q = parse_request(build_request(PNR_ANNA, MARCH, ASKER))
    assert q.personnummer == PNR_ANNA and q.fran == "2026-01-01" and q.tom == "2026-03-31"


def test_client_and_fake_talk(fake: FakeSsbtek) -> None:
    src = client(url(fake))
    anna = src.fetch("anna", PNR_ANNA, MARCH)
    assert anna.sources["FK"].status == "svar" and len(anna.sources["FK"].payments) == 3
    bo = src.fetch("bo", PNR_BO, MARCH)
    assert bo.sources["CSN"].status == "fel" and "TIMEOUT" in bo.sources["CSN"].meddelande
    assert bo.sources["SO"].status == "svar"
    from engine._personnummer import with_check_digit

    unknown = src.fetch("x", "19" + with_check_digit("700101123"), MARCH)
    assert all(a.status == "svar" for a in unknown.sources.values())


def test_fake_refuses_invalid_questions(fake: FakeSsbtek) -> None:
    r = httpx.post(url(fake), content=b"<not-soap/>")
    assert r.status_code == 500 and b"Fault" in r.content and "SOAP" in r.text
    q = (
        build_request(PNR_ANNA, MARCH, ASKER)
        .replace(b"<ssbt:syfte>", b"<ssbt:syftet>")
        .replace(b"</ssbt:syfte>", b"</ssbt:syftet>")
    )
    r = httpx.post(url(fake), content=q)
    assert r.status_code == 500 and "följer inte SSBTEK v10" in r.text
    assert httpx.get(url(fake) + "?wsdl").text.count("BastjanstInformationInterface") > 1


def test_timeout_gives_missing_data_not_a_crash(folder: Path) -> None:
    (folder / f"{PNR_ANNA}.yaml").write_text("fordrojning_sekunder: 1.5\nkallor: {}\n", encoding="utf-8")
    server = serve(folder)
    try:
        src = client(url(server), timeout=0.3, attempts=2)
        d = src.fetch("anna", PNR_ANNA, MARCH)
        assert {a.status for a in d.sources.values()} == {"fel"}
        assert "inget svar inom 0.3 s (efter 2 försök" in d.sources["FK"].meddelande
        assert server.requests == 2
    finally:
        server.shutdown()


def test_bounded_retries_with_backoff_on_transport_errors() -> None:
    calls: list[int] = []
    sleeps: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        if len(calls) == 1:
            raise httpx.ConnectError("refused")
        if len(calls) == 2:
            return httpx.Response(503)
        from ssbtek import build_response

        return httpx.Response(200, content=build_response({"personnummer": PNR_ANNA, "kallor": {}}, MARCH))

    src = SoapSource(
        SoapConfig(url="https://ssbtek.invalid/", asker=ASKER, attempts=3, backoff=0.25),
        sleep=sleeps.append,
        transport=httpx.MockTransport(handler),
    )
    d = src.fetch("anna", PNR_ANNA, MARCH)
    assert d.sources["AF"].status == "svar" and len(calls) == 3 and sleeps == [0.25, 0.5]
    calls.clear()
    src = SoapSource(
        SoapConfig(url="https://ssbtek.invalid/", asker=ASKER, attempts=2),
        sleep=lambda s: None,
        transport=httpx.MockTransport(lambda r: httpx.Response(503)),
    )
    d = src.fetch("anna", PNR_ANNA, MARCH)
    assert d.sources["AF"].status == "fel" and "HTTP 503 (efter 2 försök" in d.sources["AF"].meddelande


def test_mutual_tls(folder: Path, tmp_path: Path) -> None:
    ca = trustme.CA()
    server_cert = ca.issue_cert("127.0.0.1")
    client_cert = ca.issue_cert("kommun.example")
    paths = {}
    for name, blob in (
        ("ca", ca.cert_pem),
        ("srv", server_cert.private_key_and_cert_chain_pem),
        ("cli", client_cert.private_key_and_cert_chain_pem),
    ):
        paths[name] = tmp_path / f"{name}.pem"
        blob.write_to_path(str(paths[name]))
    server = serve(folder, cert=str(paths["srv"]), key=str(paths["srv"]), client_ca=str(paths["ca"]))
    try:
        ok = client(url(server, "https"), ca=str(paths["ca"]), cert=str(paths["cli"]), attempts=1)
        assert ok.fetch("anna", PNR_ANNA, MARCH).sources["FK"].status == "svar"
        refused = client(url(server, "https"), ca=str(paths["ca"]), attempts=1)
        d = refused.fetch("anna", PNR_ANNA, MARCH)
        assert {a.status for a in d.sources.values()} == {"fel"} and "kunde inte nå SSBTEK" in d.sources[
            "FK"
        ].meddelande
    finally:
        server.shutdown()


def test_cli_hamta_and_berakna_hamta(fake: FakeSsbtek, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["hamta", PNR_BO, "--period", "2026-03", "--url", url(fake)]) == 0
    out = capsys.readouterr().out
    assert "19900101-****" in out and PNR_BO not in out and "CSN" in out and "TIMEOUT" in out
    app = ROOT / "exempel" / "03-sambor-med-ssbtek.yaml"
    assert main(["berakna", str(app), "--hamta", "--ssbtek-url", url(fake), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert ("UPPGIFT_SAKNAS", "bo") in {(d["kod"], d["person"]) for d in result["avvikelser"]}
    assert PNR_ANNA not in json.dumps(result)


def test_cli_files_match_the_fake(capsys: pytest.CaptureFixture[str]) -> None:
    """The saved answers in exempel/ are what the fake writes for those persons today."""
    from ssbtek import build_response

    for pnr, name in ((PNR_ANNA, "anna"), (PNR_BO, "bo")):
        person = FakeSsbtek.load_person(PERSONS, pnr)
        saved = (ROOT / "exempel" / "ssbtek" / f"svar-{name}-2026-03.xml").read_bytes()
        assert saved == build_response(person, MARCH)
    app = ROOT / "exempel" / "03-sambor-med-ssbtek.yaml"
    args = [
        "berakna",
        str(app),
        "--json",
        "--ssbtek",
        f"anna={ROOT}/exempel/ssbtek/svar-anna-2026-03.xml",
        "--ssbtek",
        f"bo={ROOT}/exempel/ssbtek/svar-bo-2026-03.xml",
    ]
    assert main(args) == 0
    got = {(d["kod"], d["person"]) for d in json.loads(capsys.readouterr().out)["avvikelser"]}
    assert got == {
        ("EJ_DEKLARERAD_INKOMST", "anna"),
        ("FORDON", "anna"),
        ("UPPGIFT_SAKNAS", "bo"),
        ("INKOMSTANDRING", "bo"),
        ("EJ_INSKRIVEN_AF", "bo"),
    }


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--ssbtek", "anna"], "PERSON_ID=SVAR.xml"),
        (["--ssbtek", "anna=/finns/inte.xml"], "finns inte"),
        (["--ssbtek", "okand=" + str(ROOT / "exempel/ssbtek/svar-anna-2026-03.xml")], "'okand' finns inte i hushall"),
    ],
)
def test_cli_bad_ssbtek_arguments(args: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    app = ROOT / "exempel" / "03-sambor-med-ssbtek.yaml"
    assert main(["berakna", str(app), *args]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_personnummer_is_checked_and_never_echoed(
    bundle: engine.RuleBundle, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bad = "198502011234"  # wrong check digit
    app = {"period": "2026-03", "hushall": [{"id": "s", "roll": "sokande", "fodd": "1985-02-01", "personnummer": bad}]}
    f = tmp_path / "a.yaml"
    f.write_text(yaml.safe_dump(app), encoding="utf-8")
    assert main(["berakna", str(f)]) == 2
    err = capsys.readouterr().err
    assert "hushall[0].personnummer: kontrollsiffran stämmer inte" in err and bad not in err
    app["hushall"][0]["personnummer"] = 198502011235
    f.write_text(yaml.safe_dump(app), encoding="utf-8")
    assert main(["berakna", str(f)]) == 2
    assert "198502011235" not in capsys.readouterr().err


def test_cli_hamta_refuses_bad_arguments_and_reports_no_answer(
    fake: FakeSsbtek, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert main(["hamta", "198502011234", "--period", "2026-03", "--url", url(fake)]) == 2
    assert "kontrollsiffran" in capsys.readouterr().err
    assert main(["hamta", PNR_ANNA, "--period", "2026-3", "--url", url(fake)]) == 2
    assert "--period" in capsys.readouterr().err
    monkeypatch.delenv("EKBIST_SSBTEK_URL", raising=False)
    assert main(["hamta", PNR_ANNA, "--period", "2026-03"]) == 2
    assert "EKBIST_SSBTEK_URL" in capsys.readouterr().err
    monkeypatch.setenv("EKBIST_SSBTEK_FORSOK", "1")
    assert main(["hamta", PNR_ANNA, "--period", "2026-03", "--url", "http://127.0.0.1:1/"]) == 1
    assert "SSBTEK svarade inte: kunde inte nå SSBTEK" in capsys.readouterr().err
    monkeypatch.setenv("EKBIST_SSBTEK_TIDSGRANS", "abc")
    assert main(["hamta", PNR_ANNA, "--period", "2026-03", "--url", url(fake)]) == 2
    assert "EKBIST_SSBTEK_TIDSGRANS ska vara ett tal" in capsys.readouterr().err
    monkeypatch.delenv("EKBIST_SSBTEK_TIDSGRANS")
    assert main(["hamta", PNR_ANNA, "--period", "2026-03", "--url", url(fake), "--xml"]) == 0
    assert "hamtaBastjanstInformationResponse" in capsys.readouterr().out
    assert main(["hamta", PNR_ANNA, "--period", "2026-03", "--url", url(fake)]) == 0
    out = capsys.readouterr().out
    assert "19850201-****" in out and "3 utbetalningar" in out and "1 fordon" in out and "inskriven" in out


def test_cli_fake_writes_an_answer(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["ssbtek-fake", "--katalog", str(PERSONS), "--skriv", PNR_ANNA, "--period", "2026-03"]) == 0
    assert capsys.readouterr().out.startswith("<?xml")
    assert main(["ssbtek-fake", "--katalog", str(PERSONS), "--skriv", PNR_ANNA]) == 2
    assert main(["ssbtek-fake", "--katalog", str(tmp_path / "finns-inte")]) == 2
