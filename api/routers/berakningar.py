"""``POST /v1/berakningar``: compute an application with its trace and deviations, recording nothing.

The body is parsed by the engine's strict reader; the computation runs in the worker thread pool
so that the event loop (and ``/healthz``) is never held by it.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import ValidationError

import engine
from api import _metrics
from api._agency import stored_input
from api._auth import Principal, principal, require
from api._bodies import BerakningBody, BerakningDoc, body_schema, read_json
from api._context import Context
from api._errors import HttpError, ORJSONResponse, problems, validation_error
from api._openapi import Resultat
from api._previous import attach_previous
from beslutslogg.omprovning import compute_stored

router = APIRouter(tags=["beräkning"])


@router.post(
    "/v1/berakningar",
    summary="Beräkna en ansökan med spår och avvikelser",
    openapi_extra=body_schema(BerakningDoc, bare=True),
    responses={200: {"model": Resultat, "description": "beräkningen med spår, avvikelser och kontrafaktiskt"}},
)
async def berakna(request: Request, ctx: Context, who: Annotated[Principal, Depends(principal)]) -> Response:
    require(who, "berakna")
    data = await read_json(request)
    if isinstance(data, dict) and "ansokan" not in data:
        data = {"ansokan": data}  # a bare application is accepted too
    try:
        body = BerakningBody.model_validate(data)
    except ValidationError as exc:
        raise validation_error(exc) from None
    previous = None
    if body.foregaende_fran_beslutsloggen:
        previous = await attach_previous(ctx, who, request, body.ansokan)
    rules = ctx.rules.current() if body.hamta_ssbtek else None  # the question's months follow the rules
    indata = await stored_input(ctx.agency, body.ansokan, body.ssbtek, body.hamta_ssbtek, rules)
    if body.jamforelsetal is not None:
        indata["jamforelsetal"] = body.jamforelsetal
    if body.antaganden:
        result = await ctx.compute(lambda: _what_if(ctx.rules.current(), indata, body.antaganden or {}))
    else:
        result = await ctx.compute(lambda: _with_counterfactual(ctx.rules.current(), indata))
    _metrics.calculated(result, "berakning")
    if ctx.rules.error:
        result["varning"] = ctx.rules.error
    if body.foregaende_fran_beslutsloggen:
        result["foregaende_beslut"] = previous
    return ORJSONResponse(result)


def _with_counterfactual(bundle: engine.RuleBundle, indata: dict[str, Any]) -> dict[str, Any]:
    """The result, and what would change it (``kontrafaktiskt``: the same rules on changed copies)."""
    result = compute_stored(bundle, indata)
    overrides = {}
    if indata.get("jamforelsetal") is not None:
        overrides["jamforelsetal"] = engine.jamforelsetal(indata["jamforelsetal"])
    result["kontrafaktiskt"] = engine.counterfactual(bundle, indata["ansokan"], overrides)
    return result


def _what_if(bundle: engine.RuleBundle, indata: dict[str, Any], raw: dict[str, Any]) -> dict[str, Any]:
    """The base and the alternative from the same input; assumptions are checked against the rules."""
    try:
        assumptions = engine.parse_assumptions(bundle, raw, "")
    except engine.InputError as exc:  # the field is in the body's antaganden, not in the application
        raise HttpError(422, {"fel": problems(exc.problems, "antaganden")}) from None
    base = compute_stored(bundle, indata)
    alt = compute_stored(bundle, indata, assumptions)
    return {"bas": base, "alternativ": alt, "antaganden": assumptions.listed()}
