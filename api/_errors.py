"""Every error as a Swedish JSON body naming the field: never a traceback, never a 500 for input.

A database that is locked or slow answers 503 with ``Retry-After``; rule files that cannot be
read, 503; bad input, 422; a body too large, 413; refused access, 401/403 (404 for a decision of
another kommun, so that its existence is not revealed).
"""

from __future__ import annotations

import logging
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import ValidationError
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException

import engine
from api._auth import AuthError
from beslutslogg import LogBusy
from engine._input import problems_from_errors, problems_from_validation

log = logging.getLogger("ekbist.api")
RETRY_AFTER_S = 5


class ORJSONResponse(JSONResponse):
    """JSON via orjson: results with their trace are large, and orjson is several times faster."""

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


class HttpError(Exception):
    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        super().__init__(str(body))
        self.status = status
        self.body = body
        self.headers = headers


def problems(items: list[engine.Problem], prefix: str = "") -> list[dict[str, str]]:
    out = []
    for p in items:
        field = f"{prefix}.{p.field}" if prefix and p.field else (p.field or prefix)
        out.append({"falt": field, "meddelande": p.message})
    return out


def field_error(field: str, message: str, status: int = 422) -> HttpError:
    return HttpError(status, {"fel": [{"falt": field, "meddelande": message}]})


def validation_error(exc: ValidationError, prefix: str = "") -> HttpError:
    return HttpError(422, {"fel": problems(problems_from_validation(exc), prefix)})


def busy(message: str = "beslutsloggen är upptagen just nu; försök igen om en stund") -> HttpError:
    return HttpError(503, {"fel": message}, {"Retry-After": str(RETRY_AFTER_S)})


_STATUS_SV = {
    404: "adressen finns inte",
    405: "metoden är inte tillåten för adressen",
    406: "svarsformatet kan inte levereras",
    415: "innehållstypen tas inte emot; skicka application/json",
}


def install(app: FastAPI) -> None:
    @app.exception_handler(HttpError)
    async def _http_error(request: Request, exc: HttpError) -> Response:
        return ORJSONResponse(exc.body, status_code=exc.status, headers=exc.headers)

    @app.exception_handler(StarletteHTTPException)
    async def _starlette(request: Request, exc: StarletteHTTPException) -> Response:
        message = _STATUS_SV.get(exc.status_code, "begäran kan inte utföras")
        return ORJSONResponse({"fel": message}, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _request_error(request: Request, exc: RequestValidationError) -> Response:
        # Query, path and header parameters: the same Swedish shape as body errors, field named.
        errors = [{**e, "loc": tuple(e["loc"])[1:] or e["loc"]} for e in exc.errors()]
        return ORJSONResponse({"fel": problems(problems_from_errors(errors))}, status_code=422)

    @app.exception_handler(AuthError)
    async def _auth_error(request: Request, exc: AuthError) -> Response:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return ORJSONResponse({"fel": exc.message}, status_code=exc.status, headers=headers)

    @app.exception_handler(engine.InputError)
    async def _input_error(request: Request, exc: engine.InputError) -> Response:
        return ORJSONResponse({"fel": problems(exc.problems, "ansokan")}, status_code=422)

    @app.exception_handler(SQLAlchemyError)
    async def _db_error(request: Request, exc: SQLAlchemyError) -> Response:
        log.error("beslutsloggen svarar inte: %s", type(exc).__name__)
        if isinstance(exc, OperationalError):  # locked, timed out, unreachable: worth trying again
            e = busy()
            return ORJSONResponse(e.body, status_code=503, headers=e.headers)
        return ORJSONResponse({"fel": "beslutsloggen kan inte användas just nu"}, status_code=503)

    @app.exception_handler(LogBusy)
    async def _log_busy(request: Request, exc: LogBusy) -> Response:
        e = busy()
        return ORJSONResponse(e.body, status_code=503, headers=e.headers)

    @app.exception_handler(engine.RuleFileError)
    async def _rules_error(request: Request, exc: engine.RuleFileError) -> Response:
        return ORJSONResponse({"fel": "regelfilerna kan inte läsas in; kör ekbist validera"}, status_code=503)

    @app.exception_handler(Exception)
    async def _internal(request: Request, exc: Exception) -> Response:
        log.error("internt fel vid %s %s: %s", request.method, request.url.path, type(exc).__name__)
        return ORJSONResponse({"fel": "internt fel"}, status_code=500)
