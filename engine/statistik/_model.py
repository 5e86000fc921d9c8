"""The schema of ``regelverk/statistik/``: the code lists and the rules that suggest a code."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictStr, model_validator

from engine._rulefiles import Date, Number


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Code(_Strict):
    kod: Annotated[StrictStr, Field(pattern=r"^\d{1,3}$")]
    text: StrictStr
    grupp: StrictStr | None = None


class CodeList(_Strict):
    """A list of codes in force from ``giltig_fran`` (to ``giltig_till``), with where it comes from."""

    giltig_fran: Date
    giltig_till: Date | None = None
    kalla: StrictStr
    koder: Annotated[list[Code], Field(min_length=1)]

    @model_validator(mode="after")
    def _check(self) -> CodeList:
        if self.giltig_till is not None and self.giltig_till < self.giltig_fran:
            raise ValueError("giltig_till ligger före giltig_fran")
        seen: set[str] = set()
        for c in self.koder:
            if c.kod in seen:
                raise ValueError(f"koden {c.kod} finns två gånger i listan")
            seen.add(c.kod)
        return self


class CodeFile(_Strict):
    beskrivning: StrictStr | None = None
    listor: Annotated[list[CodeList], Field(min_length=1)]
    hushallstyper: Annotated[list[CodeList], Field(min_length=1)]


class Parameter(_Strict):
    varde: Number
    beskrivning: StrictStr
    konvention: StrictStr | None = None


class Suggestion(_Strict):
    """One rule: when ``villkor`` holds for an adult, suggest ``kod``, for the reason ``skal``."""

    id: Annotated[StrictStr, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    kod: Annotated[StrictStr, Field(pattern=r"^\d{1,3}$")]
    villkor: StrictStr
    skal: StrictStr
    giltig_fran: Date
    giltig_till: Date | None = None


class SuggestionFile(_Strict):
    beskrivning: StrictStr | None = None
    kalla: StrictStr
    ingen_bedomning: StrictStr
    parametrar: dict[Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")], Parameter] = {}
    forslag: Annotated[list[Suggestion], Field(min_length=1)]
