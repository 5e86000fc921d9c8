"""The rule catalogue: every rule, amount and control of a bundle with its validity, source and statute text.

One model feeds the three faces – the server's pages (one day at a time), the Sphinx pages (every
version) and the list of what changed between two days – so they cannot disagree. It only reads a
loaded :class:`engine.RuleBundle` and the statute text; it never computes an application.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import engine
from engine._bundle import RuleDef
from engine._functions import Table
from engine._lagrum import render_reference, render_source
from engine._money import format_kr
from engine._norms import MissingValue, NormDef, NormResolver
from engine._rulefiles import Dated, Hanvisning, Lagrum
from engine._yamlsrc import SourceDoc, YamlSyntaxError, load_yaml
from katalog._lagtext import Lagtexter, Wording

KOMMUN_PREFIX = "kommun."
_TOKEN = re.compile(r"'[^']*'|\"[^\"]*\"|[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")
ALLVARLIGHET_SV = {"info": "information", "kontrollera": "kontrollera", "utred": "utred"}
TYP_SV = {"belopp": "belopp", "tal": "tal", "villkor": "villkor (ja/nej)", "antal": "antal", "tabell": "tabell"}


def rule_anchor(rule_id: str) -> str:
    return f"regel-{rule_id}"


def norm_anchor(norm_id: str) -> str:
    return f"norm-{norm_id}"


def control_anchor(control_id: str) -> str:
    return f"kontroll-{control_id}"


@dataclass(frozen=True)
class Citation:
    """One statute reference, with the wordings of its paragraphs that apply."""

    text: str
    sfs: str
    wordings: tuple[Wording, ...]
    saknas: str | None = None  # why no text is shown: the statute or paragraph is not in lagtext/


@dataclass(frozen=True)
class Basis:
    """The legal basis for a span: the references, or the convention the project chose."""

    giltig_fran: date
    giltig_till: date | None
    citations: tuple[Citation, ...]
    konvention: str | None


@dataclass(frozen=True)
class Formula:
    """A formula as tokens, each a link when it names a rule or an amount of the bundle."""

    text: str
    parts: tuple[tuple[str, str | None], ...]


@dataclass(frozen=True)
class RuleVersionView:
    giltig_fran: date
    giltig_till: date | None
    formel: Formula
    forklaring: str | None
    regler: tuple[str, ...]
    normer: tuple[str, ...]


@dataclass(frozen=True)
class RuleView:
    id: str
    namn: str
    beskrivning: str | None
    typ: str
    entitet: str
    avsnitt: str | None
    fil: str
    rad: int | None
    versions: tuple[RuleVersionView, ...]
    lagrum: tuple[Basis, ...]
    anvands_av: tuple[str, ...]


@dataclass(frozen=True)
class ValueView:
    giltig_fran: date
    giltig_till: date | None
    varde: str | None  # formatted; None for a table or a value that is missing
    kolumner: tuple[str, ...]
    rader: tuple[tuple[str, ...], ...]
    harledning: str | None
    kalla: str
    url: str | None
    citations: tuple[Citation, ...]
    anmarkning: str | None
    saknas: str | None = None


@dataclass(frozen=True)
class NormView:
    id: str
    namn: str
    beskrivning: str | None
    typ: str
    enhet: str | None
    utgivare: str | None
    fil: str
    rad: int | None
    values: tuple[ValueView, ...]
    anvands_av: tuple[str, ...]
    harleds_fran: tuple[str, ...]

    @property
    def kommun(self) -> str | None:
        return self.id.split(".")[1] if self.id.startswith(KOMMUN_PREFIX) else None


@dataclass(frozen=True)
class ControlView:
    id: str
    kod: str
    namn: str
    beskrivning: str | None
    fakta: str
    villkor: str
    allvarlighet: str
    meddelande: str
    giltig_fran: date
    giltig_till: date | None
    fil: str
    rad: int | None
    lagrum: tuple[Basis, ...]


@dataclass(frozen=True)
class Section:
    key: str
    titel: str
    rules: tuple[RuleView, ...]


@dataclass(frozen=True)
class Catalogue:
    """A bundle's catalogue; :meth:`on` narrows it to what is in force on one day."""

    id: str
    namn: str
    version: str
    hash: str
    sections: tuple[Section, ...]
    norms: tuple[NormView, ...]
    controls: tuple[ControlView, ...]
    kommuner: Mapping[str, str]
    dag: date | None = None
    forfattningar: Mapping[str, str] = field(default_factory=dict)  # sfs → "socialtjänstlagen (2025:400)"
    lagtexter: Lagtexter | None = field(default=None, compare=False, repr=False)

    @property
    def rules(self) -> list[RuleView]:
        return [r for s in self.sections for r in s.rules]

    def rule(self, rule_id: str) -> RuleView | None:
        return next((r for r in self.rules if r.id == rule_id), None)

    def norm(self, norm_id: str) -> NormView | None:
        return next((n for n in self.norms if n.id == norm_id), None)

    @property
    def national_norms(self) -> list[NormView]:
        return [n for n in self.norms if n.kommun is None]

    def kommun_norms(self, kod: str) -> list[NormView]:
        return [n for n in self.norms if n.kommun == kod]

    def wordings(self) -> list[tuple[Wording, list[tuple[str, str]]]]:
        """Every statute wording shown, once, with what cites it (anchor, name), in statute order."""
        cited: dict[str, tuple[Wording, list[tuple[str, str]]]] = {}

        def add(bases: Iterable[Basis], anchor: str, name: str) -> None:
            for basis in bases:
                for c in basis.citations:
                    for w in c.wordings:
                        entry = cited.setdefault(w.anchor, (w, []))
                        if (anchor, name) not in entry[1]:
                            entry[1].append((anchor, name))

        for r in self.rules:
            add(r.lagrum, rule_anchor(r.id), r.namn)
        for n in self.norms:
            for v in n.values:
                add([Basis(v.giltig_fran, v.giltig_till, v.citations, None)], norm_anchor(n.id), n.namn)
        for c in self.controls:
            add(c.lagrum, control_anchor(c.id), c.namn)
        return sorted(cited.values(), key=lambda e: (e[0].sfs, e[0].kapitel or 0, e[0].fil, e[0].rad))

    def on(self, day: date) -> Catalogue:
        """What is in force on ``day``: one version per rule, one value per amount, the wording then."""
        sections = []
        for s in self.sections:
            rules = tuple(r for r in (_rule_on(r, day) for r in s.rules) if r is not None)
            if rules:
                sections.append(Section(s.key, s.titel, rules))
        norms_on = [(n, _norm_on(n, day)) for n in self.norms]
        # an amount with no value this day is shown only when an amount in force is derived from it
        needed = {
            f for n, v in norms_on if v is not None and any(x.harledning for x in v.values) for f in n.harleds_fran
        }
        norms = tuple(v for n, v in norms_on if v is not None and (v.values or n.id in needed))
        controls = tuple(
            replace(c, lagrum=_bases_on(c.lagrum, day))
            for c in self.controls
            if _covers(c.giltig_fran, c.giltig_till, day)
        )
        return replace(self, sections=tuple(sections), norms=norms, controls=controls, dag=day)


