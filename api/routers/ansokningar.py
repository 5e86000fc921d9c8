"""``/v1/ansokningar``: the renewed application (förnyad ansökan): pre-filled, then checked.

``forifyll``: the household's newest decision in the caller's kommun gives next month's application:
the same persons, costs and incomes, every one of them marked to be confirmed by the applicant, the
history one month longer; the read of the decision is logged like every read. ``kontroll``: what an
e-service shows before the application is sent: the fields to correct, the verifications to hand
in with their reasons and legal basis (``regelverk/underlag/``), what the agencies' data already
show, what changed against last month's decision (the control rules' history facts) and whether the
co-applicant has signed.
"""

from __future__ import annotations

import copy
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictStr, ValidationError

import engine
from api._agency import stored_input
from api._auth import Principal, principal, require
from api._bodies import _Common, body_schema, read_json
from api._context import AppContext, Context, client_address
from api._errors import HttpError, ORJSONResponse, field_error, validation_error
from api._previous import attach_previous
from beslutslogg import Record, applicant_key
from engine._input import with_swedish_spellings
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
    try:
        body = ForifyllBody.model_validate(await read_json(request))
    except ValidationError as exc:
        raise validation_error(exc) from None
    record = await last_decision(ctx, who, request, body.personnummer, "förnyad ansökan ifylld från beslutet")
    previous = record.indata.get("ansokan") or {}
    month = engine.Month.parse(body.period) if body.period else engine.Month.parse(str(previous["period"])) + 1
    if month <= engine.Month.parse(str(previous["period"])):
        raise field_error("period", f"ska vara en månad efter beslutets ({previous['period']})")
    app, confirm = renewed(previous, month)
    return ORJSONResponse({"ansokan": app, "att_bekrafta": confirm, "fran_beslut": record.id})


async def last_decision(ctx: AppContext, who: Principal, request: Request, personnummer: str, detalj: str) -> Record:
    """The household's newest decision in the caller's kommun, by the applicant's personnummer; the read logged.

    Raises AuthError (no right to read decisions), HttpError 422 (not a personnummer) or 404 (no decision)."""
    require(who, "lasa_beslut")
    why = personnummer_problem(personnummer) if personnummer else "ange sökandens personnummer"
    if why:
        raise field_error("personnummer", why)
    key = applicant_key(personnummer) or ""
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
            detalj=detalj,
        )
    )
    return record


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


class KontrollBody(_Common):
    ansokan: dict[str, Any]
    medsokande_har_signerat: StrictBool | None = Field(
        None, description="medsökanden har skrivit under ansökan (krävs när ansökan har en medsökande)"
    )


@router.post(
    "/v1/ansokningar/kontroll",
    summary="Är ansökan komplett? Fel i fälten, underlag att lämna in och varför, ändringar mot förra beslutet",
    openapi_extra=body_schema(KontrollBody),
)
async def kontroll(request: Request, ctx: Context, who: Who) -> Response:
    require(who, "berakna")
    try:
        body = KontrollBody.model_validate(await read_json(request))
    except ValidationError as exc:
        raise validation_error(exc) from None
    answer: dict[str, Any] = {"komplett": False, "fel": [], "underlag": [], "behovs_inte": [], "andringar": []}
    try:
        engine.parse_application(body.ansokan)
    except engine.InputError as exc:
        answer["fel"] = [{"falt": p.field, "meddelande": p.message} for p in exc.problems]
        answer["meddelande"] = f"Ansökan har {len(exc.problems)} fel som behöver rättas innan den kan skickas."
        return ORJSONResponse(answer)
    ansokan = dict(with_swedish_spellings(body.ansokan))
    if body.foregaende_fran_beslutsloggen:
        await attach_previous(ctx, who, request, ansokan)
    rules = ctx.rules.current() if body.hamta_ssbtek else None  # the question's months follow the rules
    indata = await stored_input(ctx.agency, ansokan, body.ssbtek, body.hamta_ssbtek, rules)
    bundle = ctx.rules.current()
    result, needed, shown = await ctx.compute(lambda: _check(bundle, indata))
    answer["underlag"], answer["behovs_inte"] = needed, shown
    answer["andringar"] = [
        {k: d.get(k) for k in ("kod", "rubrik", "person", "meddelande")}
        for d in result.get("avvikelser", [])
        if d.get("kalla") == "foregaende"
    ]
    co = [str(p["id"]) for p in ansokan.get("hushall") or [] if p.get("roll") == "medsokande"]
    missing_signature = bool(co) and body.medsokande_har_signerat is not True
    answer["signatur"] = {"medsokande": co[0] if co else None, "saknas": missing_signature}
    answer["komplett"] = not missing_signature
    lines = []
    if missing_signature:
        lines.append(f"Medsökanden ({co[0]}) behöver skriva under ansökan.")
    if needed:
        lines.append("Lämna in: " + "; ".join(n["text"] for n in needed) + ".")
    if answer["andringar"]:
        lines.append("Något har ändrats sedan förra beslutet; handläggaren kan fråga om det.")
    answer["meddelande"] = " ".join(lines) or "Ansökan är komplett."
    answer["forsorjningsstod"] = result["forsorjningsstod"]
    return ORJSONResponse(answer)


_UNDERLAG: dict[str, Any] = {}


def _check(bundle: Any, indata: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
    """The application computed, and its verifications from ``regelverk/underlag/``."""
    import underlag
    from beslutslogg.omprovning import agency_data, compute_stored

    result = compute_stored(bundle, indata)
    _, facts = engine.parse_application(indata["ansokan"])
    agency = agency_data(indata) or {}
    values = {k: int(result[k]) for k in bundle.manifest.utdata}
    known = bundle.controls.facts(facts, agency, values) if agency and bundle.controls else []
    rules = _UNDERLAG.get(bundle.hash)
    if rules is None:  # read once per rule version, not on every request
        try:
            rules = underlag.load_rules(bundle.files)
        except engine.RuleFileError:
            raise HttpError(409, {"fel": "regelverket i kraft saknar giltiga regler för underlag"}) from None
        _UNDERLAG.clear()
        _UNDERLAG[bundle.hash] = rules
    needed, shown = underlag.verifications(
        rules, indata["ansokan"], result, known, bundle.manifest.forfattningar, facts.period.first_day
    )
    return result, needed, shown
