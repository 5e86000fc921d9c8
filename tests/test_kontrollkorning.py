"""ekbist kontrollkorning: a decision log of a few hundred cases, the fake SSBTEK with failing people.

Expectations come from how each synthetic person is set up (an undeclared sickness benefit, an
agency that errors, an answer that comes too late), never from the engine's output.
"""

from __future__ import annotations

import csv
import io
import json
import math
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

import engine
import kontrollkorning
from beslutslogg import DecisionLog
from ekbist.cli import main
from engine._personnummer import with_check_digit
from ssbtek.fake import FakeSsbtek, serve
from tests.api_helpers import KEYRING, LOG_KEY
from tests.conftest import ROOT

MONTH, CASE_MONTH = "2026-05", "2026-04"
N = 240


def _pnr(i: int) -> str:
    return "19" + with_check_digit(f"800101{i:03d}")


def _kind(i: int) -> str:
    """What the registers say about applicant i."""
    if i % 10 == 0:
        return "sjukpenning"  # paid by FK, not declared
    if i % 25 == 1:
        return "csn_fel"  # CSN answers with an error
    if i % 40 == 2:
        return "sen"  # the whole answer comes after the time limit
    return "inget"


def _person_file(i: int) -> dict[str, Any]:
    kind = _kind(i)
    sources: dict[str, Any] = {}
    person: dict[str, Any] = {"namn": f"Syntetisk {i}", "kallor": sources}
    if kind == "sjukpenning":
        sources["FK"] = {
            "utbetalningar": [
                {"id": "SJP", "beskrivning": "Sjukpenning", "manad": -1, "dag": 24, "netto": 6400},
                {"id": "SJP", "beskrivning": "Sjukpenning", "manad": -2, "dag": 24, "netto": 6400},
            ]
        }
    elif kind == "csn_fel":
        sources["CSN"] = {"fel": {"kalla": "CSN", "felkod": "TIMEOUT", "meddelande": "tjänsten svarar inte"}}
    elif kind == "sen":
        person["fordrojning_sekunder"] = 2.5
    return person


@pytest.fixture
def persons(tmp_path: Path) -> Path:
    folder = tmp_path / "personer"
    folder.mkdir()
    for i in range(N):
        (folder / f"{_pnr(i)}.yaml").write_text(yaml.safe_dump(_person_file(i), allow_unicode=True), "utf-8")
    return folder


@pytest.fixture
def fake(persons: Path) -> Iterator[str]:
    server: FakeSsbtek = serve(persons)
    host, port = server.server_address[:2]
    yield f"http://{host}:{port}/"
    server.shutdown()


def _app(i: int, period: str) -> dict[str, Any]:
    return {
        "period": period,
        "kommun": "0180",
        "hushall": [{"id": "s", "roll": "sokande", "fodd": "1980-01-01", "personnummer": _pnr(i)}],
        "kostnader": [{"typ": "boende", "belopp": 5000 + i}],
    }


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("EKBIST_LOGG_NYCKEL", LOG_KEY)
    monkeypatch.setenv("EKBIST_SSBTEK_TIMEOUT", "0.8")
    monkeypatch.setenv("EKBIST_SSBTEK_TIDSGRANS", "1")
    monkeypatch.setenv("EKBIST_SSBTEK_FORSOK", "1")
    url = f"sqlite:///{tmp_path / 'beslut.sqlite3'}"
    log = DecisionLog(url, KEYRING)
    log.migrate()
    bundle = engine.load_bundle(ROOT)
    for i in range(N):
        periods = [CASE_MONTH] if i % 7 else ["2026-03", CASE_MONTH, CASE_MONTH]  # older and repeated decisions
        for period in periods:
            app = _app(i, period)
            result = bundle.calculate(app).to_dict()
            log.append(
                kommun="0180",
                anvandare="handlaggare:test",
                roll="handlaggare",
                indata={"ansokan": app},
                resultat=result,
                beslut_data={"utfall": "beviljat", "belopp": result["forsorjningsstod"], "motivering": "test"},
                bundle=bundle,
            )
    # another kommun's case is not in a run for 0180
    app = {**_app(999, CASE_MONTH), "kommun": "0581"}
    log.append(
        kommun="0581",
        anvandare="handlaggare:test",
        roll="handlaggare",
        indata={"ansokan": app},
        resultat=bundle.calculate(app).to_dict(),
        beslut_data={"utfall": "beviljat", "belopp": 1, "motivering": "test"},
        bundle=bundle,
    )
    log.dispose()
    return url


def _run(db: str, fake: str, out: Path, *extra: str) -> int:
    return main(
        [
            "kontrollkorning",
            "--manad",
            MONTH,
            "--ut",
            str(out),
            "--databas",
            db,
            "--ssbtek-url",
            fake,
            "--kommun",
            "0180",
            *extra,
        ]
    )


