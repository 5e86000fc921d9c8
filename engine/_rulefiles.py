"""The schema of the rule files (``regelverk/``) and the dated amounts (``normer/``).

Every model refuses unknown keys: a misspelt ``giltig_tll`` that were silently ignored would
leave an amount in force for ever. Dates are ISO dates; validity is inclusive at both ends and
an open end (no ``giltig_till``) means "until changed".
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictBool, StrictStr, model_validator

RULE_ID = r"^[a-z][a-z0-9_]*$"
NORM_ID = r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$"
SFS = r"^\d{4}:\d+$"


def _strict_date(v: Any) -> Any:
    if isinstance(v, date) and not hasattr(v, "hour"):
        return v
    if isinstance(v, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", v):
        return date.fromisoformat(v)
    raise ValueError("ska vara ett datum ÅÅÅÅ-MM-DD")


def _number(v: Any) -> Any:
    if isinstance(v, bool) or not isinstance(v, int | float | Decimal | str):
        raise ValueError("ska vara ett tal")
    try:
        return Decimal(str(v))
    except Exception:
        raise ValueError(f"'{v}' är inget tal") from None


Date = Annotated[date, BeforeValidator(_strict_date)]
Number = Annotated[Decimal, BeforeValidator(_number)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Dated(_Strict):
    giltig_fran: Date
    giltig_till: Date | None = None

    @model_validator(mode="after")
    def _order(self) -> Dated:
        if self.giltig_till is not None and self.giltig_till < self.giltig_fran:
            raise ValueError(f"giltig_till {self.giltig_till} ligger före giltig_fran {self.giltig_fran}")
        return self

    def covers(self, day: date) -> bool:
        return self.giltig_fran <= day and (self.giltig_till is None or day <= self.giltig_till)


class Hanvisning(_Strict):
    """One legal reference: ``12 kap. 7 § första stycket 1 socialtjänstlagen (2025:400)``."""

    sfs: Annotated[StrictStr, Field(pattern=SFS)]
    kapitel: int | None = None
    paragraf: StrictStr
    stycke: Annotated[int, Field(ge=1, le=10)] | None = None
    punkt: Annotated[int, Field(ge=1)] | None = None
    lydelse: StrictStr | None = None  # e.g. "Förordning (2025:1046)": the amending act of the wording used


class Lagrum(Dated):
    """The legal basis of a rule for a span of time: statute references, or a stated convention.

    ``konvention`` is for the few places where the facts are silent and the project had to
    choose; it is shown in the trace as a convention, never dressed up as a paragraph.
    """

    hanvisningar: list[Hanvisning] = []
    konvention: StrictStr | None = None

    @model_validator(mode="after")
    def _some_basis(self) -> Lagrum:
        if not self.hanvisningar and not self.konvention:
            raise ValueError("ange hanvisningar (lagrum) eller konvention")
        return self


class RuleVersion(Dated):
    formel: StrictStr
    forklaring: StrictStr | None = None


class Krav(_Strict):
    """A condition the application must meet: when the rule is false, the application is refused."""

    falt: StrictStr  # the field named in the message (for person rules: under hushall[i])
    meddelande: StrictStr  # Swedish, may use {placeholders} as explanations do


class Rule(_Strict):
    id: Annotated[StrictStr, Field(pattern=RULE_ID)]
    namn: StrictStr
    beskrivning: StrictStr | None = None
    entitet: Literal["hushall", "person"] = "hushall"
    roller: list[Literal["sokande", "medsokande", "barn"]] | None = None
    typ: Literal["belopp", "tal", "villkor", "antal"]
    avsnitt: StrictStr | None = None
    visas: StrictBool = True
    dolj_noll: StrictBool = False  # leave the line out of explanations when the value is 0
    avdrag: StrictBool = False  # the amount is subtracted; explanations show it with a minus sign
    visa_noll: StrictBool = False  # show the line even when the value is 0 or false
    enhet: StrictStr | None = None  # for tal/antal rules, e.g. "timmar per vecka"
    forklaring: StrictStr | None = None
    krav: Krav | None = None
    # for an antal rule that numbers a choice (a point of a paragraph, say): what each number means,
    # in words for people (statistics and reports read them here, not from code)
    varden: (
        dict[Annotated[StrictStr, Field(pattern=r"^(0|[1-9][0-9]*)$")], Annotated[StrictStr, Field(min_length=1)]]
        | None
    ) = None
    versioner: Annotated[list[RuleVersion], Field(min_length=1)]
    lagrum: Annotated[list[Lagrum], Field(min_length=1)]

    @model_validator(mode="after")
    def _roles(self) -> Rule:
        if self.roller is not None and self.entitet != "person":
            raise ValueError("roller kan bara anges för regler med entitet: person")
        if self.krav is not None and self.typ != "villkor":
            raise ValueError("krav kan bara anges för regler av typ villkor")
        if self.varden is not None and self.typ != "antal":
            raise ValueError("varden kan bara anges för regler av typ antal")
        return self


class RuleFile(_Strict):
    beskrivning: StrictStr | None = None
    regler: list[Rule]


class Kalla(_Strict):
    """Where a dated amount comes from: a statute paragraph, or a published decision."""

    sfs: Annotated[StrictStr, Field(pattern=SFS)] | None = None
    kapitel: int | None = None
    paragraf: StrictStr | None = None
    lydelse: StrictStr | None = None
    titel: StrictStr | None = None
    url: StrictStr | None = None

    @model_validator(mode="after")
    def _some_source(self) -> Kalla:
        if self.sfs is None and self.url is None:
            raise ValueError("en källa behöver sfs (författning) eller url")
        return self


class Harledning(_Strict):
    """A value computed from another norm: ``formel`` applied to ``varde`` (each amount)."""

    fran: Annotated[StrictStr, Field(pattern=NORM_ID)]
    formel: StrictStr
    kolumner: list[StrictStr] | None = None  # for tables: the columns holding amounts


class Published(_Strict):
    """Amounts as the government published them, entered beside a derivation to be checked."""

    varde: Number | None = None
    rader: list[dict[str, Number | None]] | None = None
    kalla: Kalla
    publicerad: Date | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Published:
        if (self.varde is None) == (self.rader is None):
            raise ValueError("ange antingen varde eller rader")
        return self


class NormValue(Dated):
    varde: Number | None = None
    rader: list[dict[str, Number | None]] | None = None
    harleds: Harledning | None = None
    kalla: Kalla
    publicerad: Date | None = None
    publicerat: Published | None = None
    anmarkning: StrictStr | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> NormValue:
        if sum(x is not None for x in (self.varde, self.rader, self.harleds)) != 1:
            raise ValueError("ange ett av varde (belopp eller tal), rader (tabell) eller harleds (härlett värde)")
        return self


class Norm(_Strict):
    id: Annotated[StrictStr, Field(pattern=NORM_ID)]
    namn: StrictStr
    beskrivning: StrictStr | None = None
    typ: Literal["belopp", "tal", "tabell"]
    enhet: StrictStr | None = None
    kolumner: list[Annotated[StrictStr, Field(pattern=RULE_ID)]] | None = None
    utgivare: StrictStr | None = None
    varden: list[NormValue]

    @model_validator(mode="after")
    def _shape(self) -> Norm:
        if self.typ == "tabell":
            if not self.kolumner or len(self.kolumner) < 2:
                raise ValueError("en tabell behöver kolumner (minst två)")
            for i, v in enumerate(self.varden):
                if v.varde is not None:
                    raise ValueError(f"varden[{i}]: en tabell anges med rader (eller harleds), inte varde")
        else:
            if self.kolumner is not None:
                raise ValueError("kolumner gäller bara typ: tabell")
            for i, v in enumerate(self.varden):
                if v.rader is not None:
                    raise ValueError(f"varden[{i}]: ange varde (typ {self.typ}), inte rader")
        return self


class NormFile(_Strict):
    beskrivning: StrictStr | None = None
    normer: list[Norm]


class Forfattning(_Strict):
    namn: StrictStr  # "socialtjänstlagen"
    kortnamn: StrictStr  # "SoL"


class Manifest(_Strict):
    id: Annotated[StrictStr, Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$")]
    namn: StrictStr
    version: StrictStr
    beskrivning: StrictStr | None = None
    utdata: Annotated[list[Annotated[StrictStr, Field(pattern=RULE_ID)]], Field(min_length=1)]
    avsnitt: dict[str, StrictStr] = {}
    forfattningar: dict[Annotated[str, Field(pattern=SFS)], Forfattning]


class TakRad(_Strict):
    """One row of a kommun's cap: the households it covers (adults, children) and the amount."""

    vuxna_fran: Annotated[int, Field(ge=1, le=2)]
    vuxna_till: Annotated[int, Field(ge=1, le=2)] | None = None
    barn_fran: Annotated[int, Field(ge=0, le=30)] = 0
    barn_till: Annotated[int, Field(ge=0, le=30)] | None = None
    belopp: Annotated[int, Field(ge=0)]


