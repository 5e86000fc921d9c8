"""Försörjningshinder: the dated code lists and a suggested code per adult, explained.

``regelverk/statistik/forsorjningshinder.yaml`` holds the code lists (2017–, and 2010–2016 for old
data) and the register's household types, dated like any amount. ``regelverk/statistik/forslag.yaml``
holds the rules that suggest a code: ordered conditions over what is known of each adult (the
application's incomes and situation, and what the agencies paid in the control period), the first
that holds wins; none holding gives "ingen säker bedömning". A suggestion is never a decision: the
caseworker chooses the code, in the decision.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from itertools import pairwise
from typing import Any

from engine import _template
from engine._expression import FormulaError
from engine._input import INCOME_TYPES, Facts
from engine._template_text import text as _text
from engine.kontroll._condition import AttrType, Cond, attributes, compiled, parse_condition
from engine.statistik._model import Code, CodeFile, CodeList, SuggestionFile

STATISTIK_DIR = "regelverk/statistik/"
CODES = STATISTIK_DIR + "forsorjningshinder.yaml"
SUGGESTIONS = STATISTIK_DIR + "forslag.yaml"
NO_ASSESSMENT = "ingen säker bedömning"

# What a suggestion rule may read about an adult (see adult_facts).
ATTRIBUTES: dict[str, AttrType] = {
    "person": "text",
    "roll": "text",
    "alder": "tal",
    **dict.fromkeys(INCOME_TYPES, "tal"),
    "inskriven_af": "villkor",
    "af_svar": "villkor",
    "arbetstimmar": "tal",
    "insatstimmar": "tal",
    "foraldraledig": "villkor",
    "riktalder_uppnadd": "villkor",
    "forman_omfattning_procent": "tal",
    "sjukskriven": "villkor",
    "lakarintyg": "villkor",
    "forsorjningsstod": "tal",
}


_SHOWN = tuple(sorted(k for k in ATTRIBUTES if k not in ("person", "roll")))


@dataclass
class CompiledSuggestion:
    id: str
    kod: str
    start: date
    end: date | None
    condition: Cond
    reads: tuple[str, ...]
    reason: _template.Renderer
    test: Callable[[Mapping[str, Any]], bool] = field(default=lambda fact: False)

    def __post_init__(self) -> None:
        self.test = compiled(self.condition)


@dataclass
class StatistikSet:
    lists: list[CodeList]
    household_types: list[CodeList]
    rules: list[CompiledSuggestion]
    source: str
    no_assessment: str
    params: dict[str, Any]
    _by_day: dict[date, tuple[dict[str, Code], list[CompiledSuggestion]]] = field(default_factory=dict)

    def _on_day(self, day: date) -> tuple[dict[str, Code], list[CompiledSuggestion]]:
        """The codes and the rules in force on ``day`` (cached: a month's applications share them)."""
        found = self._by_day.get(day)
        if found is None:
            codes = self.codes_on(day)
            rules = [r for r in self.rules if r.start <= day and (r.end is None or day <= r.end) and r.kod in codes]
            if len(self._by_day) > 1024:
                self._by_day.clear()
            found = self._by_day[day] = (codes, rules)
        return found

    def list_on(self, day: date) -> CodeList | None:
        return _on(self.lists, day)

    def codes_on(self, day: date) -> dict[str, Code]:
        found = self.list_on(day)
        return {c.kod: c for c in found.koder} if found else {}

    def household_types_on(self, day: date) -> dict[str, Code]:
        found = _on(self.household_types, day)
        return {c.kod: c for c in found.koder} if found else {}

    def suggest(
        self, app: Facts, values: Mapping[str, int], control_facts: Sequence[Mapping[str, Any]] = ()
    ) -> tuple[dict[str, dict[str, Any]], list[dict[str, Any]]]:
        """A suggested code per adult, and a trace entry for each saying why."""
        codes, rules = self._on_day(app.period.first_day)
        out: dict[str, dict[str, Any]] = {}
        trace: list[dict[str, Any]] = []
        if not codes:
            return out, trace
        for fact in adult_facts(app, values, control_facts):
            pid = fact["person"]
            hit = next((r for r in rules if r.test(fact)), None)
            if hit is None:
                entry = {"kod": None, "text": NO_ASSESSMENT, "regel": None, "skal": self.no_assessment}
                reads = {k: fact[k] for k in _SHOWN if fact[k]}
            else:
                reason = hit.reason(_lookup(fact, self.params), _text)
                entry = {"kod": hit.kod, "text": codes[hit.kod].text, "regel": hit.id, "skal": reason}
                reads = {k: fact[k] for k in hit.reads}
            out[pid] = entry
            shown = f"{entry['kod']} {entry['text']}" if entry["kod"] else NO_ASSESSMENT.capitalize()
            trace.append(
                {
                    "regel": f"statistik.{hit.id}" if hit else "statistik.ingen_bedomning",
                    "namn": "Försörjningshinder, förslag till statistiken",
                    "version": hit.start.isoformat() if hit else "forslag.yaml",
                    "person": pid,
                    "varde": entry["kod"],
                    "indata": reads,
                    "lagrum": [self.source],
                    "avsnitt": "statistik",
                    "forklaring": f"{shown}: {entry['skal']}",
                }
            )
        return out, trace


def _on(lists: Sequence[CodeList], day: date) -> CodeList | None:
    for item in lists:
        if item.giltig_fran <= day and (item.giltig_till is None or day <= item.giltig_till):
            return item
    return None


def _lookup(fact: Mapping[str, Any], params: Mapping[str, Any]) -> Any:
    def get(key: str) -> object:
        if key.startswith("param."):
            return params.get(key[6:], "")
        return fact.get(key, "")

    return get


def adult_facts(
    app: Facts, values: Mapping[str, int], control_facts: Sequence[Mapping[str, Any]] = ()
) -> list[dict[str, Any]]:
    """What is known of each adult: incomes (the larger of what was declared and what the agencies paid
    in the control period), registration at Arbetsförmedlingen, work and situation, the household's aid."""
    paid: dict[tuple[str, str], int] = {}
    registered: dict[str, bool] = {}
    for f in control_facts:
        kind = f.get("fakta")
        if kind == "inkomst" and f.get("typ"):
            key = (str(f["person"]), str(f["typ"]))
            paid[key] = paid.get(key, 0) + int(f.get("utbetalt_kontroll") or 0)
        elif kind == "arbetssokande":
            registered[str(f["person"])] = registered.get(str(f["person"]), False) or bool(f.get("inskriven"))
    out = []
    for p in app.persons:
        if p.roll == "barn":
            continue
        spec = p.spec
        jobs = list(spec.sysselsattning) if spec is not None else []
        fact: dict[str, Any] = {"person": p.id, "roll": p.roll, "alder": p.alder}
        income = p.income
        if paid:
            for t in INCOME_TYPES:
                fact[t] = max(income.get(t, 0), paid.get((p.id, t), 0))
        else:  # no agency answers (most calculations): what was declared
            for t in INCOME_TYPES:
                fact[t] = income.get(t, 0)
        fact["inskriven_af"] = registered.get(p.id, False)
        fact["af_svar"] = p.id in registered
        fact["arbetstimmar"] = sum(s.timmar_per_vecka for s in jobs if s.typ == "anstallning")
        fact["insatstimmar"] = sum(s.timmar_per_vecka for s in jobs if s.typ != "anstallning")
        fact["foraldraledig"] = bool(spec and spec.foraldraledig)
        fact["riktalder_uppnadd"] = bool(spec and spec.riktalder_uppnadd)
        fact["forman_omfattning_procent"] = spec.forman_omfattning_procent if spec else 0
        fact["sjukskriven"] = bool(spec and spec.sjukdom is not None)
        fact["lakarintyg"] = bool(spec and spec.sjukdom is not None and spec.sjukdom.lakarintyg_inlamnat)
        fact["forsorjningsstod"] = int(values.get("forsorjningsstod", 0))
        out.append(fact)
    return out


def load_statistik(ld: Any, files: Mapping[str, str]) -> StatistikSet | None:
    """Load and check ``regelverk/statistik/``; problems go to the bundle loader ``ld``; None without it."""
    if CODES not in files and SUGGESTIONS not in files:
        return None
    if CODES not in files or SUGGESTIONS not in files:
        missing = CODES if CODES not in files else SUGGESTIONS
        ld.problem(missing, (), "filen saknas (forsorjningshinder.yaml och forslag.yaml hör ihop)")
        return None
    cf: CodeFile | None = ld.model(CODES, CodeFile, ld.parse(CODES))
    sf: SuggestionFile | None = ld.model(SUGGESTIONS, SuggestionFile, ld.parse(SUGGESTIONS))
    if cf is None or sf is None:
        return None
    for name, lists in (("listor", cf.listor), ("hushallstyper", cf.hushallstyper)):
        ordered = sorted(range(len(lists)), key=lambda i: lists[i].giltig_fran)
        for a, b in pairwise(ordered):
            end = lists[a].giltig_till
            if end is None or end >= lists[b].giltig_fran:
                ld.problem(CODES, (name, b, "giltig_fran"), "listan överlappar en annan lista i tiden")
    params = {k: _number(p.varde) for k, p in sf.parametrar.items()}
    rules: list[CompiledSuggestion] = []
    seen: set[str] = set()
    for i, s in enumerate(sf.forslag):
        where = ("forslag", i)
        if s.id in seen:
            ld.problem(SUGGESTIONS, (*where, "id"), f"förslaget '{s.id}' finns redan")
            continue
        seen.add(s.id)
        in_force = _on(cf.listor, s.giltig_fran)
        if in_force is None or s.kod not in {c.kod for c in in_force.koder}:
            ld.problem(SUGGESTIONS, (*where, "kod"), f"koden {s.kod} finns inte i listan som gäller {s.giltig_fran}")
        try:
            cond = parse_condition(s.villkor, ATTRIBUTES, params)
        except FormulaError as exc:
            col = f" (tecken {exc.col + 1})" if exc.col is not None else ""
            ld.problem(SUGGESTIONS, (*where, "villkor"), f"{exc.message}{col}: {s.villkor.strip()}")
            continue
        try:
            parts = _template.parse(s.skal)
        except _template.TemplateError as exc:
            ld.problem(SUGGESTIONS, (*where, "skal"), f"skälet: {exc}")
            continue
        for k in _template.keys(parts):
            if k not in ATTRIBUTES and not (k.startswith("param.") and k[6:] in params):
                ld.problem(SUGGESTIONS, (*where, "skal"), f"{{{k}}} är inget som är känt om den vuxne")
        rules.append(
            CompiledSuggestion(
                s.id,
                s.kod,
                s.giltig_fran,
                s.giltig_till,
                cond,
                tuple(sorted(attributes(cond))),
                _template.compile_parts(parts),
            )
        )
    return StatistikSet(list(cf.listor), list(cf.hushallstyper), rules, sf.kalla, sf.ingen_bedomning, params)


def _number(v: Any) -> Any:
    i = int(v)
    return i if i == v else float(v)


__all__ = ["ATTRIBUTES", "CODES", "NO_ASSESSMENT", "STATISTIK_DIR", "SUGGESTIONS", "StatistikSet", "load_statistik"]
