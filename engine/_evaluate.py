"""Evaluation: from a bundle and a month to a plan, from a plan and an application to a result.

A plan fixes, for one month, which version of each rule is in force, the order to evaluate
them in, the dated amounts that apply and the legal references of the period. Plans are cached
per month, so computing an application is a single pass over precompiled closures that records
a trace entry per rule (and per person for person rules).

A period is refused, never approximated: if an output rule has no version in force, or a
rule in force needs an amount that is not entered for that day, the month is not covered.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

from engine import _template
from engine._assumptions import Assumptions
from engine._errors import EvaluationError, InputError, PeriodNotCovered, Problem
from engine._expression import Ctx, Fn, MissingNorm
from engine._functions import INPUTS
from engine._input import ROLE_SV, Facts, parse_application
from engine._norms import MissingValue, NormResolver
from engine._order import topological_order
from engine._period import Month
from engine._personnummer import mask
from engine._template_text import text as _text


class RuleBundle(Protocol):
    """What evaluation needs of a bundle (:class:`engine._bundle.RuleBundle` is one); declared here so
    that evaluation does not import the loader, which imports evaluation."""

    rules: dict[str, Any]
    norms: dict[str, Any]
    manifest: Any
    controls: Any

    @property
    def id(self) -> str: ...

    @property
    def version(self) -> str: ...

    @property
    def hash(self) -> str: ...

    def validity(self) -> tuple[Any, Any]: ...

    def plan(self, month: Any, overrides: Mapping[str, Decimal] | None = None, assumptions: Any = None) -> Any: ...


@dataclass
class PlannedRule:
    id: str
    name: str
    entity: str
    roles: frozenset[str] | None
    typ: str
    fn: Fn
    version: str
    lagrum: list[str]
    template: _template.Renderer | None
    visible: bool
    hide_zero: bool
    deduction: bool
    show_zero: bool
    unit: str | None
    section: str | None
    norms: list[str]
    requirement: tuple[str, _template.Renderer] | None = None  # field, message
    base: dict[str, Any] = field(default_factory=dict)  # the entry's static part, copied per entry

    def __post_init__(self) -> None:
        base: dict[str, Any] = {"regel": self.id, "namn": self.name, "version": self.version, "lagrum": self.lagrum}
        if self.norms:
            base["normer"] = self.norms
        if self.section:
            base["avsnitt"] = self.section
        if self.deduction:
            base["avdrag"] = True
        if self.show_zero:
            base["visa_noll"] = True
        if self.unit:
            base["enhet"] = self.unit
        if not self.visible:
            base["visas"] = False
        self.base.update(base)


@dataclass
class Plan:
    month: Month
    rules: list[PlannedRule]
    norms: dict[str, Any]
    norm_info: dict[str, dict[str, Any]]
    missing: dict[str, str]
    overrides: dict[str, Decimal]
    outputs: tuple[str, ...]
    bundle_ref: dict[str, str]
    sections: dict[str, str]
    assumptions: list[dict[str, Any]] = field(default_factory=list)


def build_plan(
    bundle: RuleBundle, month: Month, overrides: Mapping[str, Decimal], assumptions: Assumptions | None = None
) -> Plan:
    assumed = assumptions or Assumptions()
    day = month.first_day
    live = {rid: v for rid, rd in bundle.rules.items() if (v := rd.version_on(day)) is not None}
    problems: list[Problem] = []
    for out in bundle.manifest.utdata:
        if out not in live:
            problems.append(Problem("period", _no_rules_message(bundle, month, out)))
    if problems:
        raise PeriodNotCovered(problems[:1])
    for rid, v in live.items():
        for dep in sorted(v.compiled.rules - live.keys()):
            problems.append(Problem("period", f"regeln '{rid}' använder '{dep}', som inte gäller {month}"))

    for nid in overrides:
        nd = bundle.norms.get(nid)
        if nd is None or nd.spec.typ == "tabell":
            raise InputError([Problem(nid, f"'{nid}' är inget normvärde som kan anges för förhandsberäkning")])

    needed: set[str] = set()
    for v in live.values():
        needed |= v.compiled.norms
    resolver = NormResolver(bundle.norms, day, overrides, f"{month.name_sv()} ({month})", assumed.norms)
    norms: dict[str, Any] = {}
    missing: dict[str, str] = {}
    for nid in sorted(needed | {n for n in bundle.norms if n.startswith("kommun.")}):
        try:
            norms[nid] = resolver.value(nid)
        except MissingValue as exc:
            if nid in needed:
                missing[nid] = exc.message  # refused when, and only when, a rule reads it
    if problems:
        raise PeriodNotCovered(problems)

    statutes = bundle.manifest.forfattningar
    deps = {rid: v.compiled.rules & live.keys() for rid, v in live.items()}
    planned: list[PlannedRule] = []
    for rid in topological_order({r: bundle.rules[r] for r in live}, deps):
        rd, v = bundle.rules[rid], live[rid]
        spec = rd.spec
        fixed = rid in assumed.rules
        planned.append(
            PlannedRule(
                id=rid,
                name=spec.namn,
                entity=spec.entitet,
                roles=frozenset(spec.roller) if spec.roller else None,
                typ=spec.typ,
                fn=_constant(assumed.rules[rid]) if fixed else v.compiled.fn,
                version=v.spec.giltig_fran.isoformat(),
                lagrum=rd.lagrum_on(day, statutes),
                template=_template.compile_parts(v.template) if v.template and not fixed else None,
                visible=spec.visas,
                hide_zero=spec.dolj_noll,
                deduction=spec.avdrag,
                show_zero=spec.visa_noll,
                unit=spec.enhet,
                section=spec.avsnitt,
                norms=sorted(v.compiled.norms),
                requirement=(spec.krav.falt, _template.compile_parts(rd.requirement))
                if spec.krav and rd.requirement and not fixed
                else None,
            )
        )
        if fixed:
            planned[-1].base.update(antagande=True, forklaring="antaget värde i en vad-händer-om-beräkning")
    return Plan(
        month=month,
        rules=planned,
        norms=norms,
        norm_info=resolver.info,
        missing=missing,
        overrides={k: overrides[k] for k in sorted(resolver.overrides_used)},
        outputs=tuple(bundle.manifest.utdata),
        bundle_ref={"id": bundle.id, "version": bundle.version, "hash": bundle.hash},
        sections=dict(bundle.manifest.avsnitt),
        assumptions=assumed.listed(),
    )


def _constant(value: Any) -> Fn:
    fixed = int(value) if isinstance(value, Decimal) and value == value.to_integral_value() else value

    def run(ctx: Ctx) -> Any:
        return fixed

    return run


def _no_rules_message(bundle: RuleBundle, month: Month, out: str) -> str:
    start, end = bundle.validity()
    span = f"från {start}" if start else ""
    if end:
        span += f" till {end}"
    return (
        f"inga beräkningsregler gäller för {month.name_sv()} ({month}): regeln '{out}' saknar version för perioden; "
        f"regelverket {bundle.id} {bundle.version} gäller {span.strip()}"
    )


def calculate(
    bundle: RuleBundle,
    application: Any,
    *,
    overrides: Mapping[str, Decimal] | None = None,
    agency: Mapping[str, Any] | None = None,
    assumptions: Assumptions | None = None,
) -> Result:
    _, facts = parse_application(application)
    if agency:
        unknown = sorted(set(agency) - {p.id for p in facts.persons})
        if unknown:
            raise InputError(
                [Problem("ssbtek", f"myndighetssvar för '{u}', som inte finns i hushall") for u in unknown]
            )
    plan = bundle.plan(facts.period, overrides, assumptions)
    result = evaluate(plan, facts)
    if bundle.controls is not None:
        from engine.kontroll import cost_facts

        extra = cost_facts(result.trace)
        deviations, entries = bundle.controls.evaluate(facts, agency or {}, result.values, extra)
        result.avvikelser = deviations
        result.trace.extend(entries)
        result.protected = any(d["kod"] == PROTECTED_IDENTITY for d in deviations)
    statistik = getattr(bundle, "statistik", None)
    if statistik is not None:
        # what the agencies paid, as the controls read it: only when there are agency answers
        known = bundle.controls.facts(facts, agency, result.values) if agency and bundle.controls else []
        suggestions, entries = statistik.suggest(facts, result.values, known)
        if suggestions:
            result.extra["forsorjningshinder_forslag"] = suggestions
            result.trace.extend(entries)
    return result


PROTECTED_IDENTITY = "SKYDDAD_IDENTITET"
# Keys that carry address or location data; none of them leaves a result for a protected person.
LOCATION_KEYS = frozenset(
    {"kommun", "adress", "utdelningsadress", "postnummer", "postort", "folkbokford", "lan", "hemland", "land", "ort"}
)


def _without_location(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_location(v) for k, v in value.items() if k not in LOCATION_KEYS}
    if isinstance(value, list):
        return [_without_location(v) for v in value]
    return value


def evaluate(plan: Plan, facts: Facts) -> Result:
    ctx = Ctx(facts, plan.norms, plan.missing)
    ctx.person_values = {p.id: {} for p in facts.persons}
    trace: list[dict[str, Any]] = []
    refused: list[Problem] = []
    append = trace.append
    lookup = _Lookup(ctx)
    persons = facts.persons
    for pr in plan.rules:
        if pr.entity == "hushall":
            ctx.reads = {}
            ctx.details = {}
            value = _run(pr, ctx)
            ctx.values[pr.id] = value
            append(_entry(pr, value, ctx, None, lookup))
            if pr.requirement is not None and not value:
                refused.append(_requirement(pr.requirement, lookup, value, None))
            continue
        roles = pr.roles
        for person in persons:
            if roles is not None and person.roll not in roles:
                continue
            ctx.person = person
            ctx.reads = {}
            ctx.details = {}
            value = _run(pr, ctx)
            ctx.person_values[person.id][pr.id] = value
            append(_entry(pr, value, ctx, person, lookup))
            if pr.requirement is not None and not value:
                refused.append(_requirement(pr.requirement, lookup, value, person))
        ctx.person = None
    if refused:
        raise InputError(refused)
    outputs = {name: int(ctx.values[name]) for name in plan.outputs}
    return Result(
        period=str(plan.month),
        values=outputs,
        regelverk=dict(plan.bundle_ref),
        persons=[_person_summary(p) for p in facts.persons],
        trace=trace,
        norms=plan.norm_info,
        sections=plan.sections,
        preview={k: _plain(v) for k, v in plan.overrides.items()} or None,
        assumptions=plan.assumptions or None,
    )


def _person_summary(p: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"id": p.id, "roll": p.roll, "alder": p.alder}
    if p.personnummer:
        out["personnummer"] = mask(p.personnummer)
    return out


def _requirement(req: tuple[str, _template.Renderer], lookup: _Lookup, value: Any, person: Any) -> Problem:
    path, message = req
    where = f"hushall[{person.index}].{path}" if person is not None else path
    lookup.value, lookup.person = value, person
    return Problem(where, message(lookup, _text))


def _run(pr: PlannedRule, ctx: Ctx) -> Any:
    try:
        value = pr.fn(ctx)
    except MissingNorm as exc:
        raise PeriodNotCovered([Problem("period", ctx.missing_message(exc.norm_id))]) from None
    except EvaluationError as exc:
        who = f" för {ctx.person.id}" if ctx.person is not None else ""
        raise EvaluationError(f"regeln '{pr.id}'{who}: {exc}") from None
    if type(value) is Decimal and pr.typ != "villkor":
        whole = int(value)
        if whole == value:
            return whole  # whole numbers travel as int: cheaper to compute with and to report
        if pr.typ in ("belopp", "antal"):
            raise EvaluationError(
                f"regeln '{pr.id}' gav {value}, inte ett helt {'antal' if pr.typ == 'antal' else 'kronbelopp'}; "
                "avrunda i formeln"
            )
    return value


def _entry(pr: PlannedRule, value: Any, ctx: Ctx, person: Any, lookup: _Lookup) -> dict[str, Any]:
    entry = pr.base.copy()
    reads = ctx.reads
    entry["person"] = person.id if person is not None else None
    entry["varde"] = value if type(value) in _PLAIN else _plain(value)
    entry["indata"] = {k: v if type(v) in _PLAIN else _plain(v) for k, v in reads.items()} if reads else {}
    if ctx.details:
        entry["detaljer"] = ctx.details  # functions record JSON-ready values only
    if pr.hide_zero and not value:
        entry["visas"] = False
    if pr.template is not None and pr.visible and (person is None or value or pr.show_zero):
        # Sentences are written for the lines an explanation shows; zero lines for a person are not shown.
        lookup.value, lookup.person = value, person
        entry["forklaring"] = pr.template(lookup, _text)
    return entry


_PLAIN = frozenset({int, bool, str, type(None)})


def _plain(v: Any) -> Any:
    t = type(v)
    if t is Decimal:
        i = int(v)
        return i if i == v else float(v)
    if t is bool or t is str or t is int or v is None:
        return v
    if isinstance(v, dict):
        return {str(k): _plain(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_plain(x) for x in v]
    if isinstance(v, bool | int | float | str) or v is None:
        return v
    return str(v)


_SPECIAL = frozenset({"varde", "person", "roll", "alder"})


class _Lookup:
    """Values an explanation sentence may name, for the entry being written."""

    __slots__ = ("ctx", "person", "value")

    def __init__(self, ctx: Ctx) -> None:
        self.ctx = ctx
        self.value: Any = None
        self.person: Any = None

    def __call__(self, key: str) -> object:
        ctx, person = self.ctx, self.person
        if key in _SPECIAL:
            if key == "varde":
                return self.value
            if person is None:
                return ""
            if key == "person":
                return person.id
            if key == "roll":
                return ROLE_SV.get(person.roll, person.roll)
            return person.alder
        if key in ctx.reads:
            return ctx.reads[key]
        if key in ctx.details:
            return ctx.details[key]
        if person is not None and key in ctx.person_values[person.id]:
            return ctx.person_values[person.id][key]
        if key in ctx.values:
            return ctx.values[key]
        if key.startswith("norm."):
            return ctx.norms.get(key[5:], "")
        symbol = INPUTS.get(key)
        if symbol is not None and symbol.getter is not None and (person is not None or symbol.entity == "hushall"):
            return symbol.getter(ctx)
        return ""


@dataclass
class Result:
    """A computed application: the contract's amounts, the rule version, and the trace."""

    period: str
    values: dict[str, int]
    regelverk: dict[str, str]
    persons: list[dict[str, Any]]
    trace: list[dict[str, Any]]
    norms: dict[str, dict[str, Any]]
    sections: dict[str, str] = field(default_factory=dict)
    preview: dict[str, Any] | None = None
    assumptions: list[dict[str, Any]] | None = None
    avvikelser: list[dict[str, Any]] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    protected: bool = False  # a person has protected identity: no location data in the output

    def __getitem__(self, name: str) -> int:
        return self.values[name]

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"period": self.period, **self.values}
        out["regelverk"] = dict(self.regelverk)
        if self.preview:
            out["forhandsvisning"] = {
                "varden": self.preview,
                "meddelande": "förhandsberäkning med angivna värden som ännu inte är fastställda i normer/",
            }
        if self.assumptions:
            out["antaganden"] = self.assumptions
        out["hushall"] = self.persons
        out["avvikelser"] = self.avvikelser
        out.update(self.extra)
        out["normer"] = self.norms
        # A list, not a mapping: the order is the explanation's, and stored JSON sorts mapping keys.
        out["avsnitt"] = [{"id": k, "titel": v} for k, v in self.sections.items()]
        out["trace"] = self.trace
        if self.protected:
            out = _without_location(out)
            out["skyddad_identitet"] = True
        return out
