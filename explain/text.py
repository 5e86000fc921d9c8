"""A calculation as a Swedish beräkningsunderlag in plain text.

Reads only the result dictionary (``Result.to_dict()``, the same document the CLI prints
with ``--json`` and the API returns): every line says what, how much, why and under which
paragraph, so a caseworker can paste it into a decision.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from explain._common import (
    amount,
    change_lines,
    cost_note,
    deviation_heading,
    hinder_lines,
    kr,
    norm_sources,
    period_sv,
    person_line,
    sections_in_order,
    severity_sv,
    source_sv,
    visible_entries,
)

WIDTH = 96


def _row(label: str, value: str, indent: int = 2) -> str:
    left = " " * indent + label
    space = WIDTH - len(left) - len(value)
    if space < 2:
        return f"{left}\n{' ' * (WIDTH - len(value))}{value}"
    return left + " " * space + value


def _wrap(text: str, indent: int) -> list[str]:
    words = [w for w in text.split(" ") if w]
    lines: list[str] = []
    cur = ""
    width = WIDTH - indent
    for w in words:
        if cur and len(cur) + 1 + len(w) > width:
            lines.append(" " * indent + cur)
            cur = w
        else:
            cur = f"{cur} {w}" if cur else w
    if cur:
        lines.append(" " * indent + cur)
    return lines


def render_text(result: Mapping[str, Any]) -> str:
    """The whole beräkningsunderlag for one computed application."""
    out: list[str] = []
    period = str(result["period"])
    out.append("BERÄKNINGSUNDERLAG – FÖRSÖRJNINGSSTÖD")
    out.append("=" * WIDTH)
    out.append(f"Period:     {period_sv(period)} ({period})")
    persons: Sequence[Mapping[str, Any]] = result.get("hushall", [])
    out.append("Hushåll:    " + "; ".join(person_line(p) for p in persons))
    rv = result["regelverk"]
    out.append(f"Regelverk:  {rv['id']} version {rv['version']}")
    out.append(f"            {rv['hash']}")
    preview = result.get("forhandsvisning")
    if preview:
        values = ", ".join(f"{k} = {v}" for k, v in preview["varden"].items())
        out.append("")
        out.append("OBS! FÖRHANDSBERÄKNING: " + preview["meddelande"] + f" ({values}).")
        out.append("     Beräkningen kan inte ligga till grund för beslut innan värdena är fastställda.")

    norms: Mapping[str, Mapping[str, Any]] = result.get("normer", {})
    for key, title in sections_in_order(result):
        entries = visible_entries(result, key)
        if not entries:
            continue
        out.append("")
        out.append(title.upper())
        out.append("-" * WIDTH)
        for e in entries:
            out.extend(_entry_lines(e, norms))
    devs: Sequence[Mapping[str, Any]] = result.get("avvikelser", [])
    out.append("")
    out.append("AVVIKELSER OCH KONTROLLER")
    out.append("-" * WIDTH)
    if not devs:
        out.append("  Inga avvikelser.")
    for d in devs:
        who = f", {d['person']}" if d.get("person") else ""
        src = f", källa: {source_sv(str(d['kalla']))}" if d.get("kalla") else ""
        out.append(f"  [{severity_sv(str(d['allvarlighet']))}] {deviation_heading(d)}{who}{src}")
        out.extend(_wrap(str(d["meddelande"]), 6))
        if d.get("lagrum"):
            out.extend(_wrap("Lagrum: " + str(d["lagrum"]), 6))
    changes = change_lines(result)
    if changes:
        out.append("")
        out.append("VAD SOM SKULLE ÄNDRA RESULTATET")
        out.append("-" * WIDTH)
        for line in changes:
            out.extend(_wrap("- " + line, 2))
    hinder = hinder_lines(result)
    if hinder:
        out.append("")
        out.append("FÖRSÖRJNINGSHINDER – FÖRSLAG TILL STATISTIKEN (HANDLÄGGAREN VÄLJER I BESLUTET)")
        out.append("-" * WIDTH)
        for h in hinder:
            out.append(f"  {h['person']}: {h['kod']}")
            out.extend(_wrap(h["skal"], 6))
    for extra in result.get("bedomningar", []) or []:
        out.append("")
        out.extend(_wrap(f"{extra['rubrik']}: {extra['text']}", 2))
    out.append("")
    out.append("=" * WIDTH)
    out.append(_row("FÖRSÖRJNINGSSTÖD", kr(result["forsorjningsstod"]), 0))
    if result.get("overskott"):
        out.append(_row("Överskott (inkomster över behovet)", kr(result["overskott"]), 0))
    return "\n".join(out) + "\n"


def _entry_lines(e: Mapping[str, Any], norms: Mapping[str, Mapping[str, Any]]) -> list[str]:
    lines = [_row(str(e["namn"]), amount(e))]
    for post in (e.get("detaljer") or {}).get("kostnader", []) or []:
        label = str(post["text"]).capitalize()
        note = cost_note(post)
        lines.append(_row(label + note, kr(post["belopp"]), 6))
    if e.get("forklaring"):
        lines.extend(_wrap(str(e["forklaring"]), 6))
    for src in norm_sources(e, norms):
        lines.extend(_wrap("Värde: " + src, 6))
    if e.get("lagrum"):
        lines.extend(_wrap("Lagrum: " + "; ".join(e["lagrum"]), 6))
    return lines
