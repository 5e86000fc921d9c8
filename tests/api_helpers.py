"""Fixtures for API and decision-log tests: SQLite and PostgreSQL databases, tokens, clients."""

from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from api import Settings, create_app
from api._auth import issue
from beslutslogg import DecisionLog, Keyring
from tests.conftest import ROOT

PG_ADMIN = os.environ.get("EKBIST_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
KEY = "test-nyckel-" + "x" * 40
LOG_KEY = "loggnyckel-för-test-" + "y" * 40
KEYRING = Keyring.from_texts([LOG_KEY], "test")
APP = {
    "period": "2026-03",
    "hushall": [{"id": "s", "roll": "sokande", "fodd": "1990-01-01"}],
    "kostnader": [{"typ": "boende", "belopp": 6000}],
}
DECISION = {"utfall": "beviljat", "belopp": 11220, "motivering": "Enligt riksnormen."}


def pg_database() -> Iterator[str]:
    """A fresh PostgreSQL database for one test (dropped afterwards)."""
    name = f"ekbist_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_ADMIN.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"))
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


@contextlib.contextmanager
def app_role(db_url: str) -> Iterator[str]:
    """A login role for the server on the database of ``db_url``: it owns nothing (dropped afterwards)."""
    role = f"ekbist_app_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE ROLE {role} LOGIN PASSWORD 'app-losen'"))
    try:
        base, name = db_url.rsplit("/", 1)
        host = base.split("@", 1)[1]
        yield f"postgresql+psycopg://{role}:app-losen@{host}/{name}"
    finally:
        db = create_engine(db_url, isolation_level="AUTOCOMMIT")
        with db.connect() as conn:
            conn.execute(text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '{role}'"))
            conn.execute(text(f"DROP OWNED BY {role}"))
        db.dispose()
        with admin.connect() as conn:
            conn.execute(text(f"DROP ROLE IF EXISTS {role}"))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'beslut.sqlite3'}"
    else:
        yield from pg_database()


@pytest.fixture
def rule_copy(tmp_path: Path) -> Path:
    root = tmp_path / "regler"
    shutil.copytree(ROOT / "regelverk", root / "regelverk")
    shutil.copytree(ROOT / "normer", root / "normer")
    return root


def settings(db_url: str, root: Path | None = None, **kw: Any) -> Settings:
    kw.setdefault("public_url", "https://ekbist.exempel.se")
    return Settings(database_url=db_url, jwt_key=KEY, rule_root=root, log_keys=KEYRING, **kw)


def decision_log(db_url: str) -> DecisionLog:
    return DecisionLog(db_url, KEYRING)


def make_client(db_url: str, root: Path | None = None, **kw: Any) -> Any:
    from fastapi.testclient import TestClient

    log = DecisionLog(db_url, KEYRING)
    log.migrate()
    s = settings(db_url, root, **kw)
    return TestClient(create_app(s, decision_log=log), raise_server_exceptions=False), log


def auth(roll: str, kommun: str = "0180", anvandare: str = "anna") -> dict[str, str]:
    token = issue(settings("sqlite://"), anvandare=anvandare, roll=roll, kommun=kommun)
    return {"Authorization": f"Bearer {token}"}
