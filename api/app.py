"""The HTTP face: a thin FastAPI app over the engine, the explanations and the decision log."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Annotated, Any, Literal

import orjson
from fastapi import FastAPI, Header, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr, ValidationError
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

import engine
from api._auth import AuthError, Principal, authenticate, issue, may_read, require
from api._rules import BundleProvider
from api._settings import Settings
from beslutslogg import DecisionLog, Record
from beslutslogg.omprovning import compute_stored, replay
from engine._input import Ansokan, problems_from_errors, problems_from_validation
from explain import render_html

log = logging.getLogger("ekbist.api")


# -- request bodies -------------------------------------------------------------------------------


class ORJSONResponse(JSONResponse):
    """JSON via orjson: results with their trace are large, and orjson is several times faster."""

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class BeslutData(_Strict):
    utfall: Literal["beviljat", "delvis", "avslag"]
    belopp: Annotated[StrictInt, Field(ge=0)]
    motivering: Annotated[StrictStr, Field(min_length=1, max_length=20000)]


class _Common(_Strict):
    ssbtek: dict[str, StrictStr] | None = Field(None, description="person-id → SSBTEK v10-svar (XML)")
    hamta_ssbtek: StrictBool = Field(False, description="hämta uppgifter för de vuxna från den konfigurerade SSBTEK")


class BerakningBody(_Common):
    ansokan: dict[str, Any]
    jamforelsetal: float | None = Field(None, gt=0, description="förhandsberäkning med ett ej inmatat jämförelsetal")


class BeslutBody(_Common):
    ansokan: dict[str, Any]
    beslut: BeslutData


class _BerakningDoc(_Common):
    ansokan: Ansokan
    jamforelsetal: float | None = Field(None, gt=0)


class _BeslutDoc(_Common):
    ansokan: Ansokan
    beslut: BeslutData


def _body_schema(model: type[BaseModel], *, bare: bool = False) -> dict[str, Any]:
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    defs = schema.pop("$defs", {})
    content: dict[str, Any] = schema
    if bare:
        content = {"anyOf": [schema, {"$ref": "#/components/schemas/Ansokan"}]}
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": content}}}, "x-defs": defs}


class HttpError(Exception):
    def __init__(self, status: int, body: Any) -> None:
        super().__init__(str(body))
        self.status = status
        self.body = body


def _problems(problems: list[engine.Problem], prefix: str = "") -> list[dict[str, str]]:
    out = []
    for p in problems:
        field = f"{prefix}.{p.field}" if prefix and p.field else (p.field or prefix)
        out.append({"falt": field, "meddelande": p.message})
    return out


def _validation(exc: ValidationError) -> HttpError:
    return HttpError(422, {"fel": _problems(problems_from_validation(exc))})


class BodyLimit:
    """Refuse bodies over the configured size with 413, before reading them into memory."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length" and value.isdigit() and int(value) > self.limit:
                await _send_json(send, 413, {"fel": f"innehållet är större än {self.limit} byte"})
                return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise HttpError(413, {"fel": f"innehållet är större än {self.limit} byte"})
            return message

        await self.app(scope, limited, send)


async def _send_json(send: Send, status: int, body: Any) -> None:
    data = orjson.dumps(body)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": data})


