"""The HTTP face: a thin FastAPI app over the engine, the explanations and the decision log.

One router per resource (``api/routers/``), one ASGI guard in front (bounded bodies, security
headers, one log line per request), errors in Swedish (``api/_errors.py``), the caller from
FastAPI's security schemes (``api/_auth.py``).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from api import _errors, _metrics
from api._agency import AgencyFetcher
from api._context import AppContext
from api._errors import ORJSONResponse
from api._middleware import Guard
from api._oidc import OidcVerifier
from api._openapi import describe, examples
from api._rules import BundleProvider
from api._settings import DEMO_NOTICE, Settings
from api.routers import ansokningar, berakningar, beslut, drift, katalog, regelverk, sidor, statistik
from beslutslogg import DecisionLog
from engine._input import Ansokan

SWAGGER_FILES = "/docs-filer"


def _offline_docs(app: FastAPI) -> None:
    """Swagger UI from the swagger-ui-py package's files (no CDN), with the Authorize button for the schemes."""
    import swagger_ui
    from fastapi.openapi.docs import get_swagger_ui_html
    from fastapi.responses import HTMLResponse
    from fastapi.staticfiles import StaticFiles

    files = Path(swagger_ui.__file__).resolve().parent / "static"  # Swagger UI 5 (OpenAPI 3.1)
    app.mount(SWAGGER_FILES, StaticFiles(directory=str(files)), name="docs-filer")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        page = get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title="ekbist – API",
            swagger_js_url=f"{SWAGGER_FILES}/swagger-ui-bundle.js",
            swagger_css_url=f"{SWAGGER_FILES}/swagger-ui.css",
            swagger_favicon_url="data:,",
        )
        # The only page with scripts: its own files and its one inline start-up script, by hash.
        inline = re.findall(r"<script>(.*?)</script>", bytes(page.body).decode("utf-8"), re.S)
        hashes = " ".join(f"'sha256-{base64.b64encode(hashlib.sha256(x.encode()).digest()).decode()}'" for x in inline)
        page.headers["content-security-policy"] = (
            f"default-src 'none'; script-src 'self' {hashes}; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'"
        )
        return page


def create_app(settings: Settings, *, decision_log: DecisionLog | None = None) -> FastAPI:
    dlog = decision_log or DecisionLog(settings.database_url, settings.log_keys)
    if dlog.keyring is None:
        dlog.keyring = settings.log_keys
    ctx = AppContext(settings, dlog, BundleProvider(settings.rule_root, dlog), AgencyFetcher(settings))
    description = "Öppen regelmotor för ekonomiskt bistånd: beräkningar, beslutslogg och omprövning."
    if settings.demo:
        description = "DEMOLÄGE: nycklarna ligger i .ekbist/; inga riktiga personuppgifter. " + description

    oidc = OidcVerifier(settings.oidc, max_hours=settings.token_max_hours) if settings.oidc else None
    dlog.on_commit = _metrics.log_written

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        ctx.close()
        if oidc is not None:
            oidc.close()

    app = FastAPI(
        title="ekbist",
        version="0.2.0",
        description=description,
        default_response_class=ORJSONResponse,
        lifespan=lifespan,
        docs_url=None,  # served below from the package's own files: /docs works without internet
        redoc_url=None,
    )
    _offline_docs(app)
    app.state.ctx = ctx
    app.state.settings = settings
    app.state.log = dlog
    app.state.rules = ctx.rules
    app.state.oidc = oidc
    _errors.install(app)
    for module in (drift, berakningar, regelverk, katalog, beslut, statistik, ansokningar, sidor):
        app.include_router(module.router)
    app.add_middleware(Guard, limit=settings.max_body, demo_notice=DEMO_NOTICE if settings.demo else None)
    _patch_openapi(app, settings)
    return app


def _issuer_scheme(schema: dict[str, Any], issuer: str) -> None:
    """Every operation that takes a bearer token takes the issuer's too: the same header, another scheme."""
    schemes = schema.setdefault("components", {}).setdefault("securitySchemes", {})
    schemes["KommunensInloggning"] = {
        "type": "openIdConnect",
        "openIdConnectUrl": f"{issuer}/.well-known/openid-configuration",
        "description": "kommunens utfärdare (OpenID Connect): åtkomsttoken RS256/ES256 som Authorization: Bearer",
    }
    for path in schema.get("paths", {}).values():
        for op in path.values():
            security = op.get("security") if isinstance(op, dict) else None
            if security and any("HTTPBearer" in s for s in security):
                security.append({"KommunensInloggning": []})


_EXAMPLE_DECISION = {"utfall": "beviljat", "belopp": 1460, "motivering": "Behovet täcks inte av inkomsterna."}


def _patch_openapi(app: FastAPI, settings: Settings) -> None:
    """Move the hand-declared body schemas' definitions into components (FastAPI cannot see them), and
    name the kommun's issuer as a security scheme when one is configured (its URL is known only then)."""
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
        describe(components)
        if settings.oidc is not None:
            _issuer_scheme(schema, settings.oidc.issuer)
        bundled = examples()
        for route in ("/v1/berakningar", "/v1/beslut"):
            body = schema.get("paths", {}).get(route, {}).get("post", {}).get("requestBody", {})
            media = body.get("content", {}).get("application/json")
            if media is not None and bundled:
                media["examples"] = (
                    bundled
                    if route == "/v1/berakningar"
                    else {k: {**v, "value": {**v["value"], "beslut": _EXAMPLE_DECISION}} for k, v in bundled.items()}
                )
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


__all__ = ["create_app"]
