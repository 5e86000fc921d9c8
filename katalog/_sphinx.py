"""The catalogue as reStructuredText for Sphinx: every rule, amount and control in every version.

``docs/conf.py`` calls :func:`write_rst` when a build starts, so the pages always describe the rule
files of the checkout being built and are never edited by hand (``docs/regelkatalog/`` is ignored
by git). Files are rewritten only when their text changes, so Sphinx rebuilds only what changed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from katalog._lagtext import Wording
from katalog._model import (
    TYP_SV,
    Basis,
    Catalogue,
    Citation,
    ControlView,
    NormView,
    RuleView,
    control_anchor,
    norm_anchor,
    rule_anchor,
)

_SPECIAL = re.compile(r"([\\`*_|\[\]<>])")
_LIST_START = re.compile(r"^(\d+\.|[a-z]\)|[-+#])(\s)")


def esc(text: str) -> str:
    """Text that reStructuredText shows as written (no markup, no accidental lists)."""
    out = _SPECIAL.sub(r"\\\1", " ".join(text.split()))
    return _LIST_START.sub(lambda m: m.group(1)[:-1] + "\\" + m.group(1)[-1] + m.group(2), out)


def _title(text: str, char: str) -> list[str]:
    t = esc(text)
    return [t, char * max(len(t), 4), ""]


def _ref(label: str, text: str) -> str:
    return f":ref:`{esc(text)} <{label}>`"


def _period(a: object, b: object) -> str:
    if a and b:
        return f"{a} – {b}"
    if a:
        return f"från {a} tills vidare"
    if b:
        return f"till och med {b}"
    return "tills vidare"


def _citation(c: Citation) -> str:
    links = [_ref(w.anchor, f"lagtext {_period(w.giltig_fran, w.giltig_till)}") for w in c.wordings]
    text = esc(c.text)
    if links:
        text += " (" + ", ".join(links) + ")"
    if c.saknas:
        text += " – " + esc(c.saknas)
    return text


def _bases(bases: Iterable[Basis]) -> list[str]:
    out: list[str] = []
    for b in bases:
        for c in b.citations:
            out.append(f"- {_period(b.giltig_fran, b.giltig_till)}: {_citation(c)}")
        if b.konvention:
            out.append(f"- {_period(b.giltig_fran, b.giltig_till)}: konvention: {esc(b.konvention)}")
    return [*out, ""]


def _code(text: str) -> list[str]:
    return [".. code-block:: text", "", *("   " + line for line in text.splitlines()), ""]


def _rule(r: RuleView) -> list[str]:
    out = [f".. _{rule_anchor(r.id)}:", "", *_title(r.namn, "^")]
    kind = TYP_SV.get(r.typ, r.typ) + (" per person" if r.entitet == "person" else "")
    out += [f"``{r.id}`` · {esc(kind)} · {esc(r.fil)}" + (f", rad {r.rad}" if r.rad else ""), ""]
    if r.beskrivning:
        out += [esc(r.beskrivning), ""]
    for v in r.versions:
        out += [f"**Version {_period(v.giltig_fran, v.giltig_till)}**", "", *_code(v.formel.text)]
        reads = [_ref(rule_anchor(x), x) for x in v.regler] + [_ref(norm_anchor(x), x) for x in v.normer]
        if reads:
            out += ["Läser: " + ", ".join(reads), ""]
        if v.forklaring:
            out += ["Förklaring i beräkningen: " + esc(v.forklaring), ""]
    out += ["Lagrum:", "", *_bases(r.lagrum)]
    if r.anvands_av:
        out += ["Används av: " + ", ".join(_ref(rule_anchor(x), x) for x in r.anvands_av), ""]
    return out


def _norm(n: NormView) -> list[str]:
    out = [f".. _{norm_anchor(n.id)}:", "", *_title(n.namn, "^")]
    out += [f"``{n.id}``" + (f" · {esc(n.enhet)}" if n.enhet else "") + f" · {esc(n.fil)}", ""]
    if n.beskrivning:
        out += [esc(n.beskrivning), ""]
    if not n.values:
        out += ["Inget värde inmatat." + (f" Fastställs av {esc(n.utgivare)}." if n.utgivare else ""), ""]
    for v in n.values:
        out += [f"**{_period(v.giltig_fran, v.giltig_till)}**", ""]
        if v.varde is not None:
            out += [f"Värde: {esc(v.varde)}" + (f" {esc(n.enhet)}" if n.enhet else ""), ""]
        if v.rader:
            out += [".. list-table::", "   :header-rows: 1", ""]
            for row in (v.kolumner, *v.rader):
                out.append("   * - " + esc(row[0] or "–"))
                out += [f"     - {esc(x or '–')}" for x in row[1:]]
            out.append("")
        if v.saknas:
            out += ["Värdet kan inte räknas fram: " + esc(v.saknas), ""]
        if v.harledning:
            out += ["Härleds: ``" + v.harledning.replace("`", "'") + "``", ""]
        out += ["Källa: " + esc(v.kalla), ""]
        out += [f"Lagrum: {_citation(c)}" for c in v.citations]
        if v.citations:
            out.append("")
        if v.anmarkning:
            out += [esc(v.anmarkning), ""]
    if n.harleds_fran:
        out += ["Härleds från: " + ", ".join(_ref(norm_anchor(x), x) for x in n.harleds_fran), ""]
    if n.anvands_av:
        out += ["Används av: " + ", ".join(_ref(rule_anchor(x), x) for x in n.anvands_av), ""]
    return out


def _control(c: ControlView) -> list[str]:
    out = [f".. _{control_anchor(c.id)}:", "", *_title(f"{c.kod}: {c.namn}", "^")]
    out += [f"{esc(c.allvarlighet)} · fakta ``{c.fakta}`` · gäller {_period(c.giltig_fran, c.giltig_till)}", ""]
    if c.beskrivning:
        out += [esc(c.beskrivning), ""]
    out += _code(c.villkor)
    out += ["Meddelande: " + esc(c.meddelande), "", "Lagrum:", "", *_bases(c.lagrum)]
    return out


def _wording(w: Wording, citers: list[tuple[str, str]], statutes: dict[str, str]) -> list[str]:
    out = [
        f".. _{w.anchor}:",
        "",
        *_title(f"{w.label} {statutes.get(w.sfs, 'SFS ' + w.sfs)}, {_period(w.giltig_fran, w.giltig_till)}", "^"),
    ]
    if w.rubrik:
        out += [f"*{esc(w.rubrik)}*", ""]
    for b in w.stycken:
        out += _code(b.text) if b.tabell else [esc(b.text), ""]
    if w.anmarkning:
        out += [esc(w.anmarkning), ""]
    out += ["Citeras av: " + ", ".join(_ref(a, n) for a, n in citers), ""]
    out += [f"Källa: {esc(w.kalla)} (lagtext/{esc(w.fil)}, rad {w.rad})", ""]
    return out


def pages(c: Catalogue) -> dict[str, str]:
    """File name → reStructuredText for the whole catalogue."""
    head = f"Regelverket {esc(c.namn)}, version **{esc(c.version)}**, innehållshash ``{c.hash}``."
    index = [
        *_title("Regelkatalog", "="),
        head,
        "",
        "Sidorna skapas ur regelfilerna (``regelverk/``, ``normer/``) och lagtexten (``lagtext/``) när",
        "dokumentationen byggs. Varje regel, belopp och kontroll visas med alla sina versioner, giltighet,",
        "källa och den lagtext den genomför. Servern visar samma sak för en vald dag på ``/regelverk``.",
        "",
        ".. toctree::",
        "   :maxdepth: 1",
        "",
        "   regler",
        "   belopp",
        "   kommuner",
        "   kontroller",
        "   lagtext",
        "",
    ]
    rules = [*_title("Regler", "="), head, ""]
    for s in c.sections:
        rules += _title(s.titel, "-")
        for r in s.rules:
            rules += _rule(r)
    norms = [*_title("Belopp och tal", "="), head, ""]
    for n in c.national_norms:
        norms += _norm(n)
    kommuner = [*_title("Kommunala riktlinjer", "="), head, ""]
    if not c.kommuner:
        kommuner += ["Inga kommunala riktlinjer finns i regelverket.", ""]
    for kod, namn in c.kommuner.items():
        kommuner += _title(f"{namn} ({kod})", "-")
        for n in c.kommun_norms(kod):
            kommuner += _norm(n)
    controls = [*_title("Kontroller", "="), head, ""]
    for ctl in c.controls:
        controls += _control(ctl)
    law = [*_title("Lagtext", "="), "Varje lydelse som någon regel, något belopp eller någon kontroll citerar.", ""]
    statutes = dict(c.forfattningar)
    for w, citers in c.wordings():
        law += _wording(w, citers, statutes)
    return {
        "index.rst": "\n".join(index),
        "regler.rst": "\n".join(rules),
        "belopp.rst": "\n".join(norms),
        "kommuner.rst": "\n".join(kommuner),
        "kontroller.rst": "\n".join(controls),
        "lagtext.rst": "\n".join(law),
    }


def write_rst(c: Catalogue, directory: Path) -> list[Path]:
    """Write :func:`pages` into ``directory``; returns the files whose text changed."""
    directory.mkdir(parents=True, exist_ok=True)
    changed = []
    for name, text in pages(c).items():
        path = directory / name
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            changed.append(path)
    return changed
