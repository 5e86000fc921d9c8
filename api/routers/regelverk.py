"""``/v1/regelverk`` (the rule versions known) and ``/v1/normer`` (the amounts in force on a day)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

import engine
from api._auth import Principal, principal, require
from api._context import Context
from api._errors import ORJSONResponse, field_error
from beslutslogg.omprovning import BundleUnavailable

router = APIRouter(tags=["regler"])


def _plain(v: Any) -> Any:
    from decimal import Decimal

    if type(v) is Decimal:
        i = int(v)
        return i if i == v else float(v)
    return v


def _describe(bundle: engine.RuleBundle) -> dict[str, Any]:
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


@router.get("/v1/regelverk", summary="Kända regelversioner med hash och giltighet")
def regelverk(ctx: Context, who: Annotated[Principal, Depends(principal)]) -> dict[str, Any]:
    require(who, "lasa_regler")
    current = ctx.rules.current()
    versions: dict[str, dict[str, Any]] = {}
    for stored in ctx.log.bundles():
        try:
            bundle = current if stored["hash"] == current.hash else ctx.rules.by_hash(stored["hash"])
            described = _describe(bundle)
        except BundleUnavailable as exc:
            described = {"fel": str(exc)}
        versions[stored["hash"]] = {**stored, **described, "aktuell": stored["hash"] == current.hash}
    versions[current.hash] = {
        "forst_anvand": None,
        **versions.get(current.hash, {}),
        **_describe(current),
        "aktuell": True,
    }
    return {"regelverk": sorted(versions.values(), key=lambda v: (not v["aktuell"], str(v.get("forst_anvand"))))}


@router.get("/v1/normer", summary="Belopp och tal som gäller en dag, med källor")
def normer(
    ctx: Context,
    who: Annotated[Principal, Depends(principal)],
    datum: Annotated[str, Query(pattern=r"^\d{4}-\d{2}-\d{2}$", description="ÅÅÅÅ-MM-DD")],
) -> Response:
    require(who, "lasa_regler")
    from engine._norms import MissingValue, NormResolver

    try:
        day = date.fromisoformat(datum)
    except ValueError:
        raise field_error("datum", f"'{datum}' är inget datum") from None
    bundle = ctx.rules.current()
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
