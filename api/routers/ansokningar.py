"""``/v1/ansokningar``: the renewed application (förnyad ansökan), pre-filled from the last decision.

The household's newest decision in the caller's kommun gives next month's application: the same
persons, costs and incomes, every one of them marked to be confirmed by the applicant, the history
one month longer. The read of the decision is logged like every read.
"""

from __future__ import annotations

import copy
import hashlib
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, StrictStr, ValidationError

import engine
from api._auth import Principal, principal, require
from api._bodies import body_schema, read_json
from api._context import Context, client_address
from api._errors import HttpError, ORJSONResponse, field_error, validation_error
from engine._personnummer import normalise
from engine._personnummer import problem as personnummer_problem

router = APIRouter(tags=["ansökningar"])
Who = Annotated[Principal, Depends(principal)]


class ForifyllBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    personnummer: Annotated[StrictStr, Field(max_length=20, description="sökandens personnummer")]
    period: Annotated[StrictStr, Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")] | None = Field(
        None, description="månaden som söks (standard: månaden efter beslutet)"
    )


@router.post(
    "/v1/ansokningar/forifyll",
    summary="Nästa månads ansökan ifylld från hushållets senaste beslut, allt markerat att bekräfta",
    openapi_extra=body_schema(ForifyllBody),
)
async def forifyll(request: Request, ctx: Context, who: Who) -> Response:
    require(who, "lasa_beslut")
    try:
        body = ForifyllBody.model_validate(await read_json(request))
    except ValidationError as exc:
        raise validation_error(exc) from None
    why = personnummer_problem(body.personnummer)
    if why:
        raise field_error("personnummer", why)
    key = hashlib.sha256((normalise(body.personnummer) or "").encode("ascii")).hexdigest()
    record = await run_in_threadpool(lambda: ctx.log.previous_decision(who.kommun, key, "9999-12"))
    if record is None:
        raise HttpError(404, {"fel": "hushållet har inget registrerat beslut i din kommun"})
    address = client_address(request)
    await run_in_threadpool(
        lambda: ctx.log.log_access(
            anvandare=who.anvandare,
            roll=who.roll,
            kommun=who.kommun,
            beslut_id=record.id,
            handling="forifyll",
            adress=address,
            detalj="förnyad ansökan ifylld från beslutet",
        )
    )
    previous = record.indata.get("ansokan") or {}
    month = engine.Month.parse(body.period) if body.period else engine.Month.parse(str(previous["period"])) + 1
    if month <= engine.Month.parse(str(previous["period"])):
        raise field_error("period", f"ska vara en månad efter beslutets ({previous['period']})")
    app, confirm = renewed(previous, month)
    return ORJSONResponse({"ansokan": app, "att_bekrafta": confirm, "fran_beslut": record.id})


def renewed(previous: dict[str, Any], month: engine.Month) -> tuple[dict[str, Any], list[str]]:
    """Next month's application from a decided one, and the fields the applicant must confirm."""
    app = copy.deepcopy(previous)
    app["period"] = str(month)
    app.pop("foregaende", None)
    gap = month.index - engine.Month.parse(str(previous["period"])).index
    for holder in [app, *(p for p in app.get("hushall") or [] if isinstance(p, dict))]:
        h = holder.get("historik")
        if isinstance(h, dict):
            h["manader_i_folj"] = int(h.get("manader_i_folj") or 0) + gap if gap == 1 else 0
    confirm = ["hushall"]
    confirm += [f"inkomster[{i}]" for i in range(len(app.get("inkomster") or []))]
    confirm += [f"kostnader[{i}]" for i in range(len(app.get("kostnader") or []))]
    return app, confirm
