"""``ekbist revision export``: a consistent copy of the whole log, verified after it is written.

SQLite: the backup API copies one consistent state (WAL included) into a new file, which is then
opened and verified like the original. PostgreSQL: ``pg_dump`` (custom format) of a snapshot that
is verified in the same transaction (``pg_export_snapshot``), and the archive is then checked to
hold every table's data. Beside the copy, an anchor (``FIL.ankare.json``) pins the head the copy
must contain: a copy made without its WAL, or cut short later, no longer passes as complete.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import make_url, text

from beslutslogg._anchor import signed_anchor
from beslutslogg._keys import Keyring
from beslutslogg._model import Verification
from beslutslogg._schema import TABLES
from beslutslogg._url import sqlite_path


class ExportError(Exception):
    """The copy could not be made or did not verify; the message says why."""


@dataclass(frozen=True)
class Export:
    path: Path
    anchor_path: Path
    format: str
    verification: Verification


def export(log: Any, target: Path) -> Export:
    """Copy ``log`` (a DecisionLog) to ``target``, verify the copy, write its anchor beside it."""
    target = target.resolve()
    if target.exists():
        raise ExportError(f"{target} finns redan; välj ett nytt filnamn")
    if not target.parent.is_dir():
        raise ExportError(f"katalogen {target.parent} finns inte")
    anchor_path = target.with_name(target.name + ".ankare.json")
    if log.sqlite:
        verification = _sqlite(log, target)
        fmt = "sqlite"
    else:
        verification = _postgres(log, target)
        fmt = "pg_dump"
    if verification.huvud is not None:
        anchor = signed_anchor(verification.huvud, log.keyring)
        _private_write(anchor_path, orjson.dumps(anchor, option=orjson.OPT_INDENT_2))
    return Export(target, anchor_path, fmt, verification)


def _sqlite(log: Any, target: Path) -> Verification:
    from beslutslogg._store import DecisionLog

    source = sqlite_path(log.url)
    assert source is not None
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    _private_write(tmp, b"")
    try:
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        dst = sqlite3.connect(tmp)
        try:
            src.backup(dst)  # one consistent state, including what is still in the WAL
            dst.execute("PRAGMA journal_mode=DELETE")  # the copy is one self-contained file
        finally:
            dst.close()
            src.close()
        copy = DecisionLog(f"sqlite:///{tmp}", log.keyring)
        try:
            verification = copy.verify()
        finally:
            copy.dispose()
        if not verification.intakt:
            raise ExportError("kopian verifierar inte: " + "; ".join(verification.problem[:5]))
        tmp.replace(target)
    finally:
        tmp.unlink(missing_ok=True)
    return verification


def _postgres(log: Any, target: Path) -> Verification:
    from beslutslogg._verify import verify

    pg_dump, pg_restore = shutil.which("pg_dump"), shutil.which("pg_restore")
    if not pg_dump or not pg_restore:
        raise ExportError("pg_dump och pg_restore behövs för att kopiera en PostgreSQL-logg (postgresql-client)")
    url = make_url(log.url)
    env = {**os.environ, "PGPASSWORD": url.password or ""}
    plain = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    with log.reader.connect() as conn:
        conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            conn.execute(text("SET TRANSACTION READ ONLY"))
            snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            verification = verify(conn, _keyring(log), False)
            if not verification.intakt:
                raise ExportError("loggen verifierar inte; ingen kopia görs: " + "; ".join(verification.problem[:5]))
            try:
                subprocess.run(
                    [pg_dump, "--format=custom", f"--snapshot={snapshot}", "--no-owner", "-f", str(tmp), plain],
                    env=env,
                    check=True,
                    capture_output=True,
                    timeout=3600,
                )
            except subprocess.CalledProcessError as exc:
                tmp.unlink(missing_ok=True)
                why = exc.stderr.decode(errors="replace").strip()[:300]
                raise ExportError(f"pg_dump misslyckades: {why}") from None
    try:
        os.chmod(tmp, 0o600)
        listing = subprocess.run([pg_restore, "--list", str(tmp)], capture_output=True, text=True, check=True).stdout
        missing = [t for t in TABLES if not re.search(rf"TABLE DATA \S+ {t} ", listing)]
        if missing:
            raise ExportError(f"kopian saknar tabellernas innehåll: {', '.join(missing)}")
        tmp.replace(target)
    finally:
        tmp.unlink(missing_ok=True)
    return verification


def _keyring(log: Any) -> Keyring:
    keyring: Keyring = log._keys()
    return keyring


def _private_write(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
