"""The decision log: append-only, hash-chained, verifiable; on SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
import logging
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

import engine
from beslutslogg import DecisionLog
from ekbist.cli import main
from tests.api_helpers import APP, DECISION, db_url  # noqa: F401
from tests.conftest import ROOT

BUNDLE = engine.load_bundle(ROOT)


def fill(log: DecisionLog, n: int = 5) -> list[str]:
    result = BUNDLE.calculate(APP).to_dict()
    return [
        log.append(
            kommun="0180",
            anvandare="anna",
            roll="handlaggare",
            indata={"ansokan": APP},
            resultat=result,
            beslut_data=DECISION,
            bundle=BUNDLE,
        ).id
        for _ in range(n)
    ]


@pytest.fixture
def log(db_url: str) -> Any:  # noqa: F811
    d = DecisionLog(db_url)
    d.migrate()
    yield d
    d.dispose()


def _drop_guard(log: DecisionLog) -> None:
    """What someone with direct database access could do: remove the append-only triggers."""
    with log.writer.begin() as conn:
        if log.sqlite:
            conn.execute(text("DROP TRIGGER beslut_endast_tillagg_update"))
            conn.execute(text("DROP TRIGGER beslut_endast_tillagg_delete"))
        else:
            conn.execute(text("DROP TRIGGER beslut_endast_tillagg ON beslut"))


def test_chain_links_every_record(log: DecisionLog) -> None:
    ids = fill(log)
    records = list(log.records())
    assert [r.id for r in records] == ids and [r.seq for r in records] == [1, 2, 3, 4, 5]
    assert records[0].foregaende_hash == "0" * 64
    assert all(b.foregaende_hash == a.hash for a, b in itertools.pairwise(records))
    assert log.verify() == (5, [])
    assert log.bundle_files(BUNDLE.hash) == BUNDLE.files


def test_updates_and_deletes_are_refused(log: DecisionLog) -> None:
    fill(log, 2)
    for statement in ("UPDATE beslut SET kommun = '9999'", "DELETE FROM beslut"):
        with pytest.raises(Exception, match="kan bara utökas"), log.writer.begin() as conn:
            conn.execute(text(statement))
    assert log.verify() == (2, [])


def test_verify_finds_altered_record(log: DecisionLog, db_url: str, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: F811
    ids = fill(log)
    _drop_guard(log)
    with log.writer.begin() as conn:
        conn.execute(text("UPDATE beslut SET beslut = replace(beslut, '11220', '21220') WHERE seq = 3"))
    count, problems = log.verify()
    assert count == 5 and problems == [f"beslut nr 3 ({ids[2]}) har ändrats efter att det registrerades"]
    assert main(["revision", "verifiera", "--databas", db_url]) == 1
    assert "har ändrats" in capsys.readouterr().out


def test_verify_finds_removed_records(log: DecisionLog) -> None:
    fill(log)
    _drop_guard(log)
    with log.writer.begin() as conn:
        conn.execute(text("DELETE FROM beslut WHERE seq = 2"))
    _, problems = log.verify()
    assert any("nr 2–2 saknas" in p for p in problems)
    with log.writer.begin() as conn:
        conn.execute(text("DELETE FROM beslut WHERE seq = 5"))
    _, problems = log.verify()
    assert any("sista som finns är nr 4" in p for p in problems)


def test_cli_verify_ok(log: DecisionLog, db_url: str, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: F811
    fill(log, 3)
    assert main(["revision", "verifiera", "--databas", db_url]) == 0
    assert "intakt: 3 beslut" in capsys.readouterr().out


def test_cli_replay(log: DecisionLog, db_url: str, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: F811
    [ident] = fill(log, 1)
    assert main(["omprova", ident, "--databas", db_url]) == 0
    out = capsys.readouterr().out
    assert "identiskt resultat" in out and "samma belopp som i beslutet" in out
    assert main(["omprova", "finns-inte", "--databas", db_url]) == 2
    assert "beslutet finns-inte finns inte" in capsys.readouterr().err
    # The CLI's replay is the access log's too, under the person running it.
    assert [a["handling"] for a in log.access_log(ident)] == ["omprova"]


def test_cli_without_a_log(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "ingen.sqlite3"
    assert main(["revision", "verifiera", "--databas", f"sqlite:///{missing}"]) == 1
    assert "ingen beslutslogg" in capsys.readouterr().err and not missing.exists()
    assert main(["omprova", "x", "--databas", "postgresql://u:hemligt@127.0.0.1:1/x?connect_timeout=2"]) == 1
    err = capsys.readouterr().err
    assert "beslutsloggen nås inte" in err and "hemligt" not in err and "Traceback" not in err
    assert main(["revision", "verifiera", "--databas", "mysql://u:hemligt@x/db"]) == 2
    err = capsys.readouterr().err
    assert "sqlite:///" in err and "hemligt" not in err
    assert main(["serve", "--workers", "0", "--databas", f"sqlite:///{missing}"]) == 2
    assert main(["token", "--roll", "kung", "--kommun", "0180"]) == 2


def test_sql_logging_never_shows_parameters(db_url: str, caplog: pytest.LogCaptureFixture) -> None:  # noqa: F811
    caplog.set_level(logging.INFO, logger="sqlalchemy.engine")
    log = DecisionLog(db_url)
    log.migrate()
    app = {**APP, "hushall": [{"id": "s", "roll": "sokande", "fodd": "1985-02-01", "personnummer": "198502011235"}]}
    log.append(
        kommun="0180",
        anvandare="anna",
        roll="handlaggare",
        indata={"ansokan": app},
        resultat=BUNDLE.calculate(app).to_dict(),
        beslut_data=DECISION,
        bundle=BUNDLE,
    )
    log.dispose()
    assert "INSERT INTO beslut" in caplog.text and "198502011235" not in caplog.text