def _covers(start: date, end: date | None, day: date) -> bool:
    return start <= day and (end is None or day <= end)


def _citation_on(c: Citation, day: date) -> Citation:
    return replace(c, wordings=tuple(w for w in c.wordings if w.covers(day)))


def _bases_on(bases: Sequence[Basis], day: date) -> tuple[Basis, ...]:
    return tuple(
        replace(b, citations=tuple(_citation_on(c, day) for c in b.citations))
        for b in bases
        if _covers(b.giltig_fran, b.giltig_till, day)
    )


def _rule_on(r: RuleView, day: date) -> RuleView | None:
    versions = tuple(v for v in r.versions if _covers(v.giltig_fran, v.giltig_till, day))
    if not versions:
        return None
    return replace(r, versions=versions, lagrum=_bases_on(r.lagrum, day))


def _norm_on(n: NormView, day: date) -> NormView | None:
    values = tuple(
        replace(v, citations=tuple(_citation_on(c, day) for c in v.citations))
        for v in n.values
        if _covers(v.giltig_fran, v.giltig_till, day)
    )
    if not values and n.kommun is not None:
        return None  # a kommun's guideline not (yet or any longer) in force is left out
    return replace(n, values=values)


# -- building ---------------------------------------------------------------------------------


class _Lines:
    """Lines of ids in the rule files, parsed once, for "fil, rad" beside every entry."""

    def __init__(self, files: Mapping[str, str]) -> None:
        self._files = files
        self._docs: dict[str, SourceDoc | None] = {}

    def line(self, file: str, path: Sequence[str | int]) -> int | None:
        if file not in self._docs:
            try:
                self._docs[file] = load_yaml(self._files.get(file, ""), file)
            except YamlSyntaxError:
                self._docs[file] = None
        doc = self._docs[file]
        return doc.line_of(path) if doc is not None else None

    def find(self, file: str, key: str, ident: str) -> int | None:
        self.line(file, ())  # parses the file once
        doc = self._docs.get(file)
        if doc is None or not isinstance(doc.data, dict):
            return None
        for i, item in enumerate(doc.data.get(key) or []):
            if isinstance(item, dict) and item.get("id") == ident:
                return doc.line_of((key, i))
        return None


