"""``ekbist revision verifiera``: walk the keyed chain and every table, and name what is wrong.

Checked, each problem named with the record it concerns:

- the chain: links numbered 1, 2, 3, … without gaps, each pointing at the previous one's MAC, each
  MAC made with a known key over exactly its fields;
- every record against its link: a decision, a stored rule bundle or an access-log row whose
  content no longer gives the digest its link holds has been altered; a link without its record
  points at a removed record; a record without a link was added around ekbist;
- every stored rule bundle re-hashed from its files (what a replay would compute with);
- decisions: the plain hash chain of the decision table itself, and the listed month against
  the stored application;
- anchors and receipts kept outside the database: the log must still hold each one's MAC at its
  position, which is what catches a cut-off end, a truncated table or a wiped log.

The walk reads in batches within one snapshot, so memory stays bounded for a log of any length.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import orjson
from sqlalchemy import Connection, select

from beslutslogg._anchor import Anchor
from beslutslogg._canonical import (
    ACCESS_FIELDS,
    BUNDLE_FIELDS,
    DECISION_FIELDS,
    GENESIS,
    SUPPLEMENT_FIELDS,
    digest,
    link_message,
    record_hash,
)
from beslutslogg._keys import Keyring
from beslutslogg._model import Head, Verification
from beslutslogg._schema import atkomstlogg, beslut, beslut_tillagg, kedja, regelverk_paket

BATCH = 500
MAX_REPORTED = 200  # problems listed one by one; beyond that, counted

_NAMES = {"beslut": "beslut", "regelverk": "regelverket", "atkomst": "åtkomstloggens rad", "tillagg": "tillägget"}


def verify(conn: Connection, keyring: Keyring, sqlite: bool, anchors: Sequence[Anchor] = ()) -> Verification:
    report = _Report()
    walk = _ChainWalk(conn, keyring, report)
    batch: list[Mapping[Any, Any]] = []
    result = conn.execution_options(yield_per=BATCH).execute(select(kedja).order_by(kedja.c.seq))
    for link in result.mappings():
        walk.link(link)
        batch.append(dict(link))
        if len(batch) >= BATCH:
            walk.records(batch)
            batch = []
    walk.records(batch)
    _unlinked(conn, walk.linked, report)
    _decision_chain(conn, report)
    out = report.v
    out.lankar = walk.expected - 1
    out.huvud = Head(walk.expected - 1, walk.prev_mac) if walk.expected > 1 else None
    for anchor in anchors:
        _check_anchor(conn, anchor, out.huvud, report)
        out.ankare += 1
    return out


class _Report:
    def __init__(self) -> None:
        self.v = Verification()
        self.hidden = 0

    def add(self, problem: str) -> None:
        if len(self.v.problem) < MAX_REPORTED:
            self.v.problem.append(problem)
        else:
            self.hidden += 1
            if self.hidden == 1:
                self.v.problem.append("… fler problem finns; åtgärda de listade och verifiera igen")


class _ChainWalk:
    def __init__(self, conn: Connection, keyring: Keyring, report: _Report) -> None:
        self.conn = conn
        self.keyring = keyring
        self.report = report
        self.expected = 1
        self.prev_mac = GENESIS
        self.linked: dict[str, int] = {"beslut": 0, "regelverk": 0, "atkomst": 0, "tillagg": 0}

    def link(self, link: Mapping[Any, Any]) -> None:
        seq = int(link["seq"])
        what = f"länk nr {seq} ({_NAMES.get(link['typ'], link['typ'])} {link['ref']})"
        if seq != self.expected:
            self.report.add(f"länk nr {self.expected}–{seq - 1} saknas i kedjan (borttagna) före {what}")
        if link["foregaende"] != self.prev_mac:
            self.report.add(f"{what} pekar inte på den föregående länken i kedjan")
        kid = str(link["nyckel_id"])
        if not self.keyring.knows(kid):
            self.report.add(
                f"{what} är skriven med en nyckel som inte är angiven (id {kid}); ange den tidigare nyckeln "
                "efter den nuvarande i EKBIST_LOGG_NYCKEL"
            )
        elif not self.keyring.check(link_message(link), str(link["mac"]), kid):
            self.report.add(f"{what} har ändrats eller skrivits utan loggnyckeln (MAC stämmer inte)")
        if link["typ"] == "forsegling":
            self.report.v.forseglade += 1
        self.expected, self.prev_mac = seq + 1, str(link["mac"])

    def records(self, links: list[Mapping[Any, Any]]) -> None:
        by_type: dict[str, dict[str, Mapping[Any, Any]]] = {}
        in_force = [link for link in links if link["typ"] == "i_kraft"]
        if in_force:
            self.rules_in_force(in_force)
        for link in links:
            if link["typ"] in self.linked:
                refs = by_type.setdefault(str(link["typ"]), {})
                if link["ref"] in refs:
                    self.report.add(f"länk nr {link['seq']}: {link['typ']} {link['ref']} finns två gånger i kedjan")
                refs[str(link["ref"])] = link
                self.linked[str(link["typ"])] += 1
        for typ, refs in by_type.items():
            rows = _rows(self.conn, typ, list(refs))
            for ref, link in refs.items():
                row = rows.get(ref)
                if row is None:
                    self.report.add(f"{_describe(typ, ref)} saknas (borttaget ur databasen; länk nr {link['seq']})")
                    continue
                self.check_record(typ, ref, row, link)

    def rules_in_force(self, links: list[Mapping[Any, Any]]) -> None:
        """A switch of the rules in force must name a stored bundle, with the version it had."""
        rows = _rows(self.conn, "regelverk", [str(link["ref"]) for link in links])
        for link in links:
            row = rows.get(str(link["ref"]))
            if row is None:
                self.report.add(f"länk nr {link['seq']} sätter regelverket {link['ref']} i kraft, men det saknas")
            elif record_hash({"hash": row["hash"], "version": row["version"]}) != link["innehall"]:
                self.report.add(f"länk nr {link['seq']}: regelverket {link['ref']} har bytt versionsbeteckning")

    def check_record(self, typ: str, ref: str, row: Mapping[Any, Any], link: Mapping[Any, Any]) -> None:
        v = self.report.v
        if typ == "beslut":
            v.beslut += 1
            content = digest(row, DECISION_FIELDS)
            if content != row["hash"] or content != link["innehall"]:
                self.report.add(f"beslut nr {row['seq']} ({ref}) har ändrats efter att det registrerades")
            period = _period(row["indata"])
            if row["period"] is not None and row["period"] != period:
                self.report.add(f"beslut nr {row['seq']} ({ref}) listas för {row['period']} men gäller {period}")
        elif typ == "regelverk":
            v.regelverk += 1
            if digest(row, BUNDLE_FIELDS) != link["innehall"]:
                self.report.add(f"regelverket {ref}: uppgifterna om paketet har ändrats")
            problem = _bundle_problem(ref, row["filer"])
            if problem:
                self.report.add(problem)
        elif typ == "tillagg":
            if digest(row, SUPPLEMENT_FIELDS) != link["innehall"]:
                self.report.add(f"tillägget {ref} till beslut {row['beslut_id']} har ändrats")
        else:
            v.atkomst += 1
            if digest(row, ACCESS_FIELDS) != link["innehall"]:
                self.report.add(f"åtkomstloggens rad {ref} ({row['handling']} av {row['beslut_id']}) har ändrats")


def _rows(conn: Connection, typ: str, refs: list[str]) -> dict[str, Mapping[Any, Any]]:
    if typ == "beslut":
        q = select(beslut).where(beslut.c.id.in_(refs))
        key = "id"
    elif typ == "regelverk":
        q = select(regelverk_paket).where(regelverk_paket.c.hash.in_(refs))
        key = "hash"
    elif typ == "tillagg":
        q = select(beslut_tillagg).where(beslut_tillagg.c.id.in_(refs))
        key = "id"
    else:
        ids = [int(r) for r in refs if r.isdigit()]
        q = select(atkomstlogg).where(atkomstlogg.c.id.in_(ids))
        key = "id"
    return {str(r[key]): r for r in conn.execute(q).mappings().all()}


def _unlinked(conn: Connection, linked: Mapping[str, int], report: _Report) -> None:
    """Records that no link binds: added around ekbist, or a link removed with its chain rebuilt."""
    for typ, table, col in (
        ("beslut", beslut, beslut.c.id),
        ("regelverk", regelverk_paket, regelverk_paket.c.hash),
        ("atkomst", atkomstlogg, atkomstlogg.c.id),
        ("tillagg", beslut_tillagg, beslut_tillagg.c.id),
    ):
        refs = select(kedja.c.ref).where(kedja.c.typ == typ)
        cast_col = col if typ != "atkomst" else col.cast(kedja.c.ref.type)
        rows = conn.execute(select(col).select_from(table).where(cast_col.not_in(refs)).limit(MAX_REPORTED)).all()
        for (ref,) in rows:
            report.add(f"{_describe(typ, str(ref))} finns i databasen men inte i kedjan (tillagt utanför ekbist)")


def _decision_chain(conn: Connection, report: _Report) -> None:
    """The decision table's own numbering and plain hash chain (kept from the first log format)."""
    expected_seq, expected_prev = 1, GENESIS
    result = conn.execution_options(yield_per=BATCH).execute(
        select(beslut.c.seq, beslut.c.id, beslut.c.foregaende_hash, beslut.c.hash).order_by(beslut.c.seq)
    )
    for seq, ident, prev, own in result:
        if seq != expected_seq:
            report.add(f"beslut nr {expected_seq}–{seq - 1} saknas (borttagna) före beslut {ident}")
        if prev != expected_prev:
            report.add(f"beslut nr {seq} ({ident}) pekar inte på föregående beslut i kedjan")
        expected_seq, expected_prev = int(seq) + 1, str(own)


