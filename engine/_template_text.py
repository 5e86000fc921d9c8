"""How values read in explanation sentences and deviation messages: Swedish number style."""

from __future__ import annotations

from decimal import Decimal

from engine._money import format_kr


def text(v: object) -> str:
    t = type(v)
    if t is str:
        return v  # type: ignore[return-value]
    if t is bool:
        return "ja" if v else "nej"
    if t is Decimal or t is int:
        return format_kr(v)  # type: ignore[arg-type]
    if t is float:
        return f"{v:g}".replace(".", ",")
    if isinstance(v, list):
        return ", ".join(text(x) for x in v)
    if isinstance(v, dict):
        if "text" in v and "belopp" in v:
            return f"{v['text']} {text(v['belopp'])} kr"
        return ", ".join(f"{k} {text(x)}" for k, x in v.items())
    return str(v)
