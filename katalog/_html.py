"""The catalogue as server-rendered HTML: the law in force on a day, and what changed between two days."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from katalog._between import Change
from katalog._model import TYP_SV, Catalogue

_ENV = Environment(
    loader=FileSystemLoader(str(Path(__file__).resolve().parent / "templates")),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
_HEADINGS = (
    ("regel", "Regler"),
    ("belopp", "Belopp och tal"),
    ("kontroll", "Kontroller"),
    ("lagtext", "Lagtext"),
)


def _validity(catalogue: Catalogue) -> str:
    starts = [v.giltig_fran for r in catalogue.rules for v in r.versions]
    return f"från {min(starts).isoformat()}" if starts else "inga dagar"


def render_day(day_view: Catalogue, full: Catalogue, *, base: str = "", warning: str | None = None) -> str:
    """The page for one day (``day_view`` is ``full.on(day)``)."""
    return _ENV.get_template("regelverk.html").render(
        k=day_view,
        bas=base,
        varning=warning,
        typ_sv=TYP_SV,
        statutes=day_view.forfattningar,
        giltighet=_validity(full),
    )


def render_changes(
    catalogue: Catalogue, fran: date, till: date, changes: list[Change], *, base: str = "", warning: str | None = None
) -> str:
    return _ENV.get_template("jamfor.html").render(
        k=catalogue, fran=fran, till=till, andringar=changes, rubriker=_HEADINGS, bas=base, varning=warning
    )


def render_error(message: str, *, base: str = "") -> str:
    return _ENV.get_template("fel.html").render(meddelande=message, bas=base)
