"""The decision log's storage: appending records and their links, reading, listing.

Every write takes the chain's lock (SQLite: ``BEGIN IMMEDIATE``; PostgreSQL: a transaction-level
advisory lock, which needs no privilege beyond SELECT and INSERT), reads the head, inserts the
record and one link per record, and commits: a record and its link exist together or not at all.
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Connection, RowMapping, bindparam, func, inspect, select, text

from beslutslogg._canonical import (
    ACCESS_FIELDS,
    BUNDLE_FIELDS,
    GENESIS,
    SUPPLEMENT_FIELDS,
    canonical,
    digest,
    link_message,
    record_hash,
)
from beslutslogg._group import LINKS, GroupCommit
from beslutslogg._keys import Keyring, LogKeyError
from beslutslogg._model import Head, Page, Receipt, Record, Summary, Verification
from beslutslogg._schema import atkomstlogg, beslut, beslut_tillagg, kedja, regelverk_paket
from beslutslogg._url import create_private_file, make_engine, normalise_url, sqlite_path

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# Statements built once: building one per write (values embedded) cost more than the write itself.
_INSERT_LINK = kedja.insert()
_INSERT_DECISION = beslut.insert()
_INSERT_ACCESS = atkomstlogg.insert()
_LAST_DECISION = select(beslut.c.seq, beslut.c.hash).order_by(beslut.c.seq.desc()).limit(1)
_HEAD = select(kedja.c.seq, kedja.c.mac, kedja.c.tidpunkt).order_by(kedja.c.seq.desc()).limit(1)
_IN_FORCE = select(kedja.c.ref).where(kedja.c.typ == "i_kraft").order_by(kedja.c.seq.desc()).limit(1)
_BUNDLE_STORED = select(regelverk_paket.c.hash).where(regelverk_paket.c.hash == bindparam("h"))
ADVISORY_LOCK = 0x0EB157  # the chain's lock on PostgreSQL (pg_advisory_xact_lock)


class DecisionLog:
    """Append-only storage of decisions; safe to share between threads and processes."""

    def __init__(self, url: str, keyring: Keyring | None = None) -> None:
        self.url = normalise_url(url)
        self.sqlite = self.url.startswith("sqlite")
        path = sqlite_path(self.url)
        self._path = path
        self.keyring = keyring
        self.reader = make_engine(self.url, immediate=False)
        self.writer = make_engine(self.url, immediate=True)
        self._bundles: set[str] = set()
        self._lock = threading.Lock()
        self._group = GroupCommit(self.writer, self._begin_chain, self._committed)  # every write to the chain
        self.on_commit: Callable[[list[str]], None] | None = None  # told each commit's link types (metrics)

    # -- schema -------------------------------------------------------------------------------
    def migrate(self, app_role: str | None = None) -> None:
        """Create or upgrade the tables; bind records written before the keyed chain into it.

        ``app_role`` (PostgreSQL): the role the server runs as, granted SELECT and INSERT only.
        """
        from alembic import command
        from alembic.config import Config
        from alembic.migration import MigrationContext

        if self._path is not None:
            create_private_file(self._path)
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        with self.writer.begin() as conn:
            before = MigrationContext.configure(conn).get_current_revision()
            legacy = before == "0001" and conn.execute(select(func.count()).select_from(beslut)).scalar_one() > 0
            if legacy and self.keyring is None:
                raise LogKeyError(
                    "beslutsloggen skrevs av en tidigare version och ska förseglas med loggnyckeln när den "
                    "uppgraderas: ange EKBIST_LOGG_NYCKEL (eller EKBIST_LOGG_NYCKELFIL)"
                )
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
            if before == "0001":
                self._seal(conn)
            if app_role and not self.sqlite:
                grant(conn, app_role)

    def ping(self) -> None:
        """Raise if the database cannot be reached."""
        with self.reader.connect() as conn:
            conn.execute(select(func.count()).select_from(kedja).where(kedja.c.seq == 0)).scalar_one()

    def exists(self) -> bool:
        """Has the log been created here (by migrate)? Creates nothing, not even an SQLite file."""
        if self._path is not None and not self._path.exists():
            return False
        with self.reader.connect() as conn:
            return inspect(conn).has_table(kedja.name)

    def schema_revision(self) -> str | None:
        from alembic.migration import MigrationContext

        with self.reader.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()

    def schema_problem(self) -> str | None:
        """Why a server of this code must not start on this database's schema, with the command to run;
        None when the schema is exactly the code's. Reads only (the server's role may not migrate)."""
        from alembic.config import Config
        from alembic.script import ScriptDirectory

        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        script = ScriptDirectory.from_config(cfg)
        wanted = script.get_current_head()
        found = self.schema_revision() if self.exists() else None
        if found == wanted:
            return None
        if found is None:
            return "beslutsloggen är inte skapad i databasen; skapa den med: ekbist databas migrera"
        known = {rev.revision for rev in script.walk_revisions()}
        if found not in known:
            return (
                f"beslutsloggens databas har schemaversion {found}, som den här versionen av ekbist inte känner "
                f"(den kräver {wanted}): databasen är skriven av en nyare ekbist; starta den versionen"
            )
        return (
            f"beslutsloggens databas har schemaversion {found}, men den här versionen av ekbist kräver {wanted}. "
            "Säkerhetskopiera först (ekbist revision export FIL), uppgradera sedan som tabellernas ägare: "
            "ekbist databas migrera (docs/drift.rst, Uppgradering)"
        )

    def owner_problem(self) -> str | None:
        """PostgreSQL: why the connected role has more rights than the server needs, or None."""
        if self.sqlite:
            return None
        with self.reader.connect() as conn:
            row = conn.execute(
                text(
                    "SELECT r.rolsuper, pg_get_userbyid(c.relowner) = current_user, current_user "
                    "FROM pg_roles r, pg_class c WHERE r.rolname = current_user AND c.relname = 'beslut' "
                    "AND c.relnamespace = to_regnamespace(current_schema())"
                )
            ).first()
        if row is None:
            return None
        superuser, owner, who = bool(row[0]), bool(row[1]), str(row[2])
        if superuser:
            return f"rollen {who} är superanvändare"
        if owner:
            return f"rollen {who} äger beslutsloggens tabeller"
        return None

    def dispose(self) -> None:
        self._group.stop()
        self.reader.dispose()
        self.writer.dispose()

    def _keys(self) -> Keyring:
        if self.keyring is None:
            raise LogKeyError("beslutsloggen kan inte skrivas eller verifieras utan loggnyckeln (EKBIST_LOGG_NYCKEL)")
        return self.keyring

    # -- the chain -------------------------------------------------------------------------------
    def _begin_chain(self, conn: Connection) -> Head:
        """Take the chain's lock (SQLite: the transaction is already IMMEDIATE) and read its head."""
        if not self.sqlite:
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": ADVISORY_LOCK})
        return _head(conn) or Head(0, GENESIS)

    def _link(self, conn: Connection, head: Head, typ: str, ref: str, innehall: str) -> Head:
        keyring = self._keys()
        link: dict[str, Any] = {
            "seq": head.position + 1,
            "tidpunkt": _now(),
            "typ": typ,
            "ref": ref,
            "innehall": innehall,
            "foregaende": head.mac,
            "nyckel_id": keyring.current.id,
        }
        mac = keyring.mac(link_message(link))
        conn.execute(_INSERT_LINK, {**link, "mac": mac})
        written = conn.info.get(LINKS)
        if written is not None:
            written.append(typ)
        return Head(int(link["seq"]), mac, str(link["tidpunkt"]))

    def _committed(self, types: list[str]) -> None:
        if self.on_commit is not None:
            self.on_commit(types)

    def _submit_with_head(self, work: Any) -> tuple[Any, Head]:
        """Like the group's submit, but also hand back the head right after this write."""

        def with_head(conn: Connection, head: Head) -> tuple[Any, Head]:
            value, new_head = work(conn, head)
            return (value, new_head), new_head

        result: tuple[Any, Head] = self._group.submit(with_head)
        return result

    def head(self) -> Head | None:
        with self.reader.connect() as conn:
            return _head(conn)

    def _seal(self, conn: Connection) -> None:
        """Bind every record of a log written before the keyed chain, after a ``forsegling`` link."""
        decisions = conn.execute(select(beslut).order_by(beslut.c.seq)).mappings().all()
        bundles = conn.execute(select(*[regelverk_paket.c[k] for k in BUNDLE_FIELDS])).mappings().all()
        reads = conn.execute(select(atkomstlogg).order_by(atkomstlogg.c.id)).mappings().all()
        head = self._begin_chain(conn)
        counts = {"beslut": len(decisions), "regelverk": len(bundles), "atkomst": len(reads)}
        head = self._link(conn, head, "forsegling", "0001", record_hash(counts))
        for b in bundles:
            head = self._link(conn, head, "regelverk", b["hash"], digest(b, BUNDLE_FIELDS))
        for d in decisions:
            head = self._link(conn, head, "beslut", d["id"], d["hash"])
        for a in reads:
            head = self._link(conn, head, "atkomst", str(a["id"]), digest(a, ACCESS_FIELDS))

    # -- rule bundles --------------------------------------------------------------------------
    def _store_bundle(self, conn: Connection, head: Head, bundle: Any) -> Head:
        if bundle.hash in self._bundles:
            return head
        found = conn.execute(_BUNDLE_STORED, {"h": bundle.hash}).first()
        if found is None:
            row = {
                "hash": bundle.hash,
                "regelverk_id": bundle.id,
                "version": bundle.version,
                "filer": canonical(bundle.files),
                "forst_anvand": _now(),
            }
            conn.execute(regelverk_paket.insert().values(**row))
            head = self._link(conn, head, "regelverk", bundle.hash, digest(row, BUNDLE_FIELDS))
        return head

    def store_bundle(self, bundle: Any) -> None:
        """Keep the bundle's files by hash (once), so decisions can be replayed with them."""
        if bundle.hash in self._bundles:
            return
        self._keys()
        self._group.submit(lambda conn, head: (None, self._store_bundle(conn, head, bundle)))
        with self._lock:
            self._bundles.add(bundle.hash)

    # -- the rules in force ------------------------------------------------------------------------
    def put_in_force(self, bundle: Any) -> bool:
        """Make ``bundle`` the rules in force for every server on this log; False if it already was."""
        self._keys()

        def work(conn: Connection, head: Head) -> tuple[bool, Head]:
            head = self._store_bundle(conn, head, bundle)
            current = conn.execute(_IN_FORCE).first()
            if current is not None and current[0] == bundle.hash:
                return False, head
            content = record_hash({"hash": bundle.hash, "version": bundle.version})
            return True, self._link(conn, head, "i_kraft", bundle.hash, content)

        changed: bool = self._group.submit(work)
        with self._lock:
            self._bundles.add(bundle.hash)
        return changed

    def in_force(self) -> str | None:
        """The hash of the rule bundle in force, or None when none has been put in force yet."""
        with self.reader.connect() as conn:
            row = conn.execute(_IN_FORCE).first()
        return None if row is None else str(row[0])

    def in_force_history(self) -> list[dict[str, Any]]:
        """Every switch of the rules in force: when, which bundle, which version label."""
        q = (
            select(kedja.c.seq, kedja.c.tidpunkt, kedja.c.ref, regelverk_paket.c.version)
            .select_from(kedja.outerjoin(regelverk_paket, regelverk_paket.c.hash == kedja.c.ref))
            .where(kedja.c.typ == "i_kraft")
            .order_by(kedja.c.seq)
        )
        with self.reader.connect() as conn:
            return [{"position": r[0], "tidpunkt": r[1], "hash": r[2], "version": r[3]} for r in conn.execute(q)]

    def version_conflict(self, bundle: Any) -> str | None:
        """The hash of another stored bundle with ``bundle``'s id and version label, if there is one."""
        q = (
            select(regelverk_paket.c.hash)
            .where(regelverk_paket.c.regelverk_id == bundle.id)
            .where(regelverk_paket.c.version == bundle.version)
            .where(regelverk_paket.c.hash != bundle.hash)
            .limit(1)
        )
        with self.reader.connect() as conn:
            row = conn.execute(q).first()
        return None if row is None else str(row[0])

    def bundle_files(self, bundle_hash: str) -> dict[str, str] | None:
        """The stored files of a bundle, or None; raises ValueError when the stored text is garbled."""
        with self.reader.connect() as conn:
            row = conn.execute(select(regelverk_paket.c.filer).where(regelverk_paket.c.hash == bundle_hash)).first()
        if row is None:
            return None
        try:
            files = orjson.loads(row[0])
        except orjson.JSONDecodeError:
            raise ValueError("de lagrade filerna går inte att läsa") from None
        if not isinstance(files, dict) or not all(isinstance(v, str) for v in files.values()):
            raise ValueError("de lagrade filerna har fel form")
        return {str(k): v for k, v in files.items()}

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
        self._keys()
        ident = str(uuid.uuid4())
        stamp = _now()
        texts = {"indata": canonical(indata), "resultat": canonical(resultat), "beslut": canonical(beslut_data)}
        app = indata.get("ansokan")
        period = str(app["period"])[:7] if isinstance(app, Mapping) and app.get("period") else None
        household = household_key(app)

        def work(conn: Connection, head: Head) -> tuple[tuple[int, str, str], Head]:
            head = self._store_bundle(conn, head, bundle)
            last = conn.execute(_LAST_DECISION).first()
            seq, prev = (int(last[0]) + 1, str(last[1])) if last else (1, GENESIS)
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
            content = record_hash(fields)
            conn.execute(_INSERT_DECISION, {**fields, "hash": content, "period": period, "hushall": household})
            head = self._link(conn, head, "beslut", ident, content)
            return (seq, prev, content), head

        (seq, prev, content), head = self._submit_with_head(work)
        with self._lock:
            self._bundles.add(bundle.hash)
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
            content,
            Receipt(head.position, content, head.mac),
        )

    def get(self, ident: str) -> Record | None:
        with self.reader.connect() as conn:
            row = conn.execute(select(beslut).where(beslut.c.id == ident)).mappings().first()
        return None if row is None else _record(row)

    def records(self) -> Iterator[Record]:
        with self.reader.connect() as conn:
            for row in conn.execute(select(beslut).order_by(beslut.c.seq)).mappings():
                yield _record(row)

    def previous_decision(self, kommun: str, household: str, before: str) -> Record | None:
        """The household's newest decision for a month before ``before`` (ÅÅÅÅ-MM) in the kommun."""
        q = (
            select(beslut)
            .where(beslut.c.kommun == kommun, beslut.c.hushall == household, beslut.c.period < before)
            .order_by(beslut.c.period.desc(), beslut.c.seq.desc())
            .limit(1)
        )
        with self.reader.connect() as conn:
            row = conn.execute(q).mappings().first()
        return None if row is None else _record(row)

    def latest_per_household(self, period: str, kommun: str | None = None) -> list[str]:
        """Ids of the newest decision of each household for ``period`` (ÅÅÅÅ-MM), in the order recorded.

        A household is the applicant's personnummer digest (``hushall``); a decision recorded
        without one (before revision 0004, or without a personnummer) is a case of its own. Only the
        keys are read here; :meth:`case_inputs` reads the cases a batch at a time.
        """
        conds = [beslut.c.period == period]
        if kommun is not None:
            conds.append(beslut.c.kommun == kommun)
        latest: dict[tuple[str, str], tuple[int, str]] = {}
        q = select(beslut.c.seq, beslut.c.id, beslut.c.kommun, beslut.c.hushall).where(*conds).order_by(beslut.c.seq)
        with self.reader.connect() as conn:
            for seq, ident, where, household in conn.execute(q):
                latest[(str(where), str(household or ident))] = (int(seq), str(ident))
        return [ident for _, ident in sorted(latest.values())]

    def case_inputs(
        self, ids: Sequence[str], batch: int = 500, *, with_result: bool = False
    ) -> Iterator[dict[str, Any]]:
        """For each id: the decision's kommun, period, stored input, decision and amount (the whole
        result with its trace only when asked: it is the largest part of a decision)."""
        amount = (
            func.json_extract(beslut.c.resultat, "$.forsorjningsstod")
            if self.sqlite
            else text("(beslut.resultat::json ->> 'forsorjningsstod')")
        )
        for start in range(0, len(ids), batch):
            part = list(ids[start : start + batch])
            cols = [beslut.c.id, beslut.c.kommun, beslut.c.period, beslut.c.indata, beslut.c.beslut, amount]
            if with_result:
                cols.append(beslut.c.resultat)
            q = select(*cols).where(beslut.c.id.in_(part))
            with self.reader.connect() as conn:
                rows = {str(r[0]): r for r in conn.execute(q)}
            for ident in part:
                r = rows.get(ident)
                if r is not None:
                    case = {
                        "id": ident,
                        "kommun": str(r[1]),
                        "period": r[2],
                        "indata": _json_object(r[3]),
                        "beslut": _json_object(r[4]),
                        "forsorjningsstod": _int_or_none(r[5]),
                    }
                    if with_result:
                        case["resultat"] = _json_object(r[6])
                    yield case

    def list_decisions(
        self,
        *,
        kommun: str | None = None,
        period: str | None = None,
        fran: date | None = None,
        till: date | None = None,
        sida: int = 1,
        per_sida: int = 50,
    ) -> Page:
        """Decisions in the order they were recorded, filtered, a page at a time."""
        conds = []
        if kommun is not None:
            conds.append(beslut.c.kommun == kommun)
        if period is not None:
            conds.append(beslut.c.period == period)
        if fran is not None:
            conds.append(beslut.c.tidpunkt >= fran.isoformat())
        if till is not None:
            conds.append(beslut.c.tidpunkt < (till + timedelta(days=1)).isoformat())
        amount = (
            func.json_extract(beslut.c.resultat, "$.forsorjningsstod")
            if self.sqlite
            else text("(beslut.resultat::json ->> 'forsorjningsstod')")
        )
        q = select(
            beslut.c.seq,
            beslut.c.id,
            beslut.c.tidpunkt,
            beslut.c.kommun,
            beslut.c.period,
            beslut.c.anvandare,
            beslut.c.beslut,
            beslut.c.regelverk_hash,
            amount,
        ).where(*conds)
        with self.reader.connect() as conn:
            total = conn.execute(select(func.count()).select_from(beslut).where(*conds)).scalar_one()
            rows = conn.execute(q.order_by(beslut.c.seq).offset((sida - 1) * per_sida).limit(per_sida)).all()
        items = []
        for r in rows:
            decided = _json_object(r[6])
            belopp = decided.get("belopp")
            items.append(
                Summary(
                    seq=int(r[0]),
                    id=str(r[1]),
                    tidpunkt=str(r[2]),
                    kommun=str(r[3]),
                    period=r[4],
                    anvandare=str(r[5]),
                    utfall=str(decided["utfall"]) if "utfall" in decided else None,
                    belopp=belopp if isinstance(belopp, int) else None,
                    forsorjningsstod=_int_or_none(r[8]),
                    regelverk_hash=str(r[7]),
                )
            )
        return Page(items, sida, per_sida, int(total))

    # -- supplements ------------------------------------------------------------------------------
    def append_supplement(
        self, *, beslut_id: str, kommun: str, anvandare: str, roll: str, typ: str, data: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Append a record about a decision (its försörjningshinder codes, say); bound into the chain."""
        self._keys()
        row: dict[str, Any] = {
            "id": str(uuid.uuid4()),
            "tidpunkt": _now(),
            "beslut_id": beslut_id[:36],
            "kommun": kommun[:4],
            "anvandare": anvandare[:200],
            "roll": roll[:40],
            "typ": typ[:40],
            "innehall": canonical(data),
        }

        def work(conn: Connection, head: Head) -> tuple[None, Head]:
            conn.execute(beslut_tillagg.insert(), row)
            return None, self._link(conn, head, "tillagg", row["id"], digest(row, SUPPLEMENT_FIELDS))

        self._submit_with_head(work)
        return {**row, "innehall": dict(data)}

    def supplements(self, beslut_ids: Sequence[str], typ: str) -> dict[str, dict[str, Any]]:
        """The newest supplement of ``typ`` for each of the decisions that has one."""
        out: dict[str, dict[str, Any]] = {}
        for start in range(0, len(beslut_ids), 500):
            part = list(beslut_ids[start : start + 500])
            # in the chain's order: the link that came last is the newest (clocks may tie)
            q = (
                select(beslut_tillagg)
                .join(kedja, (kedja.c.typ == "tillagg") & (kedja.c.ref == beslut_tillagg.c.id))
                .where(beslut_tillagg.c.beslut_id.in_(part), beslut_tillagg.c.typ == typ)
                .order_by(kedja.c.seq)
            )
            with self.reader.connect() as conn:
                for r in conn.execute(q).mappings():
                    out[str(r["beslut_id"])] = {**dict(r), "innehall": _json_object(r["innehall"])}
        return out

    # -- the access log ---------------------------------------------------------------------------
    def log_access(
        self,
        *,
        anvandare: str,
        roll: str,
        kommun: str,
        beslut_id: str,
        handling: str,
        utfall: str = "ok",
        adress: str | None = None,
        lank_id: str | None = None,
        detalj: str | None = None,
    ) -> None:
        """One row per read (or refused read) of a decision, bound into the chain like a decision."""
        self._keys()
        row: dict[str, Any] = {
            "tidpunkt": _now(),
            "anvandare": anvandare[:200],
            "roll": roll[:40],
            "kommun": kommun[:4],
            "beslut_id": beslut_id[:36],
            "handling": handling[:40],
            "utfall": utfall,
            "adress": adress[:64] if adress else None,
            "lank_id": lank_id[:64] if lank_id else None,
            "detalj": detalj[:200] if detalj else None,
        }

        def work(conn: Connection, head: Head) -> tuple[None, Head]:
            result = conn.execute(_INSERT_ACCESS, row)
            key = result.inserted_primary_key
            assert key is not None
            stored = {**row, "id": int(key[0])}
            return None, self._link(conn, head, "atkomst", str(stored["id"]), digest(stored, ACCESS_FIELDS))

        self._group.submit(work)

    def access_log(self, beslut_id: str | None = None) -> list[dict[str, Any]]:
        q = select(atkomstlogg).order_by(atkomstlogg.c.id)
        if beslut_id is not None:
            q = q.where(atkomstlogg.c.beslut_id == beslut_id)
        with self.reader.connect() as conn:
            return [dict(r) for r in conn.execute(q).mappings().all()]

    # -- verification, anchors, export ----------------------------------------------------------
    def verify(self, anchors: Sequence[Any] = ()) -> Verification:
        """Walk the chain and every table (see :mod:`beslutslogg._verify`)."""
        from beslutslogg._verify import verify

        with self._snapshot() as conn:
            return verify(conn, self._keys(), self.sqlite, anchors)

    @contextlib.contextmanager
    def _snapshot(self) -> Iterator[Connection]:
        """A read transaction that sees one consistent state of every table."""
        with self.reader.connect() as conn:
            if not self.sqlite:
                conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                if not self.sqlite:
                    conn.execute(text("SET TRANSACTION READ ONLY"))
                yield conn

    def anchor(self) -> dict[str, Any]:
        """The chain's head, signed with the log key, to be kept outside the database."""
        from beslutslogg._anchor import signed_anchor

        head = self.head()
        if head is None:
            raise ValueError("beslutsloggen är tom; det finns inget huvud att förankra")
        return signed_anchor(head, self._keys())


def household_key(ansokan: Any) -> str | None:
    """SHA-256 of the applicant's personnummer (digits only), or None when the application has none."""
    if not isinstance(ansokan, Mapping):
        return None
    from engine._input import with_swedish_spellings

    for person in with_swedish_spellings(ansokan).get("hushall") or []:
        if isinstance(person, Mapping) and person.get("roll") == "sokande" and person.get("personnummer"):
            return applicant_key(str(person["personnummer"]))
    return None


def applicant_key(personnummer: str) -> str | None:
    """The household key of an applicant's personnummer in any written form (the same household whatever form)."""
    from engine._personnummer import normalise

    digits = normalise(personnummer) or "".join(c for c in personnummer if c.isdigit())
    return hashlib.sha256(digits.encode("ascii")).hexdigest() if digits else None


def grant(conn: Connection, role: str) -> None:
    """Least privilege for the server's role: read and append, nothing else (PostgreSQL)."""
    if not role.replace("_", "").isalnum():
        raise ValueError(f"ogiltigt rollnamn {role!r}")
    quoted = f'"{role}"'
    conn.execute(text(f"GRANT USAGE ON SCHEMA {_schema(conn)} TO {quoted}"))
    tables = "beslut, kedja, atkomstlogg, regelverk_paket, beslut_tillagg"
    conn.execute(text(f"REVOKE ALL ON {tables} FROM {quoted}"))
    conn.execute(text(f"GRANT SELECT, INSERT ON {tables} TO {quoted}"))
    conn.execute(text(f"GRANT SELECT ON alembic_version TO {quoted}"))
    conn.execute(text(f"GRANT USAGE ON SEQUENCE atkomstlogg_id_seq TO {quoted}"))


def _schema(conn: Connection) -> str:
    return '"' + str(conn.execute(text("SELECT current_schema()")).scalar_one()).replace('"', "") + '"'


def _head(conn: Connection) -> Head | None:
    row = conn.execute(_HEAD).first()
    return None if row is None else Head(int(row[0]), str(row[1]), str(row[2]))


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


def _json_object(textvalue: Any) -> dict[str, Any]:
    try:
        value = orjson.loads(textvalue)
    except (orjson.JSONDecodeError, TypeError):
        return {}
    return value if isinstance(value, dict) else {}


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")
