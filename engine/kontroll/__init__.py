"""Control rules: deviations a caseworker must look at, evaluated by durable-rules.

``regelverk/kontroll/`` holds the controls (``kontroller``), their parameters (control and
comparison periods, tolerances) and the mapping of agency benefits to the contract's income
types. Each control names one kind of fact and a condition; every fact that satisfies it gives a
deviation ``{kod, allvarlighet, person, kalla, meddelande, lagrum}``, recorded in the trace too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from engine import _template
from engine._agency import PersonAgencyData
from engine._expression import FormulaError
from engine._input import Facts
from engine._lagrum import render_references
from engine._period import Month
from engine._rulefiles import Forfattning, KommunTroskel
from engine._template_text import text as _text
from engine.kontroll._condition import Cond, attributes, holds, parse_condition, to_durable
from engine.kontroll._durable import DurableRuleset
from engine.kontroll._facts import FACT_TYPES, BenefitMapper, build_facts, cost_facts
from engine.kontroll._model import BenefitFile, Control, ControlFile, ParameterFile

KONTROLL_DIR = "regelverk/kontroll/"
PARAMETERS = KONTROLL_DIR + "parametrar.yaml"
BENEFITS = KONTROLL_DIR + "formaner.yaml"
REQUIRED_PARAMETERS = ("kontrollperiod", "jamforelseperiod", "inkomstandring_procent")


@dataclass
class CompiledControl:
    spec: Control
    file: str
    condition: Cond
    pattern: dict[str, Any]
    message: _template.Renderer


@dataclass
class ControlSet:
    controls: list[CompiledControl]
    params: dict[str, Any]
    mapper: BenefitMapper
    statutes: Mapping[str, Forfattning]
    base_name: str = "ekbist_kontroll"
    _rulesets: dict[tuple[str, ...], DurableRuleset] = field(default_factory=dict)
    _active: dict[date, list[CompiledControl]] = field(default_factory=dict)
    _attrs: dict[tuple[str, ...], dict[str, tuple[str, ...]]] = field(default_factory=dict)
    _lagrum: dict[tuple[str, date], list[str]] = field(default_factory=dict)

    def active(self, day: date) -> list[CompiledControl]:
        found = self._active.get(day)
        if found is None:
            found = [
                c
                for c in self.controls
                if c.spec.giltig_fran <= day and (c.spec.giltig_till is None or day <= c.spec.giltig_till)
            ]
            self._active[day] = found
        return found

    def question_start(self, period: Month) -> Month:
        """The first month to ask SSBTEK about: the comparison month (M−2), or further back to the month
        studiehjälp was paid before the summer when ``period`` is the seasonal check's month
        (``studiehjalp_ansokningsmanad``, ``studiehjalp_utbetald_manad`` in parametrar.yaml)."""
        start = period - 2
        check = int(self.params.get("studiehjalp_ansokningsmanad", 0) or 0)
        paid = int(self.params.get("studiehjalp_utbetald_manad", 0) or 0)
        if check and period.month == check and 1 <= paid <= 12:
            back = Month.of(period.year if paid <= check else period.year - 1, paid)
            start = min(start, back, key=lambda m: m.index)
        return start

    def facts(
        self, app: Facts, agency: Mapping[str, PersonAgencyData], values: Mapping[str, int]
    ) -> list[dict[str, Any]]:
        return build_facts(app, agency, values, self.params, self.mapper)

    def matches(
        self, controls: Sequence[CompiledControl], facts: Sequence[Mapping[str, Any]], *, reference: bool = False
    ) -> list[tuple[CompiledControl, int]]:
        """(control, fact index) pairs; by durable-rules, or by the plain reference evaluation."""
        by_id = {c.spec.id: c for c in controls}
        if reference:
            hits = {
                (c.spec.id, i)
                for c in controls
                for i, f in enumerate(facts)
                if f.get("fakta") == c.spec.fakta and holds(c.condition, f)
            }
        else:
            key = tuple(sorted(by_id))
            ruleset = self._rulesets.get(key)
            if ruleset is None:
                ruleset = DurableRuleset(self.base_name, {c.spec.id: c.pattern for c in controls})
                self._rulesets[key] = ruleset
            # durable-rules gets only the attributes the conditions read (less to encode and match);
            # facts of a kind no active control is about are not sent at all.
            needed = self._needed(key, controls)
            index: list[int] = []
            sent: list[dict[str, Any]] = []
            for i, f in enumerate(facts):
                attrs = needed.get(f["fakta"])
                if attrs is not None:
                    index.append(i)
                    slim = {a: f[a] for a in attrs}
                    slim["fakta"] = f["fakta"]
                    sent.append(slim)
            # No fact of a kind any control is about (an application without agency data, say):
            # nothing can match, so the Rete session is not opened at all.
            hits = {(cid, index[j]) for cid, j in ruleset.evaluate(sent)} if sent else set()
        order = {c.spec.id: n for n, c in enumerate(controls)}
        return [(by_id[cid], i) for cid, i in sorted(hits, key=lambda h: (h[1], order[h[0]]))]

    def _needed(self, key: tuple[str, ...], controls: Sequence[CompiledControl]) -> dict[str, tuple[str, ...]]:
        needed = self._attrs.get(key)
        if needed is None:
            sets: dict[str, set[str]] = {}
            for c in controls:
                sets.setdefault(c.spec.fakta, set()).update(attributes(c.condition))
            needed = {k: tuple(sorted(v)) for k, v in sets.items()}
            self._attrs[key] = needed
        return needed

    def evaluate(
        self,
        app: Facts,
        agency: Mapping[str, PersonAgencyData],
        values: Mapping[str, int],
        extra: Sequence[dict[str, Any]] = (),
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """Deviations and their trace entries for one computed application."""
        month: Month = app.period
        controls = self.active(month.first_day)
        if not controls:
            return [], []
        if agency:
            # Agency data was used: an adult without any answer has every source missing.
            agency = dict(agency)
            for p in app.persons:
                if p.roll != "barn" and p.id not in agency:
                    agency[p.id] = PersonAgencyData(p.id, {})
        facts = self.facts(app, agency, values) + list(extra)
        deviations: list[dict[str, Any]] = []
        trace: list[dict[str, Any]] = []
        for control, i in self.matches(controls, facts):
            fact = facts[i]
            lagrum = self.lagrum(control.spec, month.first_day)
            text = control.message(_lookup(fact, self.params), _text)
            text = text[:1].upper() + text[1:]
            deviations.append(
                {
                    "kod": control.spec.kod,
                    "allvarlighet": control.spec.allvarlighet,
                    "person": fact.get("person"),
                    "kalla": fact.get("kalla", ""),
                    "meddelande": text,
                    "lagrum": "; ".join(lagrum),
                    "regel": control.spec.id,
                    "rubrik": control.spec.namn,  # the deviation as a Swedish heading; the code stays
                }
            )
            trace.append(
                {
                    "regel": f"kontroll.{control.spec.id}",
                    "namn": control.spec.namn,
                    "version": control.spec.giltig_fran.isoformat(),
                    "person": fact.get("person"),
                    "varde": True,
                    "indata": {k: v for k, v in fact.items() if k != "fakta"},
                    "lagrum": lagrum,
                    "avsnitt": "avvikelser",
                    "forklaring": text,
                }
            )
        trace.extend(_passed_over(facts))
        return deviations, trace

    def lagrum(self, spec: Control, day: date) -> list[str]:
        key = (spec.id, day)
        found = self._lagrum.get(key)
        if found is None:
            found = self._lagrum[key] = self._render_lagrum(spec, day)
        return found

    def _render_lagrum(self, spec: Control, day: date) -> list[str]:
        for lag in spec.lagrum:
            if lag.covers(day):
                refs = render_references(lag.hanvisningar, self.statutes)
                if lag.konvention:
                    refs.append(f"Konvention: {lag.konvention}")
                return refs
        return []


def _passed_over(facts: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Benefits the rule files say are not income: no deviation, but named in the trace with the reason."""
    return [
        {
            "regel": "kontroll.forman_raknas_inte",
            "namn": "Förmån som inte räknas som inkomst",
            "version": "formaner.yaml",
            "person": f.get("person"),
            "varde": False,
            "indata": {k: v for k, v in f.items() if k != "fakta"},
            "lagrum": [],
            "avsnitt": "avvikelser",
            "forklaring": (
                f"{f['kallnamn']} betalade ut {f['forman']} med {f['utbetalt_kontroll']} kr under "
                f"{f['kontrollperiod']}; den räknas inte som inkomst och förbigås ({f['mappning']})"
            ),
        }
        for f in facts
        if f.get("fakta") == "forman" and f.get("behandling") == "raknas_inte"
    ]