def test_a_monthly_run_over_the_log(db: str, fake: str, tmp_path: Path) -> None:
    out = tmp_path / "rapport.json"
    assert _run(db, fake, out, "--seed", "7", "--andel", "0,1") == 0
    report = json.loads(out.read_text("utf-8"))
    assert report["korning"]["arenden"] == N  # one case per household: its newest decision for April
    assert report["korning"]["kontrollerade"] == N
    by_case = {c["beslut_id"]: c for c in report["arenden"]}
    codes = {cid: {(d["kod"], d["kalla"]) for d in c["avvikelser"]} for cid, c in by_case.items()}
    pnr_of = {c["beslut_id"]: i for i, c in zip(range(N), report["arenden"], strict=True)}
    for cid, i in pnr_of.items():
        kind = _kind(i)
        found = codes[cid]
        if kind == "sjukpenning":
            assert ("EJ_DEKLARERAD_INKOMST", "FK") in found, i
        elif kind == "csn_fel":
            assert ("UPPGIFT_SAKNAS", "CSN") in found, i
        elif kind == "sen":
            assert {k for k, _ in found} == {"UPPGIFT_SAKNAS"}, i  # every source of that person
        else:
            assert not any(k in ("EJ_DEKLARERAD_INKOMST", "UPPGIFT_SAKNAS") for k, _ in found), i
    summary = report["summering"]
    assert summary["uppgift_saknas"] == sum(1 for i in range(N) if _kind(i) in ("csn_fel", "sen"))
    per_code = {e["kod"]: e["antal"] for e in summary["per_kod"]}
    assert per_code["EJ_DEKLARERAD_INKOMST"] == sum(1 for i in range(N) if _kind(i) == "sjukpenning")
    # the cases to investigate first: the most serious first, then the largest amounts
    first = report["utreds_forst"]
    rank = {"utred": 3, "kontrollera": 2, "info": 1}
    keys = [(-rank[c["allvarlighet"]], -(c["forsorjningsstod"] or 0)) for c in first]
    assert keys == sorted(keys) and first
    # the random sample: reproducible from the report alone
    sample = report["urval"]
    assert sample["seed"] == 7 and sample["antal"] == math.ceil(0.1 * N)
    expected = sorted(random.Random(7).sample(sorted(by_case), sample["antal"]))
    assert [c["beslut_id"] for c in sample["arenden"]] == expected
    # HTML and CSV beside the JSON
    html = (tmp_path / "rapport.html").read_text("utf-8")
    assert "Kontrollkörning för 2026-05" in html and "Slumpmässigt urval" in html
    rows = list(csv.reader(io.StringIO((tmp_path / "rapport.csv").read_text("utf-8")), delimiter=";"))
    assert rows[0][:4] == ["beslut_id", "period", "forsorjningsstod", "kod"]
    assert len(rows) - 1 == sum(len(c["avvikelser"]) for c in report["arenden"])
    assert not any(_pnr(i) in out.read_text("utf-8") for i in range(0, N, 17))  # no personnummer in the report
    # every decision read is logged, and the run itself, with who, the month, the rule version and the count
    log = DecisionLog(db, KEYRING)
    try:
        rows_logged = [r for r in log.access_log() if r["handling"] == "kontrollkorning"]
        assert len(rows_logged) == N + 1
        run_row = next(r for r in rows_logged if r["beslut_id"] == report["korning"]["id"])
        assert run_row["anvandare"].startswith("cli:") and f"{N} ärenden" in run_row["detalj"]
        assert report["korning"]["regelverk"]["version"] in run_row["detalj"]
        assert log.verify().problem == []
    finally:
        log.dispose()


def test_an_interrupted_run_resumes_without_asking_again(
    db: str, fake: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "rapport.json"
    real = kontrollkorning._run.check_case
    asked: list[str] = []

    def stop_after_50(bundle: Any, case: Any, source: Any) -> Any:
        if len(asked) >= 50:
            raise KeyboardInterrupt
        asked.append(case["id"])
        return real(bundle, case, source)

    monkeypatch.setattr(kontrollkorning._run, "check_case", stop_after_50)
    assert _run(db, fake, out, "--seed", "3", "--tradar", "1") == 130
    assert not out.exists()
    assert _run(db, fake, out, "--seed", "3") == 2  # an interrupted run is not overwritten
    first_round = list(asked)
    asked.clear()
    monkeypatch.setattr(kontrollkorning._run, "check_case", lambda b, c, s: (asked.append(c["id"]), real(b, c, s))[1])
    assert _run(db, fake, out, "--fortsatt") == 0
    report = json.loads(out.read_text("utf-8"))
    assert report["korning"]["kontrollerade"] == N
    assert report["urval"]["seed"] == 3  # the plan of the interrupted run
    finished_before = report["korning"]["fortsatt_med_klara"]
    assert finished_before >= 40
    assert len(asked) == N - finished_before
    assert not set(asked) & set(first_round[: finished_before - 8])  # finished cases are not asked about again


def test_usage_errors(db: str, fake: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "rapport.json"
    assert main(["kontrollkorning", "--manad", "2026-13", "--ut", str(out), "--databas", db, "--ssbtek-url", fake]) == 2
    assert _run(db, fake, tmp_path / "rapport.txt") == 2
    assert _run(db, fake, out, "--andel", "2") == 2
    assert main(["kontrollkorning", "--manad", MONTH, "--ut", str(out), "--databas", db]) == 2  # no SSBTEK address
    err = capsys.readouterr().err
    assert "--manad" in err and ".json" in err and "--andel" in err and "SSBTEK" in err