class TakVarde(Dated):
    rader: Annotated[list[TakRad], Field(min_length=1)]
    kalla: Kalla
    anmarkning: StrictStr | None = None


class Tak(_Strict):
    """A kommun's highest accepted amount for one cost type, by household, dated and sourced."""

    kostnad: StrictStr
    namn: StrictStr
    beskrivning: StrictStr | None = None
    varden: Annotated[list[TakVarde], Field(min_length=1)]


class KommunTroskel(_Strict):
    """A kommun's own threshold for when a benefit's change between two months warns."""

    kalla: Literal["FK", "PM", "CSN", "SO"]
    kod: StrictStr | None = None
    text: StrictStr | None = None
    troskel: Literal["exakt", "jamfor_inte"] | Annotated[int, Field(ge=0, le=1000)]
    giltig_fran: Date
    giltig_till: Date | None = None
    riktlinje: Kalla

    @model_validator(mode="after")
    def _key(self) -> KommunTroskel:
        if not self.kod and not self.text:
            raise ValueError("ange förmånen med kod eller text")
        if self.giltig_till is not None and self.giltig_till < self.giltig_fran:
            raise ValueError("giltig_till ligger före giltig_fran")
        return self


class KommunFile(_Strict):
    """``regelverk/kommuner/<kommunkod>.yaml``: a kommun's own guidelines on top of the national rules."""

    kommun: Annotated[StrictStr, Field(pattern=r"^\d{4}$")]
    namn: StrictStr
    beskrivning: StrictStr | None = None
    tak: list[Tak] = []
    troskar: list[KommunTroskel] = []
