"""Taking the household's previous decision from the log as the application's ``foregaende``.

Only when asked (``foregaende_fran_beslutsloggen``) and only when the application gives none: the
newest decision of the same applicant (by personnummer) in the caller's kommun for an earlier
month. The read is logged like every read of a decision; what was used is put into the
application, so that the decision recorded with it can be replayed exactly.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.concurrency import run_in_threadpool

import engine
from api._auth import Principal, require
from api._context import AppContext, client_address
from api._errors import field_error
from beslutslogg import household_key, previous_calculation


async def attach_previous(ctx: AppContext, who: Principal, request: Request, ansokan: dict[str, Any]) -> str | None:
    """Put the previous decision into ``ansokan`` (in place); its id, or None when there is none."""
    require(who, "lasa_beslut")  # the previous decision's incomes are read: only those who may read decisions
    if "foregaende" in ansokan:
        return None
    engine.parse_application(ansokan)  # a bad application is refused as such, before the log is read
    key = household_key(ansokan)
    if key is None:
        raise field_error(
            "ansokan.hushall",
            "sökandens personnummer behövs för att hitta hushållets föregående beslut i beslutsloggen",
        )
    record = await run_in_threadpool(lambda: ctx.log.previous_decision(who.kommun, key, str(ansokan["period"])[:7]))
    if record is None:
        return None
    address = client_address(request)
    await run_in_threadpool(
        lambda: ctx.log.log_access(
            anvandare=who.anvandare,
            roll=who.roll,
            kommun=who.kommun,
            beslut_id=record.id,
            handling="foregaende",
            adress=address,
            detalj="föregående beslut för kontrollerna",
        )
    )
    ansokan["foregaende"] = previous_calculation(record, ansokan)
    return record.id
