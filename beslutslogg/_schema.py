"""Tables of the decision log (the migrations in ``migrations/`` create them)."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Integer, MetaData, String, Table, Text

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
)

kedja = Table(
    "kedja",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("senaste_seq", Integer, nullable=False),
    Column("senaste_hash", String(64), nullable=False),
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
)
