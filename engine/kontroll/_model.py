"""The schema of the control-rule files in ``regelverk/kontroll/``."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictStr, model_validator

from engine._rulefiles import Date, Dated, Lagrum, Number

CODE = r"^[A-Z][A-Z0-9_]*$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Control(_Strict):
    """One control: a condition over one kind of fact, and the deviation it gives."""

    id: Annotated[StrictStr, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    kod: Annotated[StrictStr, Field(pattern=CODE)]
    namn: StrictStr
    beskrivning: StrictStr | None = None
    fakta: StrictStr
    villkor: StrictStr
    allvarlighet: Literal["info", "kontrollera", "utred"]
    meddelande: StrictStr
    giltig_fran: Date
    giltig_till: Date | None = None
    lagrum: Annotated[list[Lagrum], Field(min_length=1)]

    @model_validator(mode="after")
    def _order(self) -> Control:
        if self.giltig_till is not None and self.giltig_till < self.giltig_fran:
            raise ValueError("giltig_till ligger före giltig_fran")
        return self

    def in_force(self) -> Dated:
        return Dated(giltig_fran=self.giltig_fran, giltig_till=self.giltig_till)


class ControlFile(_Strict):
    beskrivning: StrictStr | None = None
    kontroller: list[Control]


class Parameter(_Strict):
    varde: Number
    beskrivning: StrictStr
    kalla: StrictStr | None = None


class ParameterFile(_Strict):
    beskrivning: StrictStr | None = None
    parametrar: dict[Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")], Parameter]


Threshold = Literal["exakt", "jamfor_inte"] | Annotated[int, Field(ge=0, le=1000)]


class BenefitMapping(_Strict):
    """How an agency's benefit is treated: an income of the contract's type(s), not counted, or unknown.

    A row matches a payment when every key it gives (``kod``, ``text``, ``delforman``,
    ``beloppstyp``) equals the payment's; the row with the most keys wins, a code before a name. A
    row with none of them is the source's default. ``troskel`` says when a change between the
    comparison and the control month warns: ``exakt`` (any difference), ``jamfor_inte`` (never, for
    amounts that vary with days), or a percent (default ``inkomstandring_procent``).
    """

    kalla: Literal["FK", "PM", "CSN", "SO"]
    kod: StrictStr | None = None
    text: StrictStr | None = None
    delforman: StrictStr | None = None
    beloppstyp: StrictStr | None = None
    typ: StrictStr | Annotated[list[StrictStr], Field(min_length=1)] | None = None
    behandling: Literal["inkomst", "raknas_inte", "okand"] = "inkomst"
    troskel: Threshold | None = None
    giltig_fran: Date | None = None
    giltig_till: Date | None = None
    kalla_for_mappningen: StrictStr | None = None

    @model_validator(mode="after")
    def _typ(self) -> BenefitMapping:
        if self.behandling == "inkomst" and not self.typ:
            raise ValueError("typ saknas: en förmån som räknas som inkomst behöver kontraktets inkomsttyp")
        if self.behandling != "inkomst" and self.typ:
            raise ValueError(f"typ anges bara för inkomster, inte för behandling '{self.behandling}'")
        if self.giltig_fran and self.giltig_till and self.giltig_till < self.giltig_fran:
            raise ValueError("giltig_till ligger före giltig_fran")
        return self

    @property
    def types(self) -> tuple[str, ...]:
        return (self.typ,) if isinstance(self.typ, str) else tuple(self.typ or ())

    @property
    def keys(self) -> dict[str, str]:
        found = {"kod": self.kod, "text": self.text, "delforman": self.delforman, "beloppstyp": self.beloppstyp}
        return {k: v for k, v in found.items() if v}


class AnswerQuality(_Strict):
    """What an organisation's own status code in an answer means (the schema leaves it undefined)."""

    kalla: Literal["SO"]
    status: StrictStr
    kvalitet: Literal["svarat", "inget_hos_oss", "ej_kontrollerbar"]
    kalla_for_tolkningen: StrictStr | None = None


class BenefitFile(_Strict):
    beskrivning: StrictStr | None = None
    formaner: list[BenefitMapping]
    svarskvalitet: list[AnswerQuality] = []