def _formula(text: str, rules: Mapping[str, Any], norms: Mapping[str, Any]) -> Formula:
    parts: list[tuple[str, str | None]] = []
    pos = 0
    text = " ".join(text.split())
    for m in _TOKEN.finditer(text):
        if m.start() > pos:
            parts.append((text[pos : m.start()], None))
        token = m.group(0)
        name = token[5:] if token.startswith("norm.") else token
        if token in rules:
            parts.append((token, rule_anchor(token)))
        elif name in norms:
            parts.append((token, norm_anchor(name)))
        else:
            parts.append((token, None))
        pos = m.end()
    if pos < len(text):
        parts.append((text[pos:], None))
    return Formula(text, tuple(parts))


def _citation(ref: Hanvisning, statutes: Mapping[str, Any], texts: Lagtexter, span: Dated) -> Citation:
    text = render_reference(ref, statutes)
    if not texts.has(ref.sfs, ref.kapitel):
        return Citation(text, ref.sfs, (), "Författningstexten finns inte i lagtext/; se SFS " + ref.sfs + ".")
    wordings = tuple(w for w in texts.wordings(ref.sfs, ref.kapitel, ref.paragraf) if w.overlaps(*_span(span)))
    missing = None if wordings else "Paragrafen finns inte i den text som lagtext/ innehåller."
    return Citation(text, ref.sfs, wordings, missing)


def _span(d: Dated) -> tuple[date, date | None]:
    return d.giltig_fran, d.giltig_till


def _bases(lagrum: Sequence[Lagrum], statutes: Mapping[str, Any], texts: Lagtexter) -> tuple[Basis, ...]:
    return tuple(
        Basis(
            lag.giltig_fran,
            lag.giltig_till,
            tuple(_citation(h, statutes, texts, lag) for h in lag.hanvisningar),
            lag.konvention,
        )
        for lag in lagrum
    )


def _number(value: Any, typ: str) -> str:
    if value is None:
        return "–"
    if isinstance(value, Decimal) and value == value.to_integral_value():
        value = int(value)
    if typ == "belopp" and isinstance(value, int):
        return format_kr(value).replace("\u00a0", " ")
    return str(value).replace(".", ",")


_CAP_COLUMNS = ("vuxna_fran", "vuxna_till", "barn_fran", "barn_till", "belopp")
_HEADERS = {
    "alder_fran": "ålder från",
    "alder_till": "ålder till",
    "utan_lunch": "utan lunch",
    "antal_personer": "antal personer",
}
_AMOUNT_COLUMNS = {"belopp", "utan_lunch"}


def _count(lo: Decimal | None, hi: Decimal | None, one: str, many: str) -> str:
    a = int(lo or 0)
    if hi is None:
        return f"{a} {many} eller fler"
    b = int(hi)
    if a == b:
        return f"inga {many}" if a == 0 else f"{a} {one if a == 1 else many}"
    return f"{a}–{b} {many}"


def _table(value: Table) -> tuple[tuple[str, ...], tuple[tuple[str, ...], ...]]:
    """A table for people: a kommun's caps by household, other tables column by column."""
    if tuple(value.columns) == _CAP_COLUMNS:
        return ("hushåll", "högsta belopp"), tuple(
            (
                _count(r["vuxna_fran"], r["vuxna_till"], "vuxen", "vuxna")
                + ", "
                + _count(r["barn_fran"], r["barn_till"], "barn", "barn"),
                _number(r["belopp"], "belopp"),
            )
            for r in value.rows
        )
    columns = tuple(value.columns)
    rows = tuple(
        tuple(_number(row.get(c), "belopp" if c in _AMOUNT_COLUMNS else "tal") for c in columns) for row in value.rows
    )
    return tuple(_HEADERS.get(c, c.replace("_", " ")) for c in columns), rows


