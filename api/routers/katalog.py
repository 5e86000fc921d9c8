"""``/regelverk`` and ``/regelverk/jamfor``: the rule catalogue as HTML pages, open to anyone.

The law is public, so these pages need no token and show no personal data: the rules, amounts and
controls in force on a chosen day, linked to each other and to their statute text, and what differs
between two days. They show the rules in force on this server (the same for every worker), and a
broken edit waiting on disk as a warning, exactly as computations do.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse

import engine
import katalog
from api._context import Context

router = APIRouter(tags=["regelkatalog"])
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class _BadDay(Exception):
    def __init__(self, message: str) -> None:
        self.message = message


def _today() -> date:
    try:
        return datetime.now(ZoneInfo("Europe/Stockholm")).date()
    except ZoneInfoNotFoundError:  # a machine without the time zone database: its own date
        return date.today()


def _day(name: str, value: str | None, default: date | None) -> date:
    if value is None or value == "":
        if default is None:
            raise _BadDay(f"{name}: ange ett datum (ÅÅÅÅ-MM-DD)")
        return default
    shown = value if len(value) <= 20 else value[:20] + "…"
    if not _DAY.match(value):
        raise _BadDay(f"{name}: '{shown}' är inget datum på formen ÅÅÅÅ-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _BadDay(f"{name}: '{shown}' är inget giltigt datum") from None


def _error(status: int, message: str) -> HTMLResponse:
    return HTMLResponse(katalog.render_error(message), status_code=status, headers={"Cache-Control": "no-store"})


def _catalogue(ctx: Context) -> katalog.Catalogue | HTMLResponse:
    try:
        bundle = ctx.rules.current()
        return katalog.catalogue_for(bundle, ctx.rules.root)
    except engine.RuleFileError:
        return _error(503, "Regelverket kan inte läsas in just nu; försök igen om en stund.")
    except katalog.LagtextError as exc:
        return _error(503, f"Lagtexten kan inte läsas: {exc}")


@router.get(
    "/regelverk",
    response_class=HTMLResponse,
    summary="Regelkatalogen: regler, belopp och kontroller i kraft en dag, med lagtext (HTML, ingen token)",
)
def regelverk_sida(
    ctx: Context,
    datum: Annotated[str | None, Query(description="ÅÅÅÅ-MM-DD; utan datum visas dagens regler")] = None,
) -> HTMLResponse:
    try:
        day = _day("datum", datum, _today())
    except _BadDay as exc:
        return _error(422, exc.message)
    found = _catalogue(ctx)
    if isinstance(found, HTMLResponse):
        return found
    html = katalog.render_day(found.on(day), found, warning=ctx.rules.error)
    return HTMLResponse(html)


@router.get(
    "/regelverk/jamfor",
    response_class=HTMLResponse,
    summary="Vad som skiljer regelverket i kraft två dagar (HTML, ingen token)",
)
def jamfor_sida(
    ctx: Context,
    fran: Annotated[str | None, Query(description="ÅÅÅÅ-MM-DD")] = None,
    till: Annotated[str | None, Query(description="ÅÅÅÅ-MM-DD")] = None,
) -> HTMLResponse:
    try:
        a = _day("fran", fran, None)
        b = _day("till", till, None)
    except _BadDay as exc:
        return _error(422, exc.message)
    found = _catalogue(ctx)
    if isinstance(found, HTMLResponse):
        return found
    changes = katalog.between(found, a, b)
    return HTMLResponse(katalog.render_changes(found, a, b, changes, warning=ctx.rules.error))
