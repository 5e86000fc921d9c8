"""``/v1/statistik/{månad}``: the month's delivery to Socialstyrelsen, or what stops it.

A caseworker gets the own kommun's month; an auditor any kommun's (``?kommun=``) or all. Every
decision read for it is logged. While a granted decision lacks an adult's försörjningshinder (or
has one not in the list in force) the answer is 409 with every problem named by decision id.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

import statistik
from api._auth import AuthError, Principal, principal, require
from api._context import Context, client_address
from api._errors import HttpError, ORJSONResponse

router = APIRouter(tags=["statistik"])
Who = Annotated[Principal, Depends(principal)]


@router.get(
    "/v1/statistik/{manad}", summary="Månadens leverans till Socialstyrelsen (hushåll, vuxna, försörjningshinder)"
)
async def manad(
    request: Request,
    ctx: Context,
    who: Who,
    manad: Annotated[str, Path(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="månaden biståndet avser")],
    kommun: Annotated[str | None, Query(pattern=r"^\d{4}$", description="kommunkod (revisor)")] = None,
) -> Response:
    require(who, "statistik")
    if who.roll != "revisor":
        if kommun is not None and kommun != who.kommun:
            raise AuthError(403, "du kan bara ta fram din egen kommuns statistik")
        kommun = who.kommun
    bundle = ctx.rules.current()
    if bundle.statistik is None:
        raise HttpError(409, {"fel": "regelverket i kraft saknar listan över försörjningshinder"})
    delivery = await run_in_threadpool(lambda: statistik.build_month(ctx.log, bundle, manad, kommun))
    address = client_address(request)

    def log_reads() -> None:
        for ident, _ in delivery.decisions_read:
            ctx.log.log_access(
                anvandare=who.anvandare,
                roll=who.roll,
                kommun=who.kommun,
                beslut_id=ident,
                handling="statistik",
                adress=address,
                detalj=f"statistik för {manad}",
            )

    await run_in_threadpool(log_reads)
    if delivery.problems:
        return ORJSONResponse(
            {
                "fel": f"leveransen för {manad} kan inte skapas: {len(delivery.problems)} problem",
                "problem": delivery.problems,
            },
            status_code=409,
        )
    return ORJSONResponse(delivery.to_dict())