def _value(
    nd: NormDef,
    entry: Any,
    bundle: engine.RuleBundle,
    statutes: Mapping[str, Any],
    texts: Lagtexter,
    span: tuple[date, date | None],
) -> ValueView:
    spec = entry.spec
    typ = nd.spec.typ
    varde: str | None = None
    columns: tuple[str, ...] = ()
    rows: tuple[tuple[str, ...], ...] = ()
    missing: str | None = None
    runtime = entry.runtime
    derivation = None
    if entry.derivation is not None:
        d = entry.derivation
        derivation = f"{d.text}, där varde är {d.source}"
        try:  # what a derived amount comes to in this span, when its inputs are there
            runtime = NormResolver(bundle.norms, span[0], {}, span[0].isoformat()).value(nd.spec.id)
        except MissingValue as exc:
            runtime, missing = None, exc.message
    if isinstance(runtime, Table):
        columns, rows = _table(runtime)
    elif runtime is not None:
        varde = _number(runtime, typ)
    citations: tuple[Citation, ...] = ()
    kalla = spec.kalla
    if kalla.sfs and kalla.paragraf:
        ref = Hanvisning(sfs=kalla.sfs, kapitel=kalla.kapitel, paragraf=kalla.paragraf, lydelse=kalla.lydelse)
        citations = (_citation(ref, statutes, texts, spec),)
    return ValueView(
        giltig_fran=span[0],
        giltig_till=span[1],
        varde=varde,
        kolumner=columns,
        rader=rows,
        harledning=derivation,
        kalla=render_source(kalla, statutes),
        url=kalla.url,
        citations=citations,
        anmarkning=spec.anmarkning,
        saknas=missing,
    )


def _readers(bundle: engine.RuleBundle) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    rule_readers: dict[str, set[str]] = {}
    norm_readers: dict[str, set[str]] = {}
    for rid, rd in bundle.rules.items():
        for v in rd.versions:
            for other in v.compiled.rules:
                rule_readers.setdefault(other, set()).add(rid)
            for n in v.compiled.norms:
                norm_readers.setdefault(n, set()).add(rid)
    return rule_readers, norm_readers


def _rule(rd: RuleDef, bundle: engine.RuleBundle, texts: Lagtexter, lines: _Lines, readers: set[str]) -> RuleView:
    statutes = bundle.manifest.forfattningar
    spec = rd.spec
    versions = tuple(
        RuleVersionView(
            giltig_fran=v.spec.giltig_fran,
            giltig_till=v.spec.giltig_till,
            formel=_formula(v.spec.formel, bundle.rules, bundle.norms),
            forklaring=" ".join(v.spec.forklaring.split()) if v.spec.forklaring else spec.forklaring,
            regler=tuple(sorted(v.compiled.rules)),
            normer=tuple(sorted(v.compiled.norms)),
        )
        for v in rd.versions
    )
    return RuleView(
        id=spec.id,
        namn=spec.namn,
        beskrivning=" ".join(spec.beskrivning.split()) if spec.beskrivning else None,
        typ=spec.typ,
        entitet=spec.entitet,
        avsnitt=spec.avsnitt,
        fil=rd.file,
        rad=lines.line(rd.file, ("regler", rd.spec_index)),
        versions=versions,
        lagrum=_bases(spec.lagrum, statutes, texts),
        anvands_av=tuple(sorted(readers)),
    )