def create_app(settings: Settings, *, decision_log: DecisionLog | None = None) -> FastAPI:
    dlog = decision_log or DecisionLog(settings.database_url)
    rules = BundleProvider(settings.rule_root, dlog)
    app = FastAPI(
        title="ekbist",
        version="0.1.0",
        description="Öppen regelmotor för ekonomiskt bistånd: beräkningar, beslutslogg och omprövning.",
        default_response_class=ORJSONResponse,
    )
    app.state.log = dlog
    app.state.rules = rules
    app.state.settings = settings

    # -- errors: never a traceback, never a 500 for input -----------------------------------------
    @app.exception_handler(HttpError)
    async def _http_error(request: Request, exc: HttpError) -> Response:
        return ORJSONResponse(exc.body, status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def _request_error(request: Request, exc: RequestValidationError) -> Response:
        # Query, path and header parameters: the same Swedish shape as body errors, field named.
        errors = [{**e, "loc": tuple(e["loc"])[1:] or e["loc"]} for e in exc.errors()]
        return ORJSONResponse({"fel": _problems(problems_from_errors(errors))}, status_code=422)

    @app.exception_handler(AuthError)
    async def _auth_error(request: Request, exc: AuthError) -> Response:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return ORJSONResponse({"fel": exc.message}, status_code=exc.status, headers=headers)

    @app.exception_handler(engine.InputError)
    async def _input_error(request: Request, exc: engine.InputError) -> Response:
        return ORJSONResponse({"fel": _problems(exc.problems, "ansokan")}, status_code=422)

    @app.exception_handler(SQLAlchemyError)
    async def _db_error(request: Request, exc: SQLAlchemyError) -> Response:
        log.error("beslutsloggen svarar inte: %s", type(exc).__name__)
        return ORJSONResponse({"fel": "beslutsloggen är inte tillgänglig just nu; försök igen"}, status_code=503)

    @app.exception_handler(engine.RuleFileError)
    async def _rules_error(request: Request, exc: engine.RuleFileError) -> Response:
        return ORJSONResponse({"fel": "regelfilerna kan inte läsas in; kör ekbist validera"}, status_code=503)

    @app.exception_handler(Exception)
    async def _internal(request: Request, exc: Exception) -> Response:
        log.error("internt fel vid %s %s: %s", request.method, request.url.path, type(exc).__name__)
        return ORJSONResponse({"fel": "internt fel"}, status_code=500)

    @app.middleware("http")
    async def _access_line(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        start = time.perf_counter()
        response = await call_next(request)
        # Path only: no query strings (link tokens) and no bodies (personal data) reach the log.
        log.info(
            "%s %s %s %.1f ms",
            request.method,
            request.url.path,
            response.status_code,
            (time.perf_counter() - start) * 1000,
        )
        return response

    app.add_middleware(_BodyLimitMiddleware, limit=settings.max_body)

    def who(authorization: str | None, x_api_key: str | None, link: str | None = None) -> Principal:
        return authenticate(settings, authorization, x_api_key, link)

    async def read_json(request: Request) -> Any:
        raw = await request.body()
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise HttpError(422, {"fel": [{"falt": "", "meddelande": f"ogiltig JSON: {exc}"}]}) from None

    async def stored_input(ansokan: Any, body: _Common) -> dict[str, Any]:
        """The input as the decision log keeps it: the application, each SSBTEK answer as it came,
        and for each adult whose fetch got no answer, why; so that replay needs no agency."""
        indata: dict[str, Any] = {"ansokan": ansokan}
        answers: dict[str, str] = dict(body.ssbtek or {})
        failures: dict[str, dict[str, str]] = {}
        if body.hamta_ssbtek:
            # A blocking SOAP call with retries: off the event loop, so other requests go on.
            fetched, failures = await run_in_threadpool(_fetch, ansokan, set(answers))
            answers.update(fetched)
        if answers:
            app_model, _ = engine.parse_application(ansokan)
            known = {p.id for p in app_model.hushall}
            unknown = [p for p in answers if p not in known]
            if unknown:
                problems = [{"falt": f"ssbtek.{u}", "meddelande": f"'{u}' finns inte i hushall"} for u in unknown]
                raise HttpError(422, {"fel": problems})
            indata["ssbtek"] = answers
        if failures:
            indata["ssbtek_ej_svar"] = failures
        return indata

    def _fetch(ansokan: Any, given: set[str]) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
        from ssbtek.source import SoapConfig, SoapSource, TransportFailure

        if not settings.ssbtek_url:
            raise HttpError(
                422, {"fel": [{"falt": "hamta_ssbtek", "meddelande": "ingen SSBTEK-tjänst är konfigurerad"}]}
            )
        app_model, facts = engine.parse_application(ansokan)
        try:
            config = SoapConfig.from_env(settings.ssbtek_url)
        except ValueError as exc:  # the server's settings, not the caller's input
            raise HttpError(503, {"fel": f"SSBTEK-inställningarna är felaktiga: {exc}"}) from None
        source = SoapSource(config)
        answers: dict[str, str] = {}
        failures: dict[str, dict[str, str]] = {}
        try:
            for p in app_model.hushall:
                if p.roll == "barn" or p.id in given:
                    continue
                if not p.personnummer:
                    failures[p.id] = {
                        "felkod": "PERSONNUMMER",
                        "meddelande": "personnummer saknas; SSBTEK kan inte frågas",
                    }
                    continue
                try:
                    answers[p.id] = source.fetch_raw(p.personnummer, facts.period).decode("utf-8", errors="replace")
                except TransportFailure as exc:  # no answer: UPPGIFT_SAKNAS for every source, never zero
                    failures[p.id] = {"felkod": "TRANSPORT", "meddelande": str(exc)}
        finally:
            source.close()
        return answers, failures

    def record_or_404(ident: str) -> Record:
        record = dlog.get(ident) if len(ident) <= 64 else None
        if record is None:
            raise HttpError(404, {"fel": f"beslutet {ident} finns inte"})
        return record

    # -- health ---------------------------------------------------------------------------------------
    @app.get("/healthz", tags=["drift"], summary="Processen lever")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", tags=["drift"], summary="Databasen nås och reglerna är inlästa")
    def readyz() -> Response:
        reasons = []
        try:
            dlog.ping()
        except (SQLAlchemyError, DBAPIError):
            reasons.append("beslutsloggens databas svarar inte")
        try:
            bundle = rules.current()
            if rules.error:
                reasons.append(rules.error)
        except engine.RuleFileError:
            reasons.append("regelfilerna kan inte läsas in")
            bundle = None
        if reasons:
            return ORJSONResponse({"status": "ej redo", "orsaker": reasons}, status_code=503)
        assert bundle is not None
        return ORJSONResponse({"status": "redo", "regelverk": {"id": bundle.id, "hash": bundle.hash}})

    # -- computing --------------------------------------------------------------------------------------
    @app.post(
        "/v1/berakningar",
        tags=["beräkning"],
        summary="Beräkna en ansökan med spår och avvikelser",
        openapi_extra=_body_schema(_BerakningDoc, bare=True),
    )
    async def berakna(
        request: Request, authorization: str | None = Header(None), x_api_key: str | None = Header(None)
    ) -> Response:
        require(who(authorization, x_api_key), "berakna")
        data = await read_json(request)
        if isinstance(data, dict) and "ansokan" not in data:
            data = {"ansokan": data}  # a bare application is accepted too
        try:
            body = BerakningBody.model_validate(data)
        except ValidationError as exc:
            raise _validation(exc) from None
        indata = await stored_input(body.ansokan, body)
        if body.jamforelsetal is not None:
            indata["jamforelsetal"] = body.jamforelsetal
        result = compute_stored(rules.current(), indata)
        return ORJSONResponse(result)

    @app.get("/v1/regelverk", tags=["regler"], summary="Kända regelversioner med hash och giltighet")
    def regelverk(authorization: str | None = Header(None), x_api_key: str | None = Header(None)) -> dict[str, Any]:
        require(who(authorization, x_api_key), "lasa_regler")
        current = rules.current()

        def describe(bundle: engine.RuleBundle) -> dict[str, Any]:
            start, end = bundle.validity()
            return {
                "hash": bundle.hash,
                "id": bundle.id,
                "version": bundle.version,
                "giltighet": {"fran": start.isoformat() if start else None, "till": end.isoformat() if end else None},
                "regler": len(bundle.rules),
                "normer": len(bundle.norms),
                "kontroller": len(bundle.controls.controls) if bundle.controls else 0,
            }

        versions: dict[str, dict[str, Any]] = {}
        for stored in dlog.bundles():
            bundle = current if stored["hash"] == current.hash else rules.by_hash(stored["hash"])
            described = describe(bundle) if bundle is not None else {}
            versions[stored["hash"]] = {**stored, **described, "aktuell": stored["hash"] == current.hash}
        versions[current.hash] = {
            "forst_anvand": None,
            **versions.get(current.hash, {}),
            **describe(current),
            "aktuell": True,
        }
        return {"regelverk": sorted(versions.values(), key=lambda v: (not v["aktuell"], str(v.get("forst_anvand"))))}

    @app.get("/v1/normer", tags=["regler"], summary="Belopp och tal som gäller en dag, med källor")
    def normer(
        datum: Annotated[str, Query(pattern=r"^\d{4}-\d{2}-\d{2}$", description="ÅÅÅÅ-MM-DD")],
        authorization: str | None = Header(None),
        x_api_key: str | None = Header(None),
    ) -> Response:
        require(who(authorization, x_api_key), "lasa_regler")
        from datetime import date

        from engine._norms import MissingValue, NormResolver

        try:
            day = date.fromisoformat(datum)
        except ValueError:
            raise HttpError(422, {"fel": [{"falt": "datum", "meddelande": f"'{datum}' är inget datum"}]}) from None
        bundle = rules.current()
        resolver = NormResolver(bundle.norms, day, {}, datum)
        out = []
        for nid, nd in sorted(bundle.norms.items()):
            item: dict[str, Any] = {"id": nid, "namn": nd.spec.namn, "typ": nd.spec.typ}
            try:
                value = resolver.value(nid)
            except MissingValue as exc:
                item["saknas"] = exc.message
                out.append(item)
                continue
            item.update(resolver.info.get(nid, {}))
            if nd.spec.typ == "tabell":
                item["kolumner"] = list(value.columns)
                item["rader"] = [{k: _plain(v) for k, v in row.items()} for row in value.rows]
            out.append(item)
        return ORJSONResponse({"datum": datum, "regelverk": {"id": bundle.id, "hash": bundle.hash}, "normer": out})

    # -- decisions ---------------------------------------------------------------------------------
    @app.post(
        "/v1/beslut",
        status_code=201,
        tags=["beslut"],
        summary="Registrera ett beslut",
        openapi_extra=_body_schema(_BeslutDoc),
    )
    async def registrera(
        request: Request, authorization: str | None = Header(None), x_api_key: str | None = Header(None)
    ) -> Response:
        p = who(authorization, x_api_key)
        require(p, "registrera_beslut")
        data = await read_json(request)
        try:
            body = BeslutBody.model_validate(data)
        except ValidationError as exc:
            raise _validation(exc) from None
        app_kommun = body.ansokan.get("kommun") if isinstance(body.ansokan, dict) else None
        if app_kommun is not None and str(app_kommun) != p.kommun:
            raise HttpError(
                422,
                {
                    "fel": [
                        {
                            "falt": "ansokan.kommun",
                            "meddelande": f"ansökan gäller kommun {app_kommun}, men du registrerar för {p.kommun}",
                        }
                    ]
                },
            )
        bundle = rules.current()
        indata = await stored_input(body.ansokan, body)
        result = compute_stored(bundle, indata)
        record = dlog.append(
            kommun=p.kommun,
            anvandare=p.anvandare,
            roll=p.roll,
            indata=indata,
            resultat=result,
            beslut_data=body.beslut.model_dump(),
            bundle=bundle,
        )
        return ORJSONResponse(
            {
                "id": record.id,
                "seq": record.seq,
                "tidpunkt": record.tidpunkt,
                "hash": record.hash,
                "regelverk": result["regelverk"],
                "forsorjningsstod": result["forsorjningsstod"],
            },
            status_code=201,
            headers={"Location": f"/v1/beslut/{record.id}"},
        )

    @app.get("/v1/beslut/{beslut_id}", tags=["beslut"], summary="Ett registrerat beslut med beräkning och spår")
    def hamta_beslut(
        beslut_id: str, authorization: str | None = Header(None), x_api_key: str | None = Header(None)
    ) -> Response:
        p = who(authorization, x_api_key)
        record = record_or_404(beslut_id)
        may_read(p, record.kommun, record.id)
        dlog.log_access(anvandare=p.anvandare, roll=p.roll, kommun=p.kommun, beslut_id=record.id, handling="lasa")
        return ORJSONResponse(_record_json(record))

    @app.post(
        "/v1/beslut/{beslut_id}/omprovning",
        tags=["beslut"],
        summary="Räkna om med exakt de regler beslutet fattades med, och med dagens regler",
    )
    def omprova(
        beslut_id: str, authorization: str | None = Header(None), x_api_key: str | None = Header(None)
    ) -> Response:
        p = who(authorization, x_api_key)
        record = record_or_404(beslut_id)
        may_read(p, record.kommun, record.id, "omprova")
        dlog.log_access(anvandare=p.anvandare, roll=p.roll, kommun=p.kommun, beslut_id=record.id, handling="omprova")
        decided_with = rules.by_hash(record.regelverk_hash)
        if decided_with is None:  # the log's own integrity is broken; verify the chain
            raise HttpError(500, {"fel": f"regelverket {record.regelverk_hash} saknas i beslutsloggen"})
        return ORJSONResponse(replay(record, decided_with, rules.current()))

    @app.post(
        "/v1/beslut/{beslut_id}/lank",
        tags=["beslut"],
        summary="En länk (15 minuter) till beslutets förklaringssida, att öppna i en webbläsare",
    )
    def lank(
        request: Request, beslut_id: str, authorization: str | None = Header(None), x_api_key: str | None = Header(None)
    ) -> dict[str, str]:
        p = who(authorization, x_api_key)
        record = record_or_404(beslut_id)
        may_read(p, record.kommun, record.id)
        token = issue(settings, anvandare=p.anvandare, roll=p.roll, kommun=p.kommun, hours=0.25, beslut=record.id)
        path = f"/v1/beslut/{record.id}/forklaring?lank={token}"
        return {"url": path, "adress": str(request.base_url).rstrip("/") + path}

    @app.get(
        "/v1/beslut/{beslut_id}/forklaring",
        tags=["beslut"],
        response_class=HTMLResponse,
        summary="Förklaringen av beslutet som en utskriftsvänlig sida",
    )
    def forklaring(
        beslut_id: str,
        lank: str | None = None,
        authorization: str | None = Header(None),
        x_api_key: str | None = Header(None),
    ) -> Response:
        p = who(authorization, x_api_key, lank)
        record = record_or_404(beslut_id)
        may_read(p, record.kommun, record.id, "forklaring")
        dlog.log_access(anvandare=p.anvandare, roll=p.roll, kommun=p.kommun, beslut_id=record.id, handling="forklaring")
        meta = {
            "id": record.id,
            "tidpunkt": record.tidpunkt,
            "anvandare": record.anvandare,
            "kommun": record.kommun,
            "hash": record.hash,
            "beslut": record.beslut,
        }
        return HTMLResponse(
            render_html(record.resultat, meta), headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
        )

    _patch_openapi(app)
    return app


class _BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.inner = BodyLimit(app, limit)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self.inner(scope, receive, send)
        except HttpError as exc:
            await _send_json(send, exc.status, exc.body)


def _plain(v: Any) -> Any:
    if type(v) is Decimal:
        i = int(v)
        return i if i == v else float(v)
    return v


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


def _patch_openapi(app: FastAPI) -> None:
    """Move the hand-declared body schemas' definitions into components (FastAPI cannot see them)."""
    original = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = original()
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components.setdefault("Ansokan", Ansokan.model_json_schema(ref_template="#/components/schemas/{model}"))
        for defs in (Ansokan.model_json_schema(ref_template="#/components/schemas/{model}").pop("$defs", {}),):
            components.update(defs)
        components["Ansokan"].pop("$defs", None)
        for path in schema.get("paths", {}).values():
            for op in path.values():
                components.update(op.pop("x-defs", {}) or {})
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


__all__ = ["HttpError", "JSONResponse", "create_app"]