def _check_anchor(conn: Connection, anchor: Anchor, head: Head | None, report: _Report) -> None:
    where = f"ankaret {anchor.source}".strip()
    if anchor.position is None:
        found = conn.execute(select(kedja.c.seq).where(kedja.c.mac == anchor.mac)).first()
        if found is None:
            report.add(f"{where}: loggen innehåller inte den länken (MAC {anchor.mac[:12]}…); den har tagits bort")
        return
    row = conn.execute(select(kedja.c.mac).where(kedja.c.seq == anchor.position)).first()
    if row is None:
        end = head.position if head else 0
        report.add(
            f"{where}: loggen ska innehålla länk nr {anchor.position}, men kedjan slutar vid nr {end}"
            " (slutet har tagits bort eller loggen har ersatts)"
        )
    elif row[0] != anchor.mac:
        report.add(f"{where}: länk nr {anchor.position} är inte den som ankaret pekar ut (kedjan har skrivits om)")


def _describe(typ: str, ref: str) -> str:
    return {
        "beslut": f"beslut {ref}",
        "regelverk": f"regelverket {ref}",
        "atkomst": f"åtkomstloggens rad {ref}",
        "tillagg": f"tillägget {ref}",
    }[typ]


def _period(indata: str) -> str | None:
    try:
        app = orjson.loads(indata).get("ansokan")
    except (orjson.JSONDecodeError, AttributeError):
        return None
    return str(app.get("period")) if isinstance(app, dict) and app.get("period") else None


def _bundle_problem(ref: str, filer: str) -> str | None:
    """Why a stored bundle's files no longer give the hash it is stored under, or None."""
    from engine import content_hash

    try:
        files = orjson.loads(filer)
    except orjson.JSONDecodeError:
        return f"regelverket {ref}: de lagrade filerna går inte att läsa"
    if not isinstance(files, dict) or not all(isinstance(v, str) for v in files.values()):
        return f"regelverket {ref}: de lagrade filerna har fel form"
    actual = content_hash(files)
    if actual != ref:
        return f"regelverket {ref} har ändrats: de lagrade filerna ger {actual}"
    return None


def bundle_problem(ref: str, files: Iterable[tuple[str, str]] | Mapping[str, str]) -> str | None:
    """For replay: why the files of a stored bundle do not give its hash, or None."""
    from engine import content_hash

    actual = content_hash(dict(files))
    return None if actual == ref else f"regelverket {ref} i beslutsloggen är skadat: filerna ger {actual}"
