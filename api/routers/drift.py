"""``/healthz``, ``/readyz`` and ``/metrics``: for load balancers, operators and Prometheus.

``/healthz`` never touches a thread or the database, so it answers while every worker thread is
busy or waiting on a locked database; ``/readyz`` checks the database within two seconds.
``/metrics`` holds counts and times only (no personal data); with ``EKBIST_METRIK_NYCKEL`` set it
asks for that key as a bearer token, which Prometheus sends with ``authorization`` in its scrape job.
"""

from __future__ import annotations

import asyncio
import hmac
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from sqlalchemy.exc import SQLAlchemyError

import engine
from api import _metrics
from api._context import Context
from api._errors import ORJSONResponse

router = APIRouter(tags=["drift"])


@router.get("/healthz", summary="Processen lever")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="Databasen nås och reglerna är inlästa")
async def readyz(ctx: Context) -> Response:
    reasons = []
    try:
        await asyncio.wait_for(run_in_threadpool(ctx.log.ping), 2.0)
    except (SQLAlchemyError, TimeoutError):
        reasons.append("beslutsloggens databas svarar inte")
    bundle = None
    try:
        bundle = await run_in_threadpool(ctx.rules.current)
    except engine.RuleFileError:
        reasons.append(ctx.rules.error or "regelfilerna kan inte läsas in")
    if reasons or bundle is None:
        return ORJSONResponse({"status": "ej redo", "orsaker": reasons}, status_code=503)
    body: dict[str, Any] = {
        "status": "redo",
        "regelverk": {"id": bundle.id, "version": bundle.version, "hash": bundle.hash},
    }
    if ctx.rules.error:  # a broken edit on disk: reported, while the last good rules stay in force
        body["varning"] = ctx.rules.error
    if ctx.settings.demo:
        body["lage"] = "demo"
    return ORJSONResponse(body)


@router.get("/metrics", summary="Mätvärden för drift (Prometheus)", response_class=Response)
async def metrics(request: Request, ctx: Context) -> Response:
    key = ctx.settings.metrics_key
    if key is not None:
        given = request.headers.get("authorization", "")
        if not hmac.compare_digest(given.encode("utf-8"), f"Bearer {key}".encode()):
            return ORJSONResponse(
                {"fel": "mätvärdena kräver nyckeln i EKBIST_METRIK_NYCKEL (Authorization: Bearer ...)"},
                status_code=401,
                headers={"www-authenticate": "Bearer"},
            )
    try:
        body, content_type = await asyncio.wait_for(run_in_threadpool(_metrics.exposition, ctx.log.head), 5.0)
    except TimeoutError:
        return ORJSONResponse({"fel": "mätvärdena kunde inte tas fram inom 5 s (beslutsloggens databas?)"}, 503)
    return Response(body, media_type=content_type)
