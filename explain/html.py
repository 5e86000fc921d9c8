"""A computed decision as a print-friendly HTML page, rendered on the server (no build step)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from explain._common import (
    ROLE_SV,
    amount,
    change_lines,
    cost_note,
    deviation_heading,
    hinder_lines,
    kr,
    norm_sources,
    period_sv,
    sections_in_order,
    severity_sv,
    source_sv,
    visible_entries,
)

_ENV = Environment(
    loader=FileSystemLoader(str(Path(__file__).resolve().parent / "templates")),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
UTFALL_SV = {"beviljat": "Beviljat", "delvis": "Delvis beviljat", "avslag": "Avslag"}


def render_html(result: Mapping[str, Any], decision: Mapping[str, Any] | None = None) -> str:
    """The explanation page for a result, and for the decision recorded with it when given."""
    norms = result.get("normer", {})
    sections = []
    for key, title in sections_in_order(result):
        rows = []
        for e in visible_entries(result, key):
            rows.append(
                {
                    "namn": e["namn"],
                    "belopp": amount(e),
                    "forklaring": e.get("forklaring", ""),
                    "lagrum": "; ".join(e.get("lagrum") or []),
                    "kallor": norm_sources(e, norms),
                    "poster": [
                        {
                            "text": str(p["text"]).capitalize() + cost_note(p),
                            "belopp": kr(p["belopp"]),
                            "tak": "tak" in p or bool(p.get("utan_samtycke")),
                        }
                        for p in (e.get("detaljer") or {}).get("kostnader", []) or []
                    ],
                    "id": e["regel"] if e.get("person") is None else f"{e['regel']}-{e['person']}",
                }
            )
        if rows:
            sections.append({"key": key, "titel": title, "rader": rows})
    return _ENV.get_template("forklaring.html").render(
        r=result,
        period_sv=period_sv(str(result["period"])),
        personer=[{**p, "roll_sv": ROLE_SV.get(str(p["roll"]), p["roll"])} for p in result.get("hushall", [])],
        avsnitt=sections,
        avvikelser=[
            {
                **d,
                "allvarlighet_sv": severity_sv(str(d["allvarlighet"])),
                "rubrik_sv": deviation_heading(d),
                "kalla_sv": source_sv(str(d.get("kalla") or "")),
            }
            for d in result.get("avvikelser", [])
        ],
        hinder=hinder_lines(result),
        andras=change_lines(result),
        beslut=decision,
        utfall_sv=UTFALL_SV,
        kr=kr,
    )


def render_applicant_html(result: Mapping[str, Any]) -> str:
    """The explanation for the applicant, in plain Swedish, printable and readable on a phone."""
    from explain.sokande import applicant_view

    return _ENV.get_template("sokande.html").render(v=applicant_view(result))