def build(bundle: engine.RuleBundle, texts: Lagtexter) -> Catalogue:
    """The whole catalogue of ``bundle``: every version of every rule, every dated value, every control."""
    statutes = bundle.manifest.forfattningar
    lines = _Lines(bundle.files)
    rule_readers, norm_readers = _readers(bundle)
    titles = dict(bundle.manifest.avsnitt)
    by_section: dict[str, list[RuleView]] = {}
    for rd in sorted(bundle.rules.values(), key=lambda r: r.index):
        key = rd.spec.avsnitt or ""
        by_section.setdefault(key, []).append(_rule(rd, bundle, texts, lines, rule_readers.get(rd.spec.id, set())))
    order = [k for k in titles if k in by_section] + sorted(k for k in by_section if k not in titles and k)
    if "" in by_section:
        order.append("")
    sections = tuple(
        Section(k or "ovriga", titles.get(k, "Hjälpregler") if k else "Hjälpregler", tuple(by_section[k]))
        for k in order
    )
    derived_from: dict[str, set[str]] = {}
    for nid, nd in bundle.norms.items():
        for e in nd.entries:
            if e.derivation is not None:
                derived_from.setdefault(nid, set()).update({e.derivation.source, *e.derivation.compiled.norms})
    norms = []
    for nid, nd in sorted(bundle.norms.items()):
        spec = nd.spec
        norms.append(
            NormView(
                id=nid,
                namn=spec.namn,
                beskrivning=" ".join(spec.beskrivning.split()) if spec.beskrivning else None,
                typ=spec.typ,
                enhet=spec.enhet,
                utgivare=" ".join(spec.utgivare.split()) if spec.utgivare else None,
                fil=nd.file,
                rad=lines.line(nd.file, nd.prefix) if nd.prefix else None,
                values=tuple(
                    _value(nd, e, bundle, statutes, texts, span)
                    for e in nd.entries
                    for span in _spans(e.spec, _input_days(nid, bundle, derived_from) if e.derivation else [])
                ),
                anvands_av=tuple(sorted(norm_readers.get(nid, set()))),
                harleds_fran=tuple(sorted(derived_from.get(nid, set()))),
            )
        )
    controls = []
    for c in bundle.controls.controls if bundle.controls else []:
        s = c.spec
        controls.append(
            ControlView(
                id=s.id,
                kod=s.kod,
                namn=s.namn,
                beskrivning=s.beskrivning,
                fakta=s.fakta,
                villkor=s.villkor,
                allvarlighet=ALLVARLIGHET_SV.get(s.allvarlighet, s.allvarlighet),
                meddelande=" ".join(s.meddelande.split()),
                giltig_fran=s.giltig_fran,
                giltig_till=s.giltig_till,
                fil=c.file,
                rad=lines.find(c.file, "kontroller", s.id),
                lagrum=_bases(s.lagrum, statutes, texts),
            )
        )
    return Catalogue(
        id=bundle.id,
        namn=bundle.manifest.namn,
        version=bundle.version,
        hash=bundle.hash,
        sections=sections,
        norms=tuple(norms),
        controls=tuple(controls),
        kommuner=_kommun_names(bundle.files),
        forfattningar={sfs: f"{f.namn} ({sfs})" for sfs, f in statutes.items()},
        lagtexter=texts,
    )


def _input_days(nid: str, bundle: engine.RuleBundle, derived_from: Mapping[str, set[str]]) -> list[date]:
    """The days on which a derived amount's inputs (and theirs) change."""
    days: set[date] = set()
    seen: set[str] = set()
    todo = list(derived_from.get(nid, ()))
    while todo:
        n = todo.pop()
        if n in seen or n not in bundle.norms:
            continue
        seen.add(n)
        todo.extend(derived_from.get(n, ()))
        for e in bundle.norms[n].entries:
            days.add(e.spec.giltig_fran)
            if e.spec.giltig_till is not None:
                days.add(e.spec.giltig_till + timedelta(days=1))
    return sorted(days)


def _spans(d: Dated, cuts: Sequence[date]) -> list[tuple[date, date | None]]:
    """``d``'s span cut at ``cuts`` (days a new sub-span begins)."""
    inside = [c for c in cuts if d.giltig_fran < c and (d.giltig_till is None or c <= d.giltig_till)]
    starts: list[date] = [d.giltig_fran, *inside]
    ends: list[date | None] = [*(s - timedelta(days=1) for s in inside), d.giltig_till]
    return list(zip(starts, ends, strict=True))


def _kommun_names(files: Mapping[str, str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, text in sorted(files.items()):
        if name.startswith("regelverk/kommuner/") and name.endswith(".yaml"):
            try:
                data = load_yaml(text, name).data
            except YamlSyntaxError:
                continue
            if isinstance(data, dict) and isinstance(data.get("kommun"), str):
                out[data["kommun"]] = str(data.get("namn") or data["kommun"])
    return out
