"""The återkrav basis as text for a caseworker (``ekbist aterkrav``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine._money import format_kr


def _kr(value: Any) -> str:
    return f"{format_kr(int(value)).replace(chr(0xA0), ' ')} kr" if isinstance(value, int) else str(value)


def render_text(b: Mapping[str, Any]) -> str:
    d = b["beslut"]
    lines = [
        f"Underlag för återkrav – beslut {d['id']} ({d['period']}, {d['utfall']} {_kr(d['belopp'])})",
        "",
        "Omräknat med rättade uppgifter och samma regelversion som beslutet:",
    ]
    lines += [f"  {c['text']}" for c in b["andringar"]] or ["  inga belopp ändras"]
    lines.append("")
    for m in b["per_manad"]:
        lines.append(
            f"  {m['period']}: utbetalt {_kr(m['utbetalt'])}, rätt belopp {_kr(m['ratt_belopp'])}, "
            f"för mycket {_kr(m['for_mycket'])}"
        )
    lines.append(f"Utbetalt för mycket totalt: {_kr(b['for_mycket_totalt'])}")
    lines += ["", "Grunder att pröva (nämnden väljer):"]
    for g in b["grunder"]:
        lines.append(f"  - {g['namn']} ({g['lagrum']}): {g['bedomning']}")
    t = b["talan"]
    lines += [
        "",
        f"Talan om återkrav: senast {t['sista_dag']} ({t['lagrum']}; kostnaden uppkom {t['kostnaden_uppkom']}, "
        f"{t['enligt']})",
    ]
    if b.get("brottsmisstanke"):
        bm = b["brottsmisstanke"]
        lines += ["", f"OBS ({bm['lagrum']}): {bm['paminnelse']} Avvikelser: {', '.join(bm['koder'])}."]
    lines += ["", b["obs"]]
    return "\n".join(lines) + "\n"
