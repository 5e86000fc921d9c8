"""The decision log: every recorded decision, in a hash chain, with the rules that computed it.

Each record stores the canonical input (application, agency answers, preview values), the
output with its trace, the decision, who recorded it and when, the hash of the rule bundle, and
the hash of the previous record. The rule bundle itself is stored by its hash the first time it
is used, so a decision can be replayed with exactly its rules after ``regelverk/`` and ``normer/``
have changed. SQLite (WAL, synchronous=FULL) by default, PostgreSQL by URL; Alembic migrations.
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Engine, RowMapping, create_engine, event, func, inspect, make_url, select
from sqlalchemy.exc import IntegrityError

from beslutslogg._schema import atkomstlogg, beslut, kedja, regelverk_paket

GENESIS = "0" * 64
MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def canonical(value: Any) -> str:
    """Sorted keys, no whitespace, UTF-8: the same value always gives the same text (and hash)."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode("utf-8")


def record_hash(fields: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical(dict(fields)).encode("utf-8")).hexdigest()


def normalise_url(url: str) -> str:
    """``postgresql://`` means psycopg 3 here; SQLite paths are created as needed.

    Raises ValueError for any other kind of database: the log is tested on these two only.
    """
    if not url.startswith(("sqlite://", "postgresql://", "postgres://", "postgresql+psycopg://")):
        raise ValueError(
            "databasens URL ska börja med sqlite:/// (en fil) eller postgresql:// (en PostgreSQL-server), "
            f"inte {shown_url(url).split(':', 1)[0]}:"
        )
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        Path(url[len("sqlite:///") :]).expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)
    return url