def _lookup(fact: Mapping[str, Any], params: Mapping[str, Any]) -> Any:
    def get(key: str) -> object:
        if key.startswith("param."):
            return params.get(key[6:], "")
        return fact.get(key, "")

    return get


def load_controls(
    ld: Any,
    files: Mapping[str, str],
    statutes: Mapping[str, Forfattning],
    kommun_thresholds: Mapping[str, Sequence[KommunTroskel]] | None = None,
) -> ControlSet | None:
    """Load and check regelverk/kontroll/; problems go to the bundle loader ``ld``."""
    names = sorted(f for f in files if f.startswith(KONTROLL_DIR))
    if not names:
        return ControlSet([], {}, BenefitMapper([]), statutes)
    params: dict[str, Any] = {}
    mappings: list[Any] = []
    quality: list[Any] = []
    specs: list[tuple[str, int, Control]] = []
    for file in names:
        data = ld.parse(file)
        if file == PARAMETERS:
            pf: ParameterFile | None = ld.model(file, ParameterFile, data)
            if pf:
                params = {k: _number(p.varde) for k, p in pf.parametrar.items()}
        elif file == BENEFITS:
            bf: BenefitFile | None = ld.model(file, BenefitFile, data)
            if bf:
                mappings = list(bf.formaner)
                quality = list(bf.svarskvalitet)
                _check_types(ld, file, mappings)
        else:
            cf: ControlFile | None = ld.model(file, ControlFile, data)
            if cf:
                specs.extend((file, i, c) for i, c in enumerate(cf.kontroller))
    if PARAMETERS not in files:
        ld.problem(PARAMETERS, (), f"filen saknas ({', '.join(REQUIRED_PARAMETERS)} måste anges)")
    for p in REQUIRED_PARAMETERS:
        if params and p not in params:
            ld.problem(PARAMETERS, ("parametrar",), f"parametern '{p}' saknas")
    compiled: list[CompiledControl] = []
    seen: dict[str, str] = {}
    for file, i, spec in specs:
        where = ("kontroller", i)
        if spec.id in seen:
            ld.problem(file, (*where, "id"), f"kontrollen '{spec.id}' finns redan i {seen[spec.id]}")
            continue
        seen[spec.id] = file
        attrs = FACT_TYPES.get(spec.fakta)
        if attrs is None:
            ld.problem(
                file, (*where, "fakta"), f"okänd faktatyp '{spec.fakta}' (finns: {', '.join(sorted(FACT_TYPES))})"
            )
            continue
        try:
            cond = parse_condition(spec.villkor, attrs, params)
        except FormulaError as exc:
            col = f" (tecken {exc.col + 1})" if exc.col is not None else ""
            ld.problem(file, (*where, "villkor"), f"{exc.message}{col}: {spec.villkor.strip()}")
            continue
        try:
            parts = _template.parse(spec.meddelande)
        except _template.TemplateError as exc:
            ld.problem(file, (*where, "meddelande"), f"meddelandet: {exc}")
            continue
        unknown = sorted(
            k for k in _template.keys(parts) if k not in attrs and not (k.startswith("param.") and k[6:] in params)
        )
        for k in unknown:
            ld.problem(file, (*where, "meddelande"), f"{{{k}}} finns inte i faktat '{spec.fakta}'")
        if not any(lag.covers(spec.giltig_fran) for lag in spec.lagrum):
            ld.problem(file, (*where, "lagrum"), f"inget lagrum gäller {spec.giltig_fran}")
        pattern = {"$and": [{"fakta": spec.fakta}, to_durable(cond)]}
        compiled.append(CompiledControl(spec, file, cond, pattern, _template.compile_parts(parts)))
    for p in SEASON_PARAMETERS[1:] if params.get(SEASON_PARAMETERS[0]) else ():
        if not 1 <= int(params.get(p, 0)) <= 12:
            ld.problem(PARAMETERS, ("parametrar", p), f"parametern '{p}' ska vara en månad 1–12")
    return ControlSet(compiled, params, BenefitMapper(mappings, quality, kommun_thresholds), statutes)


SEASON_PARAMETERS = ("studiehjalp_ansokningsmanad", "studiehjalp_utbetald_manad", "studiehjalp_forvantad_manad")


def _check_types(ld: Any, file: str, mappings: Sequence[Any]) -> None:
    from engine._input import INCOME_TYPE_SV

    for i, m in enumerate(mappings):
        for t in m.types:
            if t not in INCOME_TYPE_SV:
                ld.problem(file, ("formaner", i, "typ"), f"okänd inkomsttyp '{t}'; typer: {', '.join(INCOME_TYPE_SV)}")


def _number(v: Any) -> Any:
    i = int(v)
    return i if i == v else float(v)


__all__ = [
    "FACT_TYPES",
    "ControlSet",
    "cost_facts",
    "load_controls",
]
