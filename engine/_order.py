"""The order rules are evaluated in: dependencies first, then the order the rule files define them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol


class _Defined(Protocol):
    @property
    def index(self) -> int: ...


def topological_order(live: Mapping[str, _Defined], deps: Mapping[str, set[str]]) -> list[str]:
    """Dependencies first; ties broken by order of definition so traces read top-down."""
    pending = {rid: set(deps[rid]) for rid in live}
    order: list[str] = []
    ready = sorted((rid for rid, d in pending.items() if not d), key=lambda r: live[r].index)
    dependents: dict[str, list[str]] = {rid: [] for rid in live}
    for rid, d in pending.items():
        for dep in d:
            dependents[dep].append(rid)
    while ready:
        rid = ready.pop(0)
        order.append(rid)
        for nxt in dependents[rid]:
            pending[nxt].discard(rid)
            if not pending[nxt]:
                ready.append(nxt)
                ready.sort(key=lambda r: live[r].index)
    return order