def shown_url(url: str) -> str:
    """The URL without its password, for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "(ogiltig URL)"


@dataclass(frozen=True)
class Record:
    seq: int
    id: str
    tidpunkt: str
    kommun: str
    anvandare: str
    roll: str
    regelverk_hash: str
    indata: dict[str, Any]
    resultat: dict[str, Any]
    beslut: dict[str, Any]
    foregaende_hash: str
    hash: str


class DecisionLog:
    """Append-only storage of decisions; safe to share between threads and processes."""

    def __init__(self, url: str) -> None:
        self.url = normalise_url(url)
        self.sqlite = self.url.startswith("sqlite")
        # hide_parameters: applications and results (personal data) never appear in SQL logs or errors.
        kwargs: dict[str, Any] = {"pool_pre_ping": True, "hide_parameters": True}
        if self.sqlite:
            kwargs = {"connect_args": {"check_same_thread": False, "timeout": 30}, "hide_parameters": True}
        self.reader = create_engine(self.url, **kwargs)
        self.writer = create_engine(self.url, **kwargs)
        if self.sqlite:
            for eng, immediate in ((self.reader, False), (self.writer, True)):
                _sqlite_setup(eng, immediate)
        self._bundles: set[str] = set()
        self._lock = threading.Lock()

    # -- schema -------------------------------------------------------------------------------
    def migrate(self) -> None:
        from alembic import command
        from alembic.config import Config

        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        with self.writer.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")

    def ping(self) -> None:
        """Raise if the database cannot be reached."""
        with self.reader.connect() as conn:
            conn.execute(select(func.count()).select_from(kedja)).scalar_one()

    def exists(self) -> bool:
        """Has the log been created here (by migrate)? Creates nothing, not even an SQLite file."""
        if self.sqlite and ":memory:" not in self.url:
            path = self.url.split(":///", 1)[1]
            if not Path(path).exists():
                return False
        with self.reader.connect() as conn:
            return inspect(conn).has_table(kedja.name)

    def dispose(self) -> None:
        self.reader.dispose()
        self.writer.dispose()

    # -- rule bundles --------------------------------------------------------------------------
    def store_bundle(self, bundle: Any) -> None:
        """Keep the bundle's files by hash (once), so decisions can be replayed with them."""
        if bundle.hash in self._bundles:
            return
        with self.reader.connect() as conn:
            exists = conn.execute(select(regelverk_paket.c.hash).where(regelverk_paket.c.hash == bundle.hash)).first()
        if exists is None:
            # Outside the reading transaction: on PostgreSQL a failed INSERT aborts its transaction.
            with contextlib.suppress(IntegrityError), self.writer.begin() as conn:  # stored by another process
                conn.execute(
                    regelverk_paket.insert().values(
                        hash=bundle.hash,
                        regelverk_id=bundle.id,
                        version=bundle.version,
                        filer=canonical(bundle.files),
                        forst_anvand=_now(),
                    )
                )
        with self._lock:
            self._bundles.add(bundle.hash)

    def bundle_files(self, bundle_hash: str) -> dict[str, str] | None:
        with self.reader.connect() as conn:
            row = conn.execute(select(regelverk_paket.c.filer).where(regelverk_paket.c.hash == bundle_hash)).first()
        return None if row is None else dict(orjson.loads(row[0]))

    def bundles(self) -> list[dict[str, Any]]:
        with self.reader.connect() as conn:
            rows = conn.execute(
                select(
                    regelverk_paket.c.hash,
                    regelverk_paket.c.regelverk_id,
                    regelverk_paket.c.version,
                    regelverk_paket.c.forst_anvand,
                )
            ).all()
        return [{"hash": r[0], "id": r[1], "version": r[2], "forst_anvand": r[3]} for r in rows]

    # -- decisions ------------------------------------------------------------------------------
    def append(
        self,
        *,
        kommun: str,
        anvandare: str,
        roll: str,
        indata: Mapping[str, Any],
        resultat: Mapping[str, Any],
        beslut_data: Mapping[str, Any],
        bundle: Any,
    ) -> Record:
        """Record a decision at the head of the chain; returns once it is durably committed."""
        self.store_bundle(bundle)
        ident = str(uuid.uuid4())
        stamp = _now()
        texts = {"indata": canonical(indata), "resultat": canonical(resultat), "beslut": canonical(beslut_data)}
        with self.writer.begin() as conn:
            head = conn.execute(
                select(kedja.c.senaste_seq, kedja.c.senaste_hash).where(kedja.c.id == 1).with_for_update()
            ).one()
            seq, prev = int(head[0]) + 1, str(head[1])
            fields = {
                "seq": seq,
                "id": ident,
                "tidpunkt": stamp,
                "kommun": kommun,
                "anvandare": anvandare,
                "roll": roll,
                "regelverk_hash": bundle.hash,
                **texts,
                "foregaende_hash": prev,
            }
            digest = record_hash(fields)
            conn.execute(beslut.insert().values(**fields, hash=digest))
            conn.execute(kedja.update().where(kedja.c.id == 1).values(senaste_seq=seq, senaste_hash=digest))
        return Record(
            seq,
            ident,
            stamp,
            kommun,
            anvandare,
            roll,
            bundle.hash,
            dict(indata),
            dict(resultat),
            dict(beslut_data),
            prev,
            digest,
        )

    def get(self, ident: str) -> Record | None:
        with self.reader.connect() as conn:
            row = conn.execute(select(beslut).where(beslut.c.id == ident)).mappings().first()
        return None if row is None else _record(row)

    def log_access(self, *, anvandare: str, roll: str, kommun: str, beslut_id: str, handling: str) -> None:
        with self.writer.begin() as conn:
            conn.execute(
                atkomstlogg.insert().values(
                    tidpunkt=_now(),
                    anvandare=anvandare,
                    roll=roll,
                    kommun=kommun,
                    beslut_id=beslut_id,
                    handling=handling,
                )
            )

    def access_log(self, beslut_id: str | None = None) -> list[dict[str, Any]]:
        q = select(atkomstlogg).order_by(atkomstlogg.c.id)
        if beslut_id is not None:
            q = q.where(atkomstlogg.c.beslut_id == beslut_id)
        with self.reader.connect() as conn:
            return [dict(r) for r in conn.execute(q).mappings().all()]

    def records(self) -> Iterator[Record]:
        with self.reader.connect() as conn:
            for row in conn.execute(select(beslut).order_by(beslut.c.seq)).mappings():
                yield _record(row)

    # -- verification ----------------------------------------------------------------------------
    def verify(self) -> tuple[int, list[str]]:
        """Walk the chain: (records checked, problems). Finds altered, removed and inserted records."""
        problems: list[str] = []
        expected_prev = GENESIS
        expected_seq = 1
        count = 0
        with self.reader.connect() as conn:
            head = conn.execute(select(kedja.c.senaste_seq, kedja.c.senaste_hash).where(kedja.c.id == 1)).first()
            for row in conn.execute(select(beslut).order_by(beslut.c.seq)).mappings():
                count += 1
                seq = int(row["seq"])
                if seq != expected_seq:
                    problems.append(f"beslut nr {expected_seq}–{seq - 1} saknas (borttagna) före beslut {row['id']}")
                if row["foregaende_hash"] != expected_prev:
                    problems.append(f"beslut nr {seq} ({row['id']}) pekar inte på föregående beslut i kedjan")
                fields = {
                    k: row[k]
                    for k in (
                        "seq",
                        "id",
                        "tidpunkt",
                        "kommun",
                        "anvandare",
                        "roll",
                        "regelverk_hash",
                        "indata",
                        "resultat",
                        "beslut",
                        "foregaende_hash",
                    )
                }
                if record_hash(fields) != row["hash"]:
                    problems.append(f"beslut nr {seq} ({row['id']}) har ändrats efter att det registrerades")
                expected_prev, expected_seq = str(row["hash"]), seq + 1
        if head is None:
            problems.append("kedjans huvud saknas")
        elif int(head[0]) != expected_seq - 1 or str(head[1]) != expected_prev:
            problems.append(
                f"kedjan ska sluta med beslut nr {head[0]}, men det sista som finns är nr {expected_seq - 1}"
                " (beslut i slutet har tagits bort)"
            )
        return count, problems


def _record(row: RowMapping) -> Record:
    return Record(
        int(row["seq"]),
        row["id"],
        row["tidpunkt"],
        row["kommun"],
        row["anvandare"],
        row["roll"],
        row["regelverk_hash"],
        orjson.loads(row["indata"]),
        orjson.loads(row["resultat"]),
        orjson.loads(row["beslut"]),
        row["foregaende_hash"],
        row["hash"],
    )


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def _sqlite_setup(engine: Engine, immediate: bool) -> None:
    @event.listens_for(engine, "connect")
    def connect(dbapi_conn: Any, _: Any) -> None:
        dbapi_conn.isolation_level = None  # SQLAlchemy emits BEGIN itself
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")  # a commit is on disk when it returns
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


__all__ = ["GENESIS", "DecisionLog", "Record", "canonical", "normalise_url", "record_hash", "shown_url"]
