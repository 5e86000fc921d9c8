"""Canonical text and the content digest of every kind of record in the log."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

import orjson

GENESIS = "0" * 64

DECISION_FIELDS = (
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
BUNDLE_FIELDS = ("hash", "regelverk_id", "version", "forst_anvand")
ACCESS_FIELDS = (
    "id",
    "tidpunkt",
    "anvandare",
    "roll",
    "kommun",
    "beslut_id",
    "handling",
    "utfall",
    "adress",
    "lank_id",
    "detalj",
)
SUPPLEMENT_FIELDS = ("id", "tidpunkt", "beslut_id", "kommun", "anvandare", "roll", "typ", "innehall")
LINK_FIELDS = ("seq", "tidpunkt", "typ", "ref", "innehall", "foregaende", "nyckel_id")


def canonical(value: Any) -> str:
    """Sorted keys, no whitespace, UTF-8: the same value always gives the same text (and hash)."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode("utf-8")


def record_hash(fields: Mapping[str, Any]) -> str:
    """SHA-256 of the canonical text of ``fields``."""
    return hashlib.sha256(canonical(dict(fields)).encode("utf-8")).hexdigest()


def digest(row: Mapping[Any, Any], fields: tuple[str, ...]) -> str:
    """The content digest of a record: the hash of exactly ``fields`` of the row."""
    return record_hash({k: row[k] for k in fields})


def link_message(link: Mapping[Any, Any]) -> bytes:
    """What a link's MAC is computed over: every field of the link but the MAC itself."""
    return canonical({k: link[k] for k in LINK_FIELDS}).encode("utf-8")
