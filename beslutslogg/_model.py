"""What the decision log hands out: records, receipts, pages of a listing, verification reports."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Receipt:
    """Proof of recording, for the caller to keep outside the database (``verifiera --ankare``).

    ``position`` is the link's place in the chain, ``innehall`` the record's content hash and
    ``huvud`` the MAC of the chain's head right after the record was added.
    """

    position: int
    innehall: str
    huvud: str

    def to_dict(self) -> dict[str, Any]:
        return {"position": self.position, "innehall": self.innehall, "huvud": self.huvud}


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
    kvitto: Receipt | None = None

    @property
    def period(self) -> str | None:
        app = self.indata.get("ansokan")
        return str(app.get("period")) if isinstance(app, dict) and app.get("period") else None


@dataclass(frozen=True)
class Summary:
    """A decision as listed for an auditor: who, when, for which month, what was decided."""

    seq: int
    id: str
    tidpunkt: str
    kommun: str
    period: str | None
    anvandare: str
    utfall: str | None
    belopp: int | None
    forsorjningsstod: int | None
    regelverk_hash: str

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class Page:
    items: list[Summary]
    sida: int
    per_sida: int
    totalt: int

    @property
    def sidor(self) -> int:
        return max(1, -(-self.totalt // self.per_sida))


@dataclass(frozen=True)
class Head:
    position: int
    mac: str
    tidpunkt: str | None = None


@dataclass
class Verification:
    """What ``verifiera`` found: how much was checked, every problem, and the chain's head."""

    beslut: int = 0
    regelverk: int = 0
    atkomst: int = 0
    lankar: int = 0
    forseglade: int = 0
    ankare: int = 0
    problem: list[str] = field(default_factory=list)
    huvud: Head | None = None

    @property
    def intakt(self) -> bool:
        return not self.problem
