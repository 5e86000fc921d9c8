"""``/healthz`` and ``/readyz``: for load balancers and operators, without a token.

``/healthz`` never touches a thread or the database, so it answers while every worker thread is
busy or waiting on a locked database; ``/readyz`` checks the database within two seconds.
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from sqlalchemy.exc import SQLAlchemyError

import engine
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
