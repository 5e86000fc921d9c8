"""Dated amounts (``normer/``): stored values, derived values, and their resolution for a day.

A value is either entered (``varde`` or ``rader``) or derived from another norm by a formula
applied to each amount (from 2027 the riksnorm is the reference value × jämförelsetal × 1.02,
rounded to tens: SoF 2025:468 12 kap. 1 b §). A derived value may carry the amounts the
government published (``publicerat``); ``ekbist validera`` reports every difference.

Resolution is lazy and explains itself: when a value cannot be had for a day, the message
names the value that is missing at the root (the jämförelsetal, say) and who publishes it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from engine._expression import Compiled, Ctx, FormulaError, FunctionDef, Symbol, T, compile_formula
from engine._functions import FUNCTIONS, Table
from engine._money import is_whole
from engine._rulefiles import Kalla, Norm, NormValue, Published

Report = Callable[[tuple[str | int, ...], str], None]


def int_if_whole(value: Decimal | None) -> Any:
    """Whole amounts are kept as int (exact, and faster than Decimal); fractions stay Decimal."""
    if value is not None and is_whole(value):
        return int(value)
    return value


@dataclass
class Derivation:
    source: str
    compiled: Compiled
    text: str
    columns: tuple[str, ...]


@dataclass
class NormEntry:
    spec: NormValue
    runtime: Any  # int | Decimal | Table for entered values; None when derived
    source_text: str
    derivation: Derivation | None = None
    published: Any = None  # runtime form of the published amounts, when entered


@dataclass
class NormDef:
    spec: Norm
    file: str
    index: int
    entries: list[NormEntry] = field(default_factory=list)
    prefix: tuple[str | int, ...] = ()  # where the norm is in its file: ("normer", i) or ("tak", i)

    def entry_on(self, day: date) -> NormEntry | None:
        for e in self.entries:
            if e.spec.covers(day):
                return e
        return None


def _table(n: Norm, rows: list[dict[str, Decimal | None]], report: Report, where: tuple[str | int, ...]) -> Table:
    cols = tuple(n.kolumner or ())
    out: list[dict[str, Any]] = []
    for ri, row in enumerate(rows):
        unknown = [k for k in row if k not in cols]
        if unknown:
            report((*where, ri), f"okänd kolumn {', '.join(unknown)}; kolumner: {', '.join(cols)}")
        if row.get(cols[0]) is None:
            report((*where, ri), f"raden saknar nyckelkolumnen {cols[0]}")
        out.append({c: int_if_whole(row.get(c)) for c in cols})
    return Table(n.id, cols, tuple(out), n.namn)


def _runtime(
    n: Norm,
    value: Decimal | None,
    rows: list[dict[str, Decimal | None]] | None,
    report: Report,
    where: tuple[str | int, ...],
) -> Any:
    if n.typ == "tabell":
        return _table(n, rows or [], report, (*where, "rader"))
    if n.typ == "belopp" and value is not None and not is_whole(value):
        report((*where, "varde"), "ett belopp anges i hela kronor")
    return int_if_whole(value)


def load_norm(n: Norm, file: str, index: int, render: Callable[[Kalla], str], report: Report) -> NormDef:
    nd = NormDef(n, file, index)
    for vi, v in enumerate(n.varden):
        where: tuple[str | int, ...] = ("varden", vi)
        runtime = None if v.harleds is not None else _runtime(n, v.varde, v.rader, report, where)
        published = None
        if v.publicerat is not None:
            if v.harleds is None:
                report((*where, "publicerat"), "publicerade belopp anges bara för härledda värden (harleds)")
            published = _runtime(n, v.publicerat.varde, v.publicerat.rader, report, (*where, "publicerat"))
        nd.entries.append(NormEntry(v, runtime, render(v.kalla), published=published))
    return nd


class _DerivationNames:
    def __init__(self, norms: Mapping[str, NormDef]) -> None:
        self.norms = norms

    def symbol(self, name: str) -> Symbol | None:
        return Symbol("rule", "varde", T.NUM, "hushall") if name == "varde" else None

    def norm(self, norm_id: str) -> Symbol | None:
        nd = self.norms.get(norm_id)
        if nd is None or nd.spec.typ == "tabell":
            return None
        return Symbol("norm", norm_id, T.NUM, "hushall")

    def function(self, name: str) -> FunctionDef | None:
        return FUNCTIONS.get(name)


def compile_derivations(
    norms: Mapping[str, NormDef],
    report: Callable[[NormDef, tuple[str | int, ...], str], None],
    *,
    some_files_broken: bool = False,
) -> None:
    """Compile each ``harleds``; with norm files that failed to load, a missing source is not
    reported again (it is most likely in the broken file, already reported with its line)."""
    names = _DerivationNames(norms)
    for nd in norms.values():
        for vi, e in enumerate(nd.entries):
            h = e.spec.harleds
            if h is None:
                continue
            where: tuple[str | int, ...] = ("varden", vi, "harleds")
            src = norms.get(h.fran)
            if src is None:
                if not some_files_broken:
                    report(nd, (*where, "fran"), f"normen '{h.fran}' finns inte")
                continue
            if src.spec.typ != nd.spec.typ and not (src.spec.typ != "tabell" and nd.spec.typ != "tabell"):
                report(nd, (*where, "fran"), f"'{h.fran}' är {src.spec.typ}, men '{nd.spec.id}' är {nd.spec.typ}")
                continue
            cols: tuple[str, ...] = ()
            if nd.spec.typ == "tabell":
                if tuple(src.spec.kolumner or ()) != tuple(nd.spec.kolumner or ()):
                    report(nd, (*where, "fran"), f"'{h.fran}' har andra kolumner än '{nd.spec.id}'")
                    continue
                cols = tuple(h.kolumner or ())
                bad = [c for c in cols if c not in (nd.spec.kolumner or ())]
                if not cols or bad:
                    report(nd, (*where, "kolumner"), "ange vilka kolumner (belopp) formeln ska räkna om")
                    continue
            try:
                compiled = compile_formula(h.formel, "hushall", names)
            except FormulaError as exc:
                report(nd, (*where, "formel"), f"{exc.message}: {h.formel.strip()}")
                continue
            if compiled.type is not T.NUM:
                report(nd, (*where, "formel"), "formeln ska ge ett tal")
                continue
            e.derivation = Derivation(h.fran, compiled, " ".join(h.formel.split()), cols)


class MissingValue(Exception):
    """A norm has no value for the day; ``message`` names the root cause for people."""

    def __init__(self, norm_id: str, message: str) -> None:
        super().__init__(message)
        self.norm_id = norm_id
        self.message = message


class NormResolver:
    """Values of norms for one day, derived where needed, with overrides for previews."""

    def __init__(
        self,
        norms: Mapping[str, NormDef],
        day: date,
        overrides: Mapping[str, Decimal],
        period_sv: str,
        assumed: Mapping[str, Decimal] | None = None,
    ):
        self.norms = norms
        self.day = day
        self.overrides = overrides
        self.assumed = assumed or {}
        self.period_sv = period_sv
        self._values: dict[str, Any] = {}
        self.info: dict[str, dict[str, Any]] = {}
        self.overrides_used: set[str] = set()

    def value(self, norm_id: str) -> Any:
        if norm_id in self._values:
            return self._values[norm_id]
        nd = self.norms[norm_id]
        if norm_id in self.assumed:
            v_assumed: Any = int_if_whole(self.assumed[norm_id])
            self.info[norm_id] = {
                "namn": nd.spec.namn,
                "varde": _json(v_assumed),
                "antagande": True,
                "kalla": "antaget i en vad-händer-om-beräkning, inte ett fastställt värde",
            }
            self._values[norm_id] = v_assumed
            return v_assumed
        if norm_id in self.overrides:
            v: Any = int_if_whole(self.overrides[norm_id])
            self.overrides_used.add(norm_id)
            self.info[norm_id] = {
                "namn": nd.spec.namn,
                "varde": _json(v),
                "forhandsvisning": True,
                "kalla": "angivet för förhandsberäkning, inte ett fastställt värde",
            }
        else:
            entry = nd.entry_on(self.day)
            if entry is None:
                raise MissingValue(norm_id, self._missing_message(nd))
            v = self._derive(nd, entry, entry.derivation) if entry.derivation is not None else entry.runtime
            item: dict[str, Any] = {
                "namn": nd.spec.namn,
                "giltig_fran": entry.spec.giltig_fran.isoformat(),
                "giltig_till": entry.spec.giltig_till.isoformat() if entry.spec.giltig_till else None,
                "kalla": entry.source_text,
            }
            if not isinstance(v, Table):
                item["varde"] = _json(v)
            if entry.derivation is not None:
                d = entry.derivation
                item["harledning"] = f"{d.text}, där varde är {d.source}"
                if any(n in self.overrides_used for n in d.compiled.norms):
                    item["forhandsvisning"] = True
                if d.source in self.assumed or any(n in self.assumed for n in d.compiled.norms):
                    item["antagande"] = True
            if entry.spec.anmarkning:
                item["anmarkning"] = entry.spec.anmarkning
            self.info[norm_id] = item
        self._values[norm_id] = v
        return v

    def _derive(self, nd: NormDef, entry: NormEntry, d: Derivation) -> Any:
        try:
            source = self.value(d.source)
            inputs = {n: self.value(n) for n in d.compiled.norms}
        except MissingValue as exc:
            raise MissingValue(
                exc.norm_id, f"{exc.message}; det behövs för att räkna fram '{nd.spec.id}' ({nd.spec.namn})"
            ) from None
        return derive(d, source, inputs)

    def _missing_message(self, nd: NormDef) -> str:
        spans = ", ".join(
            f"{e.spec.giltig_fran}–{e.spec.giltig_till}" if e.spec.giltig_till else f"från {e.spec.giltig_fran}"
            for e in nd.entries
        )
        msg = f"värdet '{nd.spec.id}' ({nd.spec.namn}) är inte inmatat för {self.period_sv}"
        if spans:
            msg += f"; inmatade värden gäller {spans}"
        if nd.spec.utgivare:
            msg += f"; värdet fastställs av {nd.spec.utgivare}"
        return msg


def derive(d: Derivation, source: Any, inputs: Mapping[str, Any]) -> Any:
    """Apply a derivation formula to a scalar, or to the given columns of every table row."""
    ctx = Ctx(None, inputs)

    def apply(x: Any) -> Any:
        ctx.values["varde"] = x
        return int_if_whole(Decimal(d.compiled.fn(ctx)))

    if isinstance(source, Table):
        rows = tuple(
            {c: (apply(v) if c in d.columns and v is not None else v) for c, v in row.items()} for row in source.rows
        )
        return Table(source.id, source.columns, rows, source.title)
    return apply(source)


def published_differences(nd: NormDef, entry: NormEntry, derived: Any) -> list[str]:
    """Where the government's published amounts differ from the derived ones."""
    pub = entry.published
    if isinstance(derived, Table) and isinstance(pub, Table):
        out = []
        if len(pub.rows) != len(derived.rows):
            return [f"publicerad tabell har {len(pub.rows)} rader, härledd {len(derived.rows)}"]
        for i, (a, b) in enumerate(zip(pub.rows, derived.rows, strict=True)):
            for c in nd.spec.kolumner or ():
                if a.get(c) != b.get(c):
                    out.append(f"rad {i + 1} ({c}): publicerat {a.get(c)}, härlett {b.get(c)}")
        return out
    return [] if pub == derived else [f"publicerat {pub}, härlett {derived}"]


def _json(v: Any) -> Any:
    if type(v) is Decimal:
        i = int(v)
        return i if i == v else float(v)
    return v


__all__ = [
    "Derivation",
    "MissingValue",
    "NormDef",
    "NormEntry",
    "NormResolver",
    "Published",
    "compile_derivations",
    "derive",
    "int_if_whole",
    "load_norm",
    "published_differences",
]
