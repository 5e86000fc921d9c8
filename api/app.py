"""The HTTP face: a thin FastAPI app over the engine, the explanations and the decision log.

One router per resource (``api/routers/``), one ASGI guard in front (bounded bodies, security
headers, one log line per request), errors in Swedish (``api/_errors.py``), the caller from
FastAPI's security schemes (``api/_auth.py``).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI

from api import _errors
from api._agency import AgencyFetcher
from api._context import AppContext
from api._errors import ORJSONResponse
from api._middleware import Guard
from api._rules import BundleProvider
from api._settings import DEMO_NOTICE, Settings
from api.routers import berakningar, beslut, drift, katalog, regelverk, statistik
from beslutslogg import DecisionLog
from engine._input import Ansokan


def create_app(settings: Settings, *, decision_log: DecisionLog | None = None) -> FastAPI:
    dlog = decision_log or DecisionLog(settings.database_url, settings.log_keys)
    if dlog.keyring is None:
        dlog.keyring = settings.log_keys
    ctx = AppContext(settings, dlog, BundleProvider(settings.rule_root, dlog), AgencyFetcher(settings))
    description = "Öppen regelmotor för ekonomiskt bistånd: beräkningar, beslutslogg och omprövning."
    if settings.demo:
        description = "DEMOLÄGE: nycklarna ligger i .ekbist/; inga riktiga personuppgifter. " + description

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        ctx.close()

    app = FastAPI(
        title="ekbist",
        version="0.2.0",
        description=description,
        default_response_class=ORJSONResponse,
        lifespan=lifespan,
    )
    app.state.ctx = ctx
    app.state.settings = settings
    app.state.log = dlog
    app.state.rules = ctx.rules
    _errors.install(app)
    for module in (drift, berakningar, regelverk, katalog, beslut, statistik):
        app.include_router(module.router)
    app.add_middleware(Guard, limit=settings.max_body, demo_notice=DEMO_NOTICE if settings.demo else None)
    _patch_openapi(app)
    return app


def _patch_openapi(app: FastAPI) -> None:
    """Move the hand-declared body schemas' definitions into components (FastAPI cannot see them)."""
    original = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = original()
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        full = Ansokan.model_json_schema(ref_template="#/components/schemas/{model}")
        components.update(full.pop("$defs", {}))
        components.setdefault("Ansokan", full)
        for path in schema.get("paths", {}).values():
            for op in path.values():
                components.update(op.pop("x-defs", {}) or {})
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


__all__ = ["create_app"]
