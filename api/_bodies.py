"""Request bodies: parsed by the engine's strict JSON reader, then validated field by field.

The application itself is validated by the engine (``engine.parse_application``), so the API and
the command line refuse exactly the same applications with the same messages.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Request
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr

import engine
from api._errors import HttpError, problems
from engine._input import Ansokan
from engine._limits import JAMFORELSETAL_MAX, JAMFORELSETAL_MIN, MAX_BELOPP, MAX_MOTIVERING, MAX_PERSONER

MAX_SSBTEK_SVAR = 2_000_000  # characters of one SSBTEK answer given in a body


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


Motivering = Annotated[StrictStr, Field(min_length=1, max_length=MAX_MOTIVERING)]


Hinderkoder = Annotated[
    dict[Annotated[StrictStr, Field(min_length=1, max_length=64)], Annotated[StrictStr, Field(pattern=r"^\d{1,3}$")]],
    Field(max_length=MAX_PERSONER, description="vuxens person-id → kod för försörjningshinder (t.ex. '113')"),
]


class BeslutData(_Strict):
    utfall: Literal["beviljat", "delvis", "avslag"]
    belopp: Annotated[StrictInt, Field(ge=0, le=MAX_BELOPP)]
    motivering: Motivering
    forsorjningshinder: Hinderkoder | None = None


class HinderBody(_Strict):
    forsorjningshinder: Hinderkoder


class _Common(_Strict):
    ssbtek: (
        Annotated[
            dict[Annotated[StrictStr, Field(max_length=64)], Annotated[StrictStr, Field(max_length=MAX_SSBTEK_SVAR)]],
            Field(max_length=MAX_PERSONER),
        ]
        | None
    ) = Field(None, description="person-id → SSBTEK v10-svar (XML)")
    hamta_ssbtek: StrictBool = Field(False, description="hämta uppgifter för de vuxna från den konfigurerade SSBTEK")
    foregaende_fran_beslutsloggen: StrictBool = Field(
        False, description="jämför med hushållets föregående beslut i beslutsloggen (som ansökans foregaende)"
    )


Jamforelsetal = Annotated[float, Field(ge=float(JAMFORELSETAL_MIN), le=float(JAMFORELSETAL_MAX))]


Antaganden = Annotated[
    dict[
        Annotated[StrictStr, Field(max_length=120)],
        StrictInt | float | StrictBool | Annotated[StrictStr, Field(max_length=40)],
    ],
    Field(max_length=50, description="vad händer om: norm- eller regel-id → tillfälligt värde"),
]


class BerakningBody(_Common):
    ansokan: dict[str, Any]
    jamforelsetal: Jamforelsetal | None = Field(None, description="förhandsberäkning med ett ej inmatat jämförelsetal")
    antaganden: Antaganden | None = None


class BeslutBody(_Common):
    ansokan: dict[str, Any]
    beslut: BeslutData


class AterkravBody(_Strict):
    rattelse: dict[str, Any] = Field(description="hela den rättade ansökan, i kontraktets form")
    utbetald: StrictStr | None = Field(None, description="dagen biståndet betalades ut (ÅÅÅÅ-MM-DD)")


class BerakningDoc(_Common):
    ansokan: Ansokan
    jamforelsetal: Jamforelsetal | None = None
    antaganden: Antaganden | None = None


class BeslutDoc(_Common):
    ansokan: Ansokan
    beslut: BeslutData


class AterkravDoc(_Strict):
    rattelse: Ansokan
    utbetald: StrictStr | None = None


def body_schema(model: type[BaseModel], *, bare: bool = False) -> dict[str, Any]:
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    defs = schema.pop("$defs", {})
    content: dict[str, Any] = schema
    if bare:
        content = {"anyOf": [schema, {"$ref": "#/components/schemas/Ansokan"}]}
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": content}}}, "x-defs": defs}


async def read_json(request: Request) -> Any:
    """The body as data, by the same strict rules as the command line's files."""
    raw = await request.body()
    try:
        return engine.parse_json(raw, "")
    except engine.InputError as exc:
        raise HttpError(422, {"fel": problems(exc.problems)}) from None
