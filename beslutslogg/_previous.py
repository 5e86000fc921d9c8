"""The household's previous decided calculation, as the application's ``foregaende`` for the controls.

Taken from what the recorded decision was computed from: its month, the number of persons, the
housing cost applied for, and the incomes it counted. Person ids are local to each application,
so incomes follow the person by personnummer; a person of the previous decision who is not in the
new household (or has no personnummer) brings no incomes (the changed household is its own
deviation).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from beslutslogg._model import Record


def _digits(value: Any) -> str:
    return "".join(c for c in str(value or "") if c.isdigit())


def previous_calculation(record: Record, ansokan: Mapping[str, Any]) -> dict[str, Any]:
    before = record.indata.get("ansokan")
    if not isinstance(before, Mapping):
        raise ValueError("beslutet saknar ansökan")
    now_by_number = {
        _digits(p.get("personnummer")): str(p.get("id"))
        for p in ansokan.get("hushall") or []
        if isinstance(p, Mapping) and _digits(p.get("personnummer"))
    }
    then_to_now = {
        str(p.get("id")): now_by_number[_digits(p.get("personnummer"))]
        for p in before.get("hushall") or []
        if isinstance(p, Mapping) and _digits(p.get("personnummer")) in now_by_number
    }
    incomes = [
        {"person": then_to_now[str(i.get("person"))], "typ": i.get("typ"), "belopp": i.get("belopp")}
        for i in before.get("inkomster") or []
        if isinstance(i, Mapping) and str(i.get("person")) in then_to_now
    ]
    housing = sum(
        int(k.get("belopp") or 0)
        for k in before.get("kostnader") or []
        if isinstance(k, Mapping) and k.get("typ") == "boende"
    )
    return {
        "period": str(before.get("period")),
        "antal_personer": len(before.get("hushall") or []),
        "boendekostnad": housing,
        "inkomster": incomes,
    }
