"""``/v1/beslut``: record, list and read decisions; replay them; explanation links; who read them; återkrav.

Every read of a decision is logged with who read it, how and from where, and so is every refused
attempt (with who tried). A decision of another kommun answers 404, exactly like one that does not
exist, so that its existence is not revealed. Database work runs in the worker thread pool.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from api import _metrics
from api._agency import stored_input
from api._auth import AuthError, Principal, issue, principal, principal_or_link, require, sees_kommun
from api._bodies import AterkravBody, AterkravDoc, BeslutBody, BeslutDoc, HinderBody, body_schema, read_json
from api._context import AppContext, Context, client_address
from api._errors import HttpError, ORJSONResponse, field_error, validation_error
from api._openapi import Registrerat
from api._previous import attach_previous
from api._settings import KOMMUN
from beslutslogg import Record
from beslutslogg.omprovning import BundleUnavailable, compute_stored, replay
from explain import render_applicant_html, render_html
from statistik import check_codes, with_suggestion

router = APIRouter(tags=["beslut"])
Who = Annotated[Principal, Depends(principal)]
MONTH = r"^\d{4}-(0[1-9]|1[0-2])$"


def open_decision(
    ctx: AppContext,
    who: Principal,
    ident: str,
    handling: str,
    action: str,
    request: Request,
    *,
    lank_id: str | None = None,
    detalj: str | None = None,
) -> Record:
    """The decision, if ``who`` may ``action`` it; every outcome but "no such decision" is logged."""
    record = ctx.log.get(ident) if 0 < len(ident) <= 64 else None
    if record is None:
        raise HttpError(404, {"fel": f"beslutet {ident[:64]} finns inte"})
    address = client_address(request)

    def refuse(status: int, message: str) -> HttpError | AuthError:
        ctx.log.log_access(
            anvandare=_reader(who),
            roll=who.roll,
            kommun=who.kommun,
            beslut_id=record.id,
            handling=handling,
            utfall="nekad",
            adress=address,
            lank_id=who.lank_id,
            detalj=message,
        )
        if status == 404:
            return HttpError(404, {"fel": f"beslutet {record.id} finns inte"})
        return AuthError(status, message)

    if who.is_link:
        if who.beslut != record.id or handling != "forklaring":
            raise refuse(403, "länktoken gäller ett annat beslut")
    else:
        try:
            require(who, action)
        except AuthError as exc:
            raise refuse(403, exc.message) from None
        if not sees_kommun(who, record.kommun):
            raise refuse(404, "beslutet hör till en annan kommun")
    ctx.log.log_access(
        anvandare=_reader(who),
        roll=who.roll,
        kommun=who.kommun,
        beslut_id=record.id,
        handling=handling,
        adress=address,
        lank_id=lank_id or who.lank_id,
        detalj=detalj or (f"länk skapad av {who.anvandare}" if who.is_link else None),
    )
    return record


def _reader(who: Principal) -> str:
    return "(länkinnehavare)" if who.is_link else who.anvandare


@router.get("/v1/beslut", summary="Lista beslut, filtrerade per kommun, månad och registreringsdag")
def lista(
    request: Request,
    ctx: Context,
    who: Who,
    kommun: Annotated[str | None, Query(pattern=r"^\d{4}$", description="kommunkod")] = None,
    period: Annotated[str | None, Query(pattern=MONTH, description="månaden biståndet avser")] = None,
    fran: Annotated[date | None, Query(description="registrerade från och med dag")] = None,
    till: Annotated[date | None, Query(description="registrerade till och med dag")] = None,
    sida: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    per_sida: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Response:
    require(who, "lista_beslut")
    if who.roll != "revisor":
        if kommun is not None and kommun != who.kommun:
            raise AuthError(403, "du kan bara lista din egen kommuns beslut")
        kommun = who.kommun
    page = ctx.log.list_decisions(kommun=kommun, period=period, fran=fran, till=till, sida=sida, per_sida=per_sida)
    filters = {"kommun": kommun, "period": period, "fran": fran, "till": till, "sida": sida}
    ctx.log.log_access(
        anvandare=who.anvandare,
        roll=who.roll,
        kommun=who.kommun,
        beslut_id="*",
        handling="lista",
        adress=client_address(request),
        detalj=", ".join(f"{k}={v}" for k, v in filters.items() if v is not None),
    )
    return ORJSONResponse(
        {
            "beslut": [s.to_dict() for s in page.items],
            "sida": page.sida,
            "per_sida": page.per_sida,
            "sidor": page.sidor,
            "totalt": page.totalt,
        }
    )


@router.post(
    "/v1/beslut",
    status_code=201,
    responses={201: {"model": Registrerat, "description": "beslutet är registrerat; spara kvittot"}},
    summary="Registrera ett beslut (svaret har ett kvitto att spara utanför databasen)",
    openapi_extra=body_schema(BeslutDoc),
)
async def registrera(request: Request, ctx: Context, who: Who) -> Response:
    require(who, "registrera_beslut")
    data = await read_json(request)
    try:
        body = BeslutBody.model_validate(data)
    except ValidationError as exc:
        raise validation_error(exc) from None
    app_kommun = body.ansokan.get("kommun")
    if app_kommun is not None and str(app_kommun) != who.kommun:
        why = f"ansökan gäller kommun {str(app_kommun)[:8]}, men du registrerar för {who.kommun}"
        raise field_error("ansokan.kommun", why)
    if not KOMMUN.match(who.kommun):  # pragma: no cover - tokens and keys are checked at the door
        raise AuthError(403, "beslut registreras bara med en fyrsiffrig kommunkod")
    previous = None
    if body.foregaende_fran_beslutsloggen:
        previous = await attach_previous(ctx, who, request, body.ansokan)
    rules = ctx.rules.current() if body.hamta_ssbtek else None  # the question's months follow the rules
    indata = await stored_input(ctx.agency, body.ansokan, body.ssbtek, body.hamta_ssbtek, rules)

    bundle = ctx.rules.current()
    codes = body.beslut.forsorjningshinder
    if codes:
        _check_codes(bundle, body.ansokan, codes, "beslut.forsorjningshinder")
    result = await ctx.compute(lambda: compute_stored(bundle, indata))
    _metrics.calculated(result, "beslut")
    decided = body.beslut.model_dump(exclude_none=True)
    if codes:
        decided["forsorjningshinder_forslag"] = with_suggestion(codes, result.get("forsorjningshinder_forslag") or {})
    rec = await run_in_threadpool(
        lambda: ctx.log.append(
            kommun=who.kommun,
            anvandare=who.anvandare,
            roll=who.roll,
            indata=indata,
            resultat=result,
            beslut_data=decided,
            bundle=bundle,
        )
    )
    assert rec.kvitto is not None
    answer: dict[str, Any] = {
        "id": rec.id,
        "seq": rec.seq,
        "tidpunkt": rec.tidpunkt,
        "hash": rec.hash,
        "kvitto": rec.kvitto.to_dict(),
        "regelverk": result["regelverk"],
        "forsorjningsstod": result["forsorjningsstod"],
    }
    if ctx.rules.error:
        answer["varning"] = ctx.rules.error
    if body.foregaende_fran_beslutsloggen:
        answer["foregaende_beslut"] = previous
        answer["avvikelser"] = result["avvikelser"]
    return ORJSONResponse(answer, status_code=201, headers={"Location": f"/v1/beslut/{rec.id}"})


def _check_codes(bundle: Any, ansokan: Any, codes: Mapping[str, str], where: str) -> None:
    try:
        problems = check_codes(bundle, ansokan, codes, where)
    except (KeyError, TypeError, ValueError):
        problems = []  # an application the engine refuses is reported by the calculation, naming its field
    if problems:
        raise HttpError(422, {"fel": [{"falt": p.field, "meddelande": p.message} for p in problems]})


@router.post(
    "/v1/beslut/{beslut_id}/forsorjningshinder",
    status_code=201,
    summary="Komplettera ett beslut med försörjningshinder per vuxen (ett tillägg; det senaste gäller)",
    openapi_extra=body_schema(HinderBody),
)
async def forsorjningshinder(beslut_id: str, request: Request, ctx: Context, who: Who) -> Response:
    data = await read_json(request)
    try:
        body = HinderBody.model_validate(data)
    except ValidationError as exc:
        raise validation_error(exc) from None
    record = await run_in_threadpool(
        lambda: open_decision(ctx, who, beslut_id, "forsorjningshinder", "registrera_beslut", request)
    )
    ansokan = record.indata.get("ansokan") or {}
    bundle = ctx.rules.current()
    _check_codes(bundle, ansokan, body.forsorjningshinder, "forsorjningshinder")
    suggested = record.resultat.get("forsorjningshinder_forslag") or {}
    content = {
        "forsorjningshinder": dict(body.forsorjningshinder),
        "forsorjningshinder_forslag": with_suggestion(body.forsorjningshinder, suggested),
    }
    row = await run_in_threadpool(
        lambda: ctx.log.append_supplement(
            beslut_id=record.id,
            kommun=who.kommun,
            anvandare=who.anvandare,
            roll=who.roll,
            typ="forsorjningshinder",
            data=content,
        )
    )
    return ORJSONResponse(
        {"id": row["id"], "beslut_id": record.id, "tidpunkt": row["tidpunkt"], **content}, status_code=201
    )


@router.get("/v1/beslut/{beslut_id}", summary="Ett registrerat beslut med beräkning och spår")
def hamta(beslut_id: str, request: Request, ctx: Context, who: Who) -> Response:
    record = open_decision(ctx, who, beslut_id, "lasa", "lasa_beslut", request)
    return ORJSONResponse(_record_json(record))


@router.post(
    "/v1/beslut/{beslut_id}/omprovning",
    summary="Räkna om med exakt de regler beslutet fattades med, jämför med beslutet och med dagens regler",
)
def omprova(beslut_id: str, request: Request, ctx: Context, who: Who) -> Response:
    record = open_decision(ctx, who, beslut_id, "omprova", "omprova", request)
    try:
        decided_with = ctx.rules.by_hash(record.regelverk_hash)
    except BundleUnavailable as exc:
        raise HttpError(409, {"fel": f"omprövningen kan inte göras: {exc}"}) from None
    return ORJSONResponse(replay(record, decided_with, ctx.rules.current()))


@router.post("/v1/beslut/{beslut_id}/lank", summary="En kortlivad länk till beslutets förklaringssida")
def lank(beslut_id: str, request: Request, ctx: Context, who: Who) -> dict[str, str]:
    s = ctx.settings
    jti = str(uuid.uuid4())
    record = open_decision(
        ctx, who, beslut_id, "lank_skapad", "lasa_beslut", request, lank_id=jti, detalj=f"giltig {s.link_minutes:g} min"
    )
    token = issue(
        s,
        anvandare=who.anvandare,
        roll=who.roll,
        kommun=who.kommun,
        hours=min(s.link_minutes / 60, s.token_max_hours),
        beslut=record.id,
        jti=jti,
    )
    path = f"/v1/beslut/{record.id}/forklaring?lank={token}"
    out = {"url": path, "lank_id": jti}
    if s.public_url:  # never the request's Host header: a link must point at the kommun's own server
        out["adress"] = s.public_url + path
    return out


@router.get(
    "/v1/beslut/{beslut_id}/forklaring",
    response_class=HTMLResponse,
    summary="Förklaringen av beslutet som en utskriftsvänlig sida",
)
def forklaring(
    beslut_id: str,
    request: Request,
    ctx: Context,
    who: Annotated[Principal, Depends(principal_or_link)],
    vy: Annotated[
        Literal["handlaggare", "sokande"],
        Query(description="handläggarens underlag eller förklaringen för den sökande"),
    ] = "handlaggare",
) -> Response:
    record = open_decision(ctx, who, beslut_id, "forklaring", "lasa_beslut", request)
    if vy == "sokande":
        page = render_applicant_html(record.resultat)
        return HTMLResponse(page, headers={"Cache-Control": "no-store"})
    meta = {
        "id": record.id,
        "tidpunkt": record.tidpunkt,
        "anvandare": record.anvandare,
        "kommun": record.kommun,
        "hash": record.hash,
        "beslut": record.beslut,
        "demo": ctx.settings.demo,
        "sokande_url": str(request.url.include_query_params(vy="sokande")),
    }
    return HTMLResponse(render_html(record.resultat, meta), headers={"Cache-Control": "no-store"})


@router.get("/v1/beslut/{beslut_id}/atkomst", summary="Vem som har läst beslutet, när och hur (revisor)")
def atkomst(beslut_id: str, request: Request, ctx: Context, who: Who) -> Response:
    record = open_decision(ctx, who, beslut_id, "atkomst", "lasa_atkomst", request)
    rows = ctx.log.access_log(record.id)
    return ORJSONResponse({"id": record.id, "atkomst": [_access_json(r) for r in rows]})


@router.post(
    "/v1/beslut/{beslut_id}/aterkrav",
    summary="Underlag för återkrav: räkna om beslutet med rättade uppgifter (beslutar ingenting)",
    openapi_extra=body_schema(AterkravDoc),
)
async def aterkrav(beslut_id: str, request: Request, ctx: Context, who: Who) -> Response:
    from aterkrav import CorrectionError, basis

    data = await read_json(request)
    try:
        body = AterkravBody.model_validate(data)
    except ValidationError as exc:
        raise validation_error(exc) from None
    paid_on = None
    if body.utbetald is not None:
        try:
            paid_on = date.fromisoformat(body.utbetald)
        except ValueError:
            raise field_error("utbetald", "ska vara ett datum ÅÅÅÅ-MM-DD") from None

    def work() -> dict[str, Any]:
        record = open_decision(ctx, who, beslut_id, "aterkrav", "aterkrav", request)
        try:
            decided_with = ctx.rules.by_hash(record.regelverk_hash)
        except BundleUnavailable as exc:
            raise HttpError(409, {"fel": f"återkravet kan inte beräknas: {exc}"}) from None
        try:
            return basis(record, decided_with, ctx.rules.current(), body.rattelse, paid_on=paid_on)
        except CorrectionError as exc:
            raise field_error(exc.field, exc.message) from None

    return ORJSONResponse(await run_in_threadpool(work))


def _record_json(record: Record) -> dict[str, Any]:
    return {
        "id": record.id,
        "seq": record.seq,
        "tidpunkt": record.tidpunkt,
        "kommun": record.kommun,
        "anvandare": record.anvandare,
        "roll": record.roll,
        "beslut": record.beslut,
        "regelverk_hash": record.regelverk_hash,
        "indata": record.indata,
        "resultat": record.resultat,
        "foregaende_hash": record.foregaende_hash,
        "hash": record.hash,
    }


def _access_json(row: dict[str, Any]) -> dict[str, Any]:
    keys = ("tidpunkt", "anvandare", "roll", "kommun", "handling", "utfall", "adress", "lank_id", "detalj")
    return {k: row.get(k) for k in keys}
