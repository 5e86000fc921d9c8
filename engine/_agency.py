"""Agency data as the engine sees it: one answer per source and person, whatever the transport.

The SSBTEK answers (or any other source behind the same interface) are reduced to these plain
records. A source is either an answer (possibly with no records: no payments, no vehicles) or
not: an error from the agency or the composite service, an answer that failed validation, or no
answer at all. Missing data is never read as zero income; it becomes the deviation
``UPPGIFT_SAKNAS`` for that source and person.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal

# The sources of SSBTEK v10. FK and PM arrive together in the FK element (LEFI JSON).
SOURCES = ("FK", "PM", "CSN", "AF", "SO", "SKV", "TNS", "MIV")
SOURCE_NAMES = {
    "FK": "Försäkringskassan",
    "PM": "Pensionsmyndigheten",
    "CSN": "CSN",
    "AF": "Arbetsförmedlingen",
    "SO": "arbetslöshetskassorna",
    "SKV": "Skatteverket",
    "TNS": "Transportstyrelsen",
    "MIV": "Migrationsverket",
}

Status = Literal["svar", "fel", "ogiltigt", "saknas"]


@dataclass(frozen=True)
class Payment:
    """A payment to the person: net kronor on a payment date."""

    kalla: str  # FK, PM, SO, CSN
    kod: str  # benefit code as the source names it, e.g. "FK:SJP", "SO", "CSN:GRUND"
    text: str  # the benefit in words, e.g. "Sjukpenning"
    datum: date
    netto: int
    preliminar: bool = False
    delforman: str = ""  # the payment row's own benefit (LEFI utbetalningsforman, CSN klartext), when one
    beloppstyp: str = ""  # the row's amount type (LEFI beloppstyp), when the payment has exactly one row
    avsandare: str = ""  # who paid within the source, e.g. the a-kassa's name


@dataclass(frozen=True)
class PartAnswer:
    """One responding organisation inside a source (an a-kassa within SO), as it answered.

    How far the answer can be relied on is for the rule files to say (``svarskvalitet`` in
    ``regelverk/kontroll/formaner.yaml``), not the reader: the status codes have no meaning in
    the schema.
    """

    namn: str
    status: str
    utbetalningar: bool


@dataclass(frozen=True)
class Suspension:
    """An a-kassa's suspension (avstängning) from unemployment benefit."""

    a_kassa: str
    fran: date
    till: date


@dataclass(frozen=True)
class StudySupport:
    """A CSN case: the support form and the weeks granted."""

    stodform: str
    klartext: str
    status: str
    beviljad_fran: date | None
    beviljad_till: date | None
    takt: int | None
    familj: str = "Studiemedel"  # CSN's support tree: Studiemedel, Studiehjälp, Studiestartsstöd, ...


@dataclass(frozen=True)
class Vehicle:
    regnr: str
    fabrikat: str
    fordonsar: str
    fordonsslag: str


@dataclass(frozen=True)
class CapitalIncome:
    taxeringsar: int
    intakter: int
    overskott: int


@dataclass(frozen=True)
class Permit:
    """A Migrationsverket case as SSBTEK reports it."""

    arendetyp: str
    beslutskod: str
    beslutstyp: str
    giltighetstid: str  # PERMANENT or TIDBEGRANSAT
    fran: date | None
    till: date | None


@dataclass(frozen=True)
class SourceAnswer:
    """One source's answer about one person."""

    kalla: str
    status: Status
    felkod: str = ""
    meddelande: str = ""
    payments: tuple[Payment, ...] = ()
    job_seeker: bool | None = None  # AF: registered as job seeker
    job_seeker_until: date | None = None  # AF: avaktualiserad
    suspensions: tuple[Suspension, ...] = ()
    studies: tuple[StudySupport, ...] = ()
    vehicles: tuple[Vehicle, ...] = ()
    capital: tuple[CapitalIncome, ...] = ()
    permits: tuple[Permit, ...] = ()
    delsvar: tuple[PartAnswer, ...] = ()  # per organisation within the source (a-kassor)
    radfel: tuple[str, ...] = ()  # rows that could not be read and were skipped, each with where and why
    protected: bool = False  # the source marks the person's identity as protected
    identiteter: tuple[str, ...] = ()  # the personnummer the payload says it is about

    @property
    def answered(self) -> bool:
        return self.status == "svar"


@dataclass
class PersonAgencyData:
    """Every source's answer about one person of the application (by the application's person id)."""

    person: str
    sources: dict[str, SourceAnswer] = field(default_factory=dict)

    def source(self, kalla: str) -> SourceAnswer:
        return self.sources.get(kalla) or SourceAnswer(kalla, "saknas", meddelande="inget svar från källan")

    @classmethod
    def unavailable(cls, person: str, felkod: str, message: str) -> PersonAgencyData:
        """No answer at all (the service could not be reached): every source is missing."""
        return cls(person, {s: SourceAnswer(s, "fel", felkod, message) for s in SOURCES})
