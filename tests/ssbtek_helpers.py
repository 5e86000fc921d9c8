"""Helpers for tests with agency data: synthetic SSBTEK answers built by the project's writer."""

from __future__ import annotations

from typing import Any

from engine import Month, PersonAgencyData
from ssbtek import build_response, parse_response

PNR_ANNA = "198502011235"
PNR_BO = "199001012344"
PERIOD = "2026-03"


def answer(
    sources: dict[str, Any], *, person: str = "s", pnr: str = PNR_ANNA, period: str = PERIOD
) -> PersonAgencyData:
    xml = build_response({"personnummer": pnr, "kallor": sources}, Month.parse(period))
    return parse_response(xml, person, pnr)


def single(period: str = PERIOD, **extra: Any) -> dict[str, Any]:
    app: dict[str, Any] = {
        "period": period,
        "hushall": [{"id": "s", "roll": "sokande", "fodd": "1985-02-01", "personnummer": PNR_ANNA}],
    }
    app.update(extra)
    return app


def codes(result: Any) -> list[tuple[str, str | None]]:
    return sorted((d["kod"], d["person"]) for d in result.avvikelser)
