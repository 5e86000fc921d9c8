"""What-if: temporary values for norms and rules, checked against the bundle before anything runs.

A policy editor asks "what if the amount for a single adult were 3 990 kr?" or "what if this rule
gave 0?". An assumption names a norm (``riksnorm.vuxna.ensamstaende``) or a rule (``skaliga_kostnader``)
and a value of the right kind: whole kronor for an amount, a number for a ``tal``, ``true``/``false``
for a condition. A table cannot be assumed whole. The assumed value replaces the dated amount (or the
rule's formula) for the computed month; the trace marks every assumed value (``antagande``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from engine._errors import InputError, Problem
from engine._limits import MAX_BELOPP, MAX_SIFFROR

_TRUE = {"true", "ja", "sant"}
_FALSE = {"false", "nej", "falskt"}


@dataclass(frozen=True)
class Assumptions:
    """Validated assumptions: norm id → number, rule id → value."""

    norms: dict[str, Decimal] = field(default_factory=dict)
    rules: dict[str, Any] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.norms or self.rules)

    def key(self) -> tuple[tuple[str, Any], ...]:
        return tuple(
            sorted(
                {**{f"n:{k}": v for k, v in self.norms.items()}, **{f"r:{k}": v for k, v in self.rules.items()}}.items()
            )
        )

    def listed(self) -> list[dict[str, Any]]:
        """As the result lists them: name, value, and whether a norm or a rule."""
        out: list[dict[str, Any]] = [
            {"namn": k, "varde": _plain(v), "typ": "norm"} for k, v in sorted(self.norms.items())
        ]
        out += [{"namn": k, "varde": _plain(v), "typ": "regel"} for k, v in sorted(self.rules.items())]
        return out


def parse_assumptions(bundle: Any, raw: Mapping[str, Any], field_prefix: str = "antaganden") -> Assumptions:
    """Check each name and value against ``bundle``; raise :class:`InputError` naming every bad one."""
    norms: dict[str, Decimal] = {}
    rules: dict[str, Any] = {}
    problems: list[Problem] = []
    for name, value in raw.items():
        where = f"{field_prefix}.{name}" if field_prefix else name
        if name in bundle.norms:
            nd = bundle.norms[name]
            if nd.spec.typ == "tabell":
                problems.append(Problem(where, f"'{name}' är en tabell; en tabell kan inte antas i sin helhet"))
                continue
            number, why = _number(value, whole=nd.spec.typ == "belopp")
            if why:
                problems.append(Problem(where, f"'{name}' är {_kind(nd.spec.typ)}: {why}"))
                continue
            assert number is not None
            norms[name] = number
        elif name in bundle.rules:
            typ = bundle.rules[name].spec.typ
            if typ == "villkor":
                flag = _flag(value)
                if flag is None:
                    problems.append(Problem(where, f"regeln '{name}' är ett villkor: ange true eller false"))
                    continue
                rules[name] = flag
            else:
                number, why = _number(value, whole=typ in ("belopp", "antal"))
                if why:
                    problems.append(Problem(where, f"regeln '{name}' är {_kind(typ)}: {why}"))
                    continue
                rules[name] = number
        else:
            problems.append(
                Problem(where, f"'{name}' är varken en norm eller en regel (t.ex. riksnorm.vuxna.ensamstaende)")
            )
    if problems:
        raise InputError(problems)
    return Assumptions(norms, rules)


def _kind(typ: str) -> str:
    return {"belopp": "ett belopp", "tal": "ett tal", "antal": "ett antal", "villkor": "ett villkor"}.get(typ, typ)


def _flag(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        text = value.strip().lower()
        return True if text in _TRUE else False if text in _FALSE else None
    return None


def _number(value: Any, *, whole: bool) -> tuple[Decimal | None, str | None]:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        return None, "ange ett tal"
    text = str(value).strip().replace(",", ".").replace(" ", "").replace("\u00a0", "")
    if len(text.lstrip("-").split(".")[0]) > MAX_SIFFROR:
        return None, "talet är för stort"
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None, f"'{str(value)[:40]}' är inget tal"
    if not number.is_finite():
        return None, "ange ett ändligt tal"
    if whole and number != number.to_integral_value():
        return None, f"ange hela kronor, inte {text}"
    if abs(number) > MAX_BELOPP * 100:
        return None, "talet är orimligt stort"
    return (Decimal(int(number)) if whole else number), None


def _plain(v: Any) -> Any:
    if isinstance(v, Decimal):
        i = int(v)
        return i if i == v else float(v)
    return v
