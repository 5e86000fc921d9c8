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


class BenefitMapping(_Strict):
    """Which income type of the contract an agency's benefit is (by code, or by its name)."""

    kalla: Literal["FK", "PM", "CSN", "SO"]
    kod: StrictStr | None = None
    text: StrictStr | None = None
    typ: StrictStr
    kalla_for_mappningen: StrictStr | None = None


class BenefitFile(_Strict):
    beskrivning: StrictStr | None = None
    formaner: list[BenefitMapping]
