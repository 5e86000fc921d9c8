"""A what-if as text: the base and the alternative side by side, line by line, with the difference.

Reads two result documents (``Result.to_dict()``) computed from the same application; a line is a
visible trace entry (rule and person) or one of the contract's amounts. Lines whose value is the same
in both are shown too, so that the reader sees the whole calculation, and the assumed values are
named first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from explain._common import amount, period_sv, sections_in_order, visible_entries
from explain.text import WIDTH

CONTRACT = ("riksnorm", "skaliga_kostnader", "behov", "inkomster", "forsorjningsstod", "overskott")
LABELS = {
    "riksnorm": "Riksnorm",
    "skaliga_kostnader": "Skäliga kostnader",
    "behov": "Behov",
    "inkomster": "Inkomster",
    "forsorjningsstod": "Försörjningsstöd",
    "overskott": "Överskott",
}


def _key(e: Mapping[str, Any]) -> tuple[str, str | None]:
    return str(e["regel"]), e.get("person")


def _diff(a: Any, b: Any) -> str:
    if isinstance(a, bool) or isinstance(b, bool) or not isinstance(a, int) or not isinstance(b, int):
        return "" if a == b else "ändrad"
    d = b - a
    return "" if d == 0 else f"{'+' if d > 0 else '−'}{abs(d):,} kr".replace(",", "\u00a0")


def _row(label: str, base: str, alt: str, diff: str) -> str:
    width = WIDTH - 3 * 14
    return f"  {label[: width - 2]:<{width - 2}}{base:>14}{alt:>14}{diff:>14}"


def render_comparison(base: Mapping[str, Any], alt: Mapping[str, Any], assumptions: Sequence[Mapping[str, Any]]) -> str:
    out = ["VAD HÄNDER OM – FÖRSÖRJNINGSSTÖD", "=" * WIDTH]
    out.append(f"Period:     {period_sv(str(base['period']))} ({base['period']})")
    rv = base["regelverk"]
    out.append(f"Regelverk:  {rv['id']} version {rv['version']} ({rv['hash']})")
    out.append("Antaganden (alternativet):")
    for a in assumptions:
        kind = "norm" if a.get("typ") == "norm" else "regel"
        out.append(f"  {a['namn']} ({kind}) = {a['varde']}")
    out.append("")
    out.append(_row("", "bas", "alternativ", "skillnad"))
    alt_entries = {_key(e): e for e in alt.get("trace", [])}
    for section, title in sections_in_order(base):
        entries = visible_entries(base, section)
        if not entries:
            continue
        out.append(title.upper())
        for e in entries:
            other = alt_entries.get(_key(e), {})
            label = str(e["namn"]) + (f" ({e['person']})" if e.get("person") else "")
            if other.get("antagande"):
                label += " [antaget]"
            out.append(
                _row(label, amount(e), amount(other) if other else "–", _diff(e.get("varde"), other.get("varde")))
            )
    out.append("-" * WIDTH)
    for k in CONTRACT:
        out.append(_row(LABELS[k], _kr(base[k]), _kr(alt[k]), _diff(base[k], alt[k])))
    return "\n".join(out) + "\n"


def _kr(v: Any) -> str:
    return f"{int(v):,} kr".replace(",", "\u00a0")


__all__ = ["render_comparison"]
