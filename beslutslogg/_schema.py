"""Tables of the decision log (the migrations in ``migrations/`` create them).

Every table is append-only (triggers refuse UPDATE, DELETE and, on PostgreSQL, TRUNCATE), and
every row of ``beslut``, ``regelverk_paket``, ``atkomstlogg`` and ``beslut_tillagg`` is bound by one link in ``kedja``,
the keyed hash chain that ``ekbist revision verifiera`` walks.
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, Integer, MetaData, String, Table, Text

metadata = MetaData()

regelverk_paket = Table(
    "regelverk_paket",
    metadata,
    Column("hash", String(80), primary_key=True),
    Column("regelverk_id", String(120), nullable=False),
    Column("version", String(60), nullable=False),
    Column("filer", Text, nullable=False),  # canonical JSON {path: content}
    Column("forst_anvand", String(40), nullable=False),
)

beslut = Table(
    "beslut",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("id", String(36), nullable=False, unique=True),
    Column("tidpunkt", String(40), nullable=False),
    Column("kommun", String(4), nullable=False, index=True),
    Column("anvandare", String(200), nullable=False),
    Column("roll", String(40), nullable=False),
    Column("regelverk_hash", String(80), ForeignKey("regelverk_paket.hash"), nullable=False),
    Column("indata", Text, nullable=False),
    Column("resultat", Text, nullable=False),
    Column("beslut", Text, nullable=False),
    Column("foregaende_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    # The month the aid is for (the application's period), for listing; checked against indata.
    Column("period", String(7), nullable=True, index=True),
    # SHA-256 of the applicant's personnummer, to find the household's previous decision (revision 0004).
    Column("hushall", String(64), nullable=True),
    Index("ix_beslut_kommun_hushall_period", "kommun", "hushall", "period"),
)

kedja = Table(
    "kedja",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("tidpunkt", String(40), nullable=False),
    Column("typ", String(20), nullable=False),  # beslut, regelverk, atkomst, forsegling
    Column("ref", String(80), nullable=False),  # the record's id (decision id, bundle hash, access row id)
    Column("innehall", String(64), nullable=False),  # SHA-256 of the record's canonical content
    Column("foregaende", String(64), nullable=False),  # the previous link's MAC
    Column("nyckel_id", String(40), nullable=False),
    Column("mac", String(64), nullable=False, unique=True),  # HMAC-SHA-256 over this link with the log key
)

atkomstlogg = Table(
    "atkomstlogg",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tidpunkt", String(40), nullable=False),
    Column("anvandare", String(200), nullable=False),
    Column("roll", String(40), nullable=False),
    Column("kommun", String(4), nullable=False),
    Column("beslut_id", String(36), nullable=False, index=True),
    Column("handling", String(40), nullable=False),
    Column("utfall", String(10), nullable=False, server_default="ok"),  # ok or nekad
    Column("adress", String(64), nullable=True),  # the reader's network address, when known
    Column("lank_id", String(64), nullable=True),  # the explanation link used or created
    Column("detalj", String(200), nullable=True),
)

# An appended record about a decision (revision 0005): the adults' försörjningshinder codes given
# after the decision was recorded; the newest of a kind counts.
beslut_tillagg = Table(
    "beslut_tillagg",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("tidpunkt", String(40), nullable=False),
    Column("beslut_id", String(36), nullable=False, index=True),
    Column("kommun", String(4), nullable=False),
    Column("anvandare", String(200), nullable=False),
    Column("roll", String(40), nullable=False),
    Column("typ", String(40), nullable=False),
    Column("innehall", Text, nullable=False),
)

TABLES = ("beslut", "kedja", "atkomstlogg", "regelverk_paket", "beslut_tillagg")
