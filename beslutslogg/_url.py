"""Database URLs and connections: SQLite (WAL, durable, owner-only file) and PostgreSQL with timeouts."""

from __future__ import annotations

import contextlib
import os
import random
import sqlite3
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, make_url

# Waiting for a lock is bounded everywhere: a request that cannot get the database in this time
# answers 503 with Retry-After instead of holding a worker.
LOCK_TIMEOUT_S = float(os.environ.get("EKBIST_DB_LASTID", "5"))
STATEMENT_TIMEOUT_S = float(os.environ.get("EKBIST_DB_SATSTID", "30"))


def normalise_url(url: str) -> str:
    """``postgresql://`` means psycopg 3 here; SQLite paths are created as needed (owner-only).

    Raises ValueError for any other kind of database: the log is tested on these two only.
    """
    if not url.startswith(("sqlite://", "postgresql://", "postgres://", "postgresql+psycopg://")):
        raise ValueError(
            "databasens URL ska börja med sqlite:/// (en fil) eller postgresql:// (en PostgreSQL-server), "
            f"inte {shown_url(url).split(':', 1)[0]}:"
        )
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def sqlite_path(url: str) -> Path | None:
    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        return Path(url[len("sqlite:///") :].split("?", 1)[0]).expanduser()
    return None


def create_private_file(path: Path) -> None:
    """The SQLite file (and its directory) created readable by the owner only, before SQLite opens it.

    SQLite gives its -wal and -shm files the permissions of the database file.
    """
    path = path.resolve()
    if not path.parent.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if not path.exists():
        with contextlib.suppress(FileExistsError):  # another process made it first
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


class LogBusy(Exception):
    """The log did not become free for writing within the lock timeout; try again."""


def shown_url(url: str) -> str:
    """The URL without its password, for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "(ogiltig URL)"


def make_engine(url: str, *, immediate: bool) -> Engine:
    """An engine for reading or (``immediate``) writing; parameters never appear in logs or errors."""
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": LOCK_TIMEOUT_S},
            hide_parameters=True,
        )
        _sqlite_setup(engine, immediate)
        return engine
    options = f"-c lock_timeout={int(LOCK_TIMEOUT_S * 1000)} -c statement_timeout={int(STATEMENT_TIMEOUT_S * 1000)}"
    return create_engine(
        url,
        pool_pre_ping=True,
        hide_parameters=True,
        connect_args={"options": options, "connect_timeout": 5},
    )


def _sqlite_setup(engine: Engine, immediate: bool) -> None:
    @event.listens_for(engine, "connect")
    def connect(dbapi_conn: Any, _: Any) -> None:
        dbapi_conn.isolation_level = None  # SQLAlchemy emits BEGIN itself
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")  # a commit is on disk when it returns
        # Writers wait for the write lock in begin() below; readers (WAL) are never blocked by them.
        cur.execute(f"PRAGMA busy_timeout={0 if immediate else int(LOCK_TIMEOUT_S * 1000)}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def begin(conn: Any) -> None:
        if not immediate:
            conn.exec_driver_sql("BEGIN")
            return
        _begin_immediate(conn.connection.driver_connection)


def _begin_immediate(dbapi_conn: Any) -> None:
    """Take SQLite's write lock, retrying every millisecond or two until LOCK_TIMEOUT_S.

    SQLite's own busy handler sleeps up to 100 ms between tries, so under load from several
    processes a waiting writer keeps missing the moment the lock is free and the tail grows to
    seconds; short randomised retries keep the wait close to the time the lock is actually held.
    """
    deadline = time.monotonic() + LOCK_TIMEOUT_S
    while True:
        try:
            dbapi_conn.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            if time.monotonic() >= deadline:
                raise LogBusy(f"beslutsloggen blev inte ledig för skrivning inom {LOCK_TIMEOUT_S:g} s") from None
        time.sleep(random.uniform(0.0001, 0.0005))
