"""Loading the rule files into a checked, compiled, content-addressed bundle.

A bundle is everything under ``regelverk/`` and ``normer/``: the rules, the dated amounts and
the manifest that names the bundle. It is identified by its manifest id plus a SHA-256 over the
exact bytes of every file, so a stored decision can name precisely what computed it and a
replay can rebuild the same bundle from stored file contents (:func:`load_bundle_from_files`).

Loading checks everything a policy editor can get wrong, and reports all problems at once with
file, line and key: YAML syntax, unknown keys, overlapping validity, formulas that do not parse
or name something unknown, type errors, dependency cycles, a rule that uses another rule
outside that rule's validity, explanation templates naming values the rule never reads.
"""

from __future__ import annotations

import hashlib
import itertools
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from engine import _template
from engine._errors import InputError, RuleFileError, RuleProblem
from engine._evaluate import build_plan, calculate
from engine._expression import Compiled, FormulaError, FunctionDef, Symbol, T, UnknownNorm, compile_formula
from engine._functions import DETAIL_KEYS, FUNCTIONS, INPUTS
from engine._input import field_path
from engine._lagrum import render_references, render_source
from engine._norms import MissingValue, NormDef, NormResolver, compile_derivations, load_norm, published_differences
from engine._rulefiles import Dated, KommunFile, Manifest, Norm, NormFile, NormValue, Rule, RuleFile, RuleVersion
from engine._yamlsrc import SourceDoc, YamlSyntaxError, load_yaml
from engine.kontroll import KONTROLL_DIR, ControlSet, load_controls
from engine.statistik import STATISTIK_DIR, StatistikSet, load_statistik

MANIFEST = "regelverk/regelverk.yaml"
# Rule files of other rooms over the same bundle: hashed and stored with it, read by that room
# (regelverk/aterkrav/: the aterkrav package; regelverk/underlag/: the underlag package; ekbist
# validera checks them there).
OTHER_ROOMS = ("regelverk/aterkrav/", "regelverk/underlag/")
TEMPLATE_SPECIALS = frozenset({"varde", "person", "roll", "alder"})
_RULE_TYPES = {"belopp": T.NUM, "tal": T.NUM, "antal": T.NUM, "villkor": T.BOOL}


@dataclass
class CompiledVersion:
    spec: RuleVersion
    compiled: Compiled
    template: tuple[_template.Part, ...] | None
    line: int | None


@dataclass
class RuleDef:
    spec: Rule
    file: str
    index: int  # global order of definition, used for a stable evaluation order
    versions: list[CompiledVersion] = field(default_factory=list)
    template: tuple[_template.Part, ...] | None = None
    requirement: tuple[_template.Part, ...] | None = None
    failed: bool = False  # a version did not compile; later checks stay quiet about it
    spec_index: int = 0  # the rule's place in its file's list, for locating problems

    def version_on(self, day: date) -> CompiledVersion | None:
        for v in self.versions:
            if v.spec.covers(day):
                return v
        return None

    def lagrum_on(self, day: date, statutes: Mapping[str, Any]) -> list[str]:
        for lag in self.spec.lagrum:
            if lag.covers(day):
                refs = render_references(lag.hanvisningar, statutes)
                if lag.konvention:
                    refs.append(f"Konvention: {lag.konvention}")
                return refs
        return []


def read_rule_files(root: Path | str) -> dict[str, str]:
    """All ``*.yaml`` files under ``root/regelverk`` and ``root/normer``, by relative path."""
    base = Path(root)
    files: dict[str, str] = {}
    missing = [d for d in ("regelverk", "normer") if not (base / d).is_dir()]
    if missing:
        raise RuleFileError(
            [
                RuleProblem(
                    str(base),
                    None,
                    "",
                    f"katalogen {', '.join(missing)}/ saknas; ROOT ska innehålla regelverk/ och normer/",
                )
            ]
        )
    for sub in ("regelverk", "normer"):
        for path in sorted((base / sub).rglob("*.yaml")):
            rel = path.relative_to(base).as_posix()
            try:
                files[rel] = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise RuleFileError([RuleProblem(rel, None, "", f"kan inte läsas: {exc}")]) from None
    return files


def content_hash(files: Mapping[str, str]) -> str:
    """SHA-256 over every file's path and bytes, in path order."""
    h = hashlib.sha256()
    for path in sorted(files):
        data = files[path].encode("utf-8")
        h.update(path.encode("utf-8") + b"\0" + str(len(data)).encode() + b"\0" + data)
    return "sha256:" + h.hexdigest()


_BROKEN = object()


class _Loader:
    """Collects problems while building the bundle; raises once at the end."""

    def __init__(self, files: Mapping[str, str]) -> None:
        self.files = files
        self.problems: list[RuleProblem] = []
        self.docs: dict[str, SourceDoc] = {}
        self.broken_norm_files = False

    def problem(self, file: str, path: Sequence[str | int], message: str) -> None:
        doc = self.docs.get(file)
        line = doc.line_of(path) if doc else None
        self.problems.append(RuleProblem(file, line, field_path(tuple(path)), message))

    def parse(self, file: str) -> Any:
        try:
            doc = load_yaml(self.files[file], file)
        except YamlSyntaxError as exc:
            self.problems.append(RuleProblem(file, exc.line, "", exc.message))
            return _BROKEN
        self.docs[file] = doc
        return doc.data

    def model(self, file: str, cls: type[BaseModel], data: Any) -> Any:
        if data is _BROKEN:
            return None
        if data is None:
            self.problem(file, (), "filen är tom")
            return None
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            for err in exc.errors(include_url=False):
                loc = tuple(
                    p for p in err["loc"] if not (isinstance(p, str) and ("[" in p or p.startswith("function-")))
                )
                msg = err["msg"]
                if err["type"] == "extra_forbidden":
                    msg = "okänd nyckel (stavfel? nycklar som inte finns i schemat tas inte emot)"
                elif err["type"] == "missing":
                    msg = "nyckeln saknas men är obligatorisk"
                elif msg.startswith("Value error, "):
                    msg = msg[len("Value error, ") :]
                self.problem(file, loc, msg)
            return None


class _Names:
    """Name resolution for formulas: inputs, rules and norms of this bundle."""

    def __init__(self, rules: Mapping[str, Rule], norms: Mapping[str, Norm]) -> None:
        self.rules = rules
        self.norms = norms

    def symbol(self, name: str) -> Symbol | None:
        if name in INPUTS:
            return INPUTS[name]
        rule = self.rules.get(name)
        if rule is None:
            return None
        return Symbol("rule", name, _RULE_TYPES[rule.typ], rule.entitet)

    def norm(self, norm_id: str) -> Symbol | None:
        n = self.norms.get(norm_id)
        if n is None:
            return None
        if n.typ == "tabell":
            return Symbol("norm", norm_id, T.TABLE, "hushall", columns=tuple(n.kolumner or ()))
        return Symbol("norm", norm_id, T.NUM, "hushall")

    def function(self, name: str) -> FunctionDef | None:
        return FUNCTIONS.get(name)


def _lagrum_gaps(version: Dated, lagrum: Sequence[Dated]) -> list[date]:
    """Days within the version's validity where no lagrum applies (checked at each boundary)."""
    days = {version.giltig_fran}
    for lag in lagrum:
        if lag.giltig_till is not None:
            days.add(lag.giltig_till + timedelta(days=1))
        days.add(lag.giltig_fran)
    return sorted(d for d in days if version.covers(d) and not any(lag.covers(d) for lag in lagrum))


def _overlaps(items: Sequence[Dated]) -> list[tuple[int, int]]:
    out = []
    ordered = sorted(range(len(items)), key=lambda i: items[i].giltig_fran)
    for a, b in itertools.pairwise(ordered):
        end = items[a].giltig_till
        if end is None or end >= items[b].giltig_fran:
            out.append((a, b))
    return out


def load_bundle_from_files(files: Mapping[str, str]) -> RuleBundle:
    """Build a bundle from file contents (as read from disk, or as stored with a decision)."""
    ld = _Loader(files)
    if MANIFEST not in files:
        raise RuleFileError(
            [RuleProblem(MANIFEST, None, "", "manifestet saknas (id, version och utdata för regelverket)")]
        )
    manifest: Manifest | None = ld.model(MANIFEST, Manifest, ld.parse(MANIFEST))

    rule_specs: list[tuple[str, int, Rule]] = []
    broken_rule_files = False
    norm_specs: list[tuple[str, int, Norm, tuple[str | int, ...]]] = []
    kommun_thresholds: dict[str, list[Any]] = {}
    for file in sorted(files):
        if file == MANIFEST:
            continue
        if file.startswith(KONTROLL_DIR):
            continue  # control rules have their own loader (engine.kontroll)
        if file.startswith(STATISTIK_DIR):
            continue  # försörjningshinder: engine.statistik
        if file.startswith(OTHER_ROOMS):
            continue  # part of the bundle and its hash, read and checked by its own room
        data = ld.parse(file)
        if file.startswith(KOMMUN_DIR):
            kf: KommunFile | None = ld.model(file, KommunFile, data)
            if kf:
                kommun_thresholds[kf.kommun] = list(kf.troskar)
                norm_specs.extend((file, i, n, ("tak", i)) for i, n in enumerate(_kommun_norms(ld, file, kf)))
            else:
                ld.broken_norm_files = True
        elif file.startswith("normer/"):
            nf: NormFile | None = ld.model(file, NormFile, data)
            if nf:
                norm_specs.extend((file, i, n, ("normer", i)) for i, n in enumerate(nf.normer))
            else:
                ld.broken_norm_files = True
        else:
            rf: RuleFile | None = ld.model(file, RuleFile, data)
            if rf:
                rule_specs.extend((file, i, r) for i, r in enumerate(rf.regler))
            else:
                broken_rule_files = True

    statutes = manifest.forfattningar if manifest else {}
    norms: dict[str, NormDef] = {}
    for file, i, n, prefix in norm_specs:
        if n.id in norms:
            ld.problem(file, (*prefix, "id"), f"normen '{n.id}' finns redan i {norms[n.id].file}")
            continue
        for a, b in _overlaps(n.varden):
            ld.problem(file, (*prefix, "varden", b, "giltig_fran"), f"värdet överlappar varden[{a}] för samma norm")
        norms[n.id] = load_norm(n, file, i, lambda k: render_source(k, statutes), _reporter(ld, file, prefix))
        norms[n.id].prefix = prefix
    compile_derivations(
        norms,
        lambda nd, path, msg: ld.problem(nd.file, (*nd.prefix, *path), msg),
        some_files_broken=ld.broken_norm_files,
    )

    rules: dict[str, RuleDef] = {}
    for file, i, r in rule_specs:
        where = ("regler", i)
        if r.id in rules:
            ld.problem(file, (*where, "id"), f"regeln '{r.id}' finns redan i {rules[r.id].file}")
            continue
        if r.id in INPUTS or r.id in FUNCTIONS:
            ld.problem(file, (*where, "id"), f"'{r.id}' är redan namnet på en indata eller funktion")
            continue
        rules[r.id] = RuleDef(spec=r, file=file, index=len(rules), spec_index=i)
        for a, b in _overlaps(r.versioner):
            ld.problem(file, (*where, "versioner", b, "giltig_fran"), f"versionen överlappar versioner[{a}]")
        for a, b in _overlaps(r.lagrum):
            ld.problem(file, (*where, "lagrum", b, "giltig_fran"), f"lagrummet överlappar lagrum[{a}]")
        for vi, v in enumerate(r.versioner):
            for day in _lagrum_gaps(v, r.lagrum):
                ld.problem(
                    file,
                    (*where, "versioner", vi, "giltig_fran"),
                    f"inget lagrum gäller {day}; varje dag en version gäller behöver sitt lagrum",
                )
                break

    names = _Names({k: v.spec for k, v in rules.items()}, {k: v.spec for k, v in norms.items()})
    for rd in rules.values():
        _compile_rule(ld, rd, names)
    for rd in rules.values():
        _check_templates(ld, rd, rules)

    if manifest is not None and not broken_rule_files:
        for i, out in enumerate(manifest.utdata):
            target = rules.get(out)
            if target is None:
                ld.problem(MANIFEST, ("utdata", i), f"utdata '{out}' är ingen regel")
            elif target.spec.entitet != "hushall" or target.spec.typ != "belopp":
                ld.problem(MANIFEST, ("utdata", i), f"utdata '{out}' måste vara en hushållsregel av typ belopp")
    _check_eras(ld, rules)
    _check_gaps(ld, norms, rules)
    if not ld.problems:
        _check_published(ld, norms)
    controls = load_controls(ld, files, statutes, kommun_thresholds)
    statistik = load_statistik(ld, files)

    if ld.problems or manifest is None or controls is None:
        raise RuleFileError(ld.problems)
    bundle = RuleBundle(manifest, rules, norms, dict(files))
    controls.base_name = f"ekbist_{bundle.hash[7:19]}"
    bundle.controls = controls
    bundle.statistik = statistik
    _check_riksnorm_months(ld, bundle)
    if ld.problems:
        raise RuleFileError(ld.problems)
    return bundle


def _check_gaps(ld: _Loader, norms: Mapping[str, NormDef], rules: Mapping[str, RuleDef]) -> None:
    """No day may fall between two dated values of a norm, or between two versions of a rule.

    A gap is almost always a typing error in a date; where a value really ends, the period after it
    is refused ("not entered") anyway, which needs no gap.
    """
    for nd in norms.values():
        ordered = sorted(range(len(nd.entries)), key=lambda i: nd.entries[i].spec.giltig_fran)
        for a, b in itertools.pairwise(ordered):
            end, start = nd.entries[a].spec.giltig_till, nd.entries[b].spec.giltig_fran
            if end is not None and end + timedelta(days=1) < start:
                ld.problem(
                    nd.file,
                    (*nd.prefix, "varden", b, "giltig_fran"),
                    f"glapp mellan {end} (varden[{a}] slutar) och {start}: inget värde gäller däremellan; "
                    f"låt giltig_fran vara {end + timedelta(days=1)} eller ändra giltig_till i varden[{a}]",
                )
    for rd in rules.values():
        versions = rd.spec.versioner
        ordered = sorted(range(len(versions)), key=lambda i: versions[i].giltig_fran)
        for a, b in itertools.pairwise(ordered):
            end, start = versions[a].giltig_till, versions[b].giltig_fran
            if end is not None and end + timedelta(days=1) < start:
                ld.problem(
                    rd.file,
                    ("regler", rd.spec_index, "versioner", b, "giltig_fran"),
                    f"glapp mellan {end} (versioner[{a}] slutar) och {start}: regeln gäller inte däremellan; "
                    f"låt giltig_fran vara {end + timedelta(days=1)}",
                )


def _check_riksnorm_months(ld: _Loader, bundle: RuleBundle) -> None:
    """Every month from the first one the rules compute through the last entered riksnorm amount must
    have its riksnorm: a deleted or mistyped year shows here, not in a caseworker's refused application."""
    from engine._period import Month

    entered = [  # amounts entered for a closed span: the months they cover must all compute
        (e.spec.giltig_till, nd)
        for nid, nd in bundle.norms.items()
        if nid.startswith("riksnorm.") and nd.spec.typ != "tal"
        for e in nd.entries
        if e.spec.harleds is None and e.spec.giltig_till is not None
    ]
    start, _ = bundle.validity()
    if not entered or start is None:
        return
    last = max(day for day, _ in entered if day is not None)
    month, end = Month.of(start.year, start.month), Month.of(last.year, last.month)
    reported: set[str] = set()
    while month <= end:
        try:
            plan = bundle.plan(month)
        except InputError as exc:
            ld.problems.append(RuleProblem(MANIFEST, None, "", f"{month}: {exc.problems[0].message}"))
            return
        for nid, why in plan.missing.items():
            if nid.startswith("riksnorm.") and nid not in reported:
                reported.add(nid)
                nd = bundle.norms[nid]
                ld.problem(
                    nd.file,
                    (*nd.prefix, "varden"),
                    f"riksnormen saknas för {month.name_sv()}: {why}; mata in beloppet för perioden",
                )
        month = month + 1


def _reporter(ld: _Loader, file: str, prefix: tuple[str | int, ...]) -> Callable[[tuple[str | int, ...], str], None]:
    def report(path: tuple[str | int, ...], message: str) -> None:
        ld.problem(file, (*prefix, *path), message)

    return report


KOMMUN_DIR = "regelverk/kommuner/"
CAP_COLUMNS = ["vuxna_fran", "vuxna_till", "barn_fran", "barn_till", "belopp"]


def _kommun_norms(ld: _Loader, file: str, kf: KommunFile) -> list[Norm]:
    """A kommun's guideline file as dated table norms ``kommun.<kod>.tak.<kostnad>``.

    The file is named by its kommunkod; each cap is a table of rows by adults and children, with
    the validity and source of every value, checked like every other dated amount.
    """
    from engine._input import COST_TYPES

    stem = file.rsplit("/", 1)[-1].removesuffix(".yaml")
    if stem != kf.kommun:
        ld.problem(file, ("kommun",), f"filen ska heta {kf.kommun}.yaml efter kommunkoden, inte {stem}.yaml")
    out: list[Norm] = []
    seen: set[str] = set()
    for i, tak in enumerate(kf.tak):
        if tak.kostnad not in COST_TYPES:
            ld.problem(
                file, ("tak", i, "kostnad"), f"okänd kostnadstyp '{tak.kostnad}'; typer: {', '.join(COST_TYPES)}"
            )
            continue
        if tak.kostnad in seen:
            ld.problem(file, ("tak", i, "kostnad"), f"taket för {tak.kostnad} finns redan; ett tak per kostnadstyp")
            continue
        seen.add(tak.kostnad)
        values = [
            NormValue(
                giltig_fran=v.giltig_fran,
                giltig_till=v.giltig_till,
                rader=[{k: (None if x is None else Decimal(x)) for k, x in r.model_dump().items()} for r in v.rader],
                kalla=v.kalla,
                anmarkning=v.anmarkning,
            )
            for v in tak.varden
        ]
        out.append(
            Norm(
                id=f"kommun.{kf.kommun}.tak.{tak.kostnad}",
                namn=f"{tak.namn} ({kf.namn})",
                beskrivning=tak.beskrivning,
                typ="tabell",
                enhet="kr/månad",
                kolumner=CAP_COLUMNS,
                utgivare=kf.namn,
                varden=values,
            )
        )
    return out


def _check_published(ld: _Loader, norms: Mapping[str, NormDef]) -> None:
    """Published amounts must equal the derived ones, wherever the derivation can be computed."""
    for nd in norms.values():
        for vi, e in enumerate(nd.entries):
            if e.derivation is None or e.published is None:
                continue
            day = e.spec.giltig_fran
            resolver = NormResolver(norms, day, {}, str(day))
            try:
                derived = resolver.value(nd.spec.id)
            except MissingValue:
                continue  # e.g. the jämförelsetal is not entered yet: nothing to compare against
            for diff in published_differences(nd, e, derived):
                ld.problem(
                    nd.file,
                    (*nd.prefix, "varden", vi, "publicerat"),
                    f"publicerat och härlett belopp skiljer sig: {diff}",
                )


def _compile_rule(ld: _Loader, rd: RuleDef, names: _Names) -> None:
    r = rd.spec
    doc = ld.docs.get(rd.file)
    where = _find_rule_path(doc, r.id)
    want = _RULE_TYPES[r.typ]
    if r.forklaring:
        try:
            rd.template = _template.parse(r.forklaring)
        except _template.TemplateError as exc:
            ld.problem(rd.file, (*where, "forklaring"), f"förklaringen: {exc}")
    if r.krav:
        try:
            rd.requirement = _template.parse(r.krav.meddelande)
        except _template.TemplateError as exc:
            ld.problem(rd.file, (*where, "krav", "meddelande"), f"meddelandet: {exc}")
    for vi, v in enumerate(r.versioner):
        vpath = (*where, "versioner", vi, "formel")
        try:
            compiled = compile_formula(v.formel, r.entitet, names)
        except FormulaError as exc:
            rd.failed = True
            if isinstance(exc, UnknownNorm) and ld.broken_norm_files:
                continue  # the norm file's own error is already reported
            col = f" (tecken {exc.col + 1})" if exc.col is not None else ""
            ld.problem(rd.file, vpath, f"{exc.message}{col}: {v.formel.strip()}")
            continue
        if compiled.type is not want:
            rd.failed = True
            ld.problem(rd.file, vpath, f"formeln ger {compiled.type.value} men regeln är av typ {r.typ}")
            continue
        template = rd.template
        if v.forklaring:
            try:
                template = _template.parse(v.forklaring)
            except _template.TemplateError as exc:
                tpath = (*where, "versioner", vi, "forklaring")
                ld.problem(rd.file, tpath, f"förklaringen: {exc}")
        rd.versions.append(CompiledVersion(v, compiled, template, doc.line_of(vpath) if doc else None))


def _check_templates(ld: _Loader, rd: RuleDef, rules: Mapping[str, RuleDef]) -> None:
    """Placeholders must name something the rule read, or a value it depends on."""
    where = _find_rule_path(ld.docs.get(rd.file), rd.spec.id)
    visible_inputs = {n for n, sym in INPUTS.items() if sym.entity == "hushall" or rd.spec.entitet == "person"}
    for vi, cv in enumerate(rd.versions):
        deps, norms, _ = _reach(cv.compiled, rules)
        if rd.failed or any(rules[d].failed for d in deps if d in rules):
            continue  # the formula's own problem is reported; its dependencies are unknown
        allowed = deps | visible_inputs | {"norm." + n for n in norms} | DETAIL_KEYS | TEMPLATE_SPECIALS
        if rd.requirement:
            for key in sorted(_template.keys(rd.requirement) - allowed):
                ld.problem(rd.file, (*where, "krav", "meddelande"), f"{{{key}}} är inget värde som regeln läser")
        if not cv.template:
            continue
        own = cv.spec.forklaring is not None
        tpath = (*where, "versioner", vi, "forklaring") if own else (*where, "forklaring")
        for key in sorted(_template.keys(cv.template) - allowed):
            ld.problem(rd.file, tpath, f"{{{key}}} i förklaringen är inget värde som regeln läser eller bygger på")


def _reach(compiled: Compiled, rules: Mapping[str, RuleDef]) -> tuple[set[str], set[str], set[str]]:
    """Rules, norms and inputs a formula depends on, directly or through other rules."""
    seen: set[str] = set()
    norms, inputs = set(compiled.norms), set(compiled.inputs)
    todo = list(compiled.rules)
    while todo:
        rid = todo.pop()
        if rid in seen or rid not in rules:
            continue
        seen.add(rid)
        for v in rules[rid].versions:
            norms |= v.compiled.norms
            inputs |= v.compiled.inputs
            todo.extend(v.compiled.rules)
    return seen, norms, inputs


def _find_rule_path(doc: SourceDoc | None, rule_id: str) -> tuple[str | int, ...]:
    if doc is None or not isinstance(doc.data, dict):
        return ()
    for i, r in enumerate(doc.data.get("regler") or []):
        if isinstance(r, dict) and r.get("id") == rule_id:
            return ("regler", i)
    return ()


def _boundaries(rules: Iterable[RuleDef]) -> list[date]:
    days: set[date] = set()
    for rd in rules:
        for v in rd.spec.versioner:
            days.add(v.giltig_fran)
            if v.giltig_till is not None:
                days.add(v.giltig_till + timedelta(days=1))
    return sorted(days)


def _check_eras(ld: _Loader, rules: Mapping[str, RuleDef]) -> None:
    """For each span where the set of versions is constant: references resolve, no cycles."""
    reported: set[tuple[str, str]] = set()
    for day in _boundaries(rules.values()):
        active = {rid: rd.version_on(day) for rid, rd in rules.items()}
        live = {rid: v for rid, v in active.items() if v is not None}
        for rid, v in live.items():
            for dep in sorted(v.compiled.rules):
                if dep in rules and rules[dep].failed:
                    continue
                if dep not in live and (rid, dep) not in reported:
                    reported.add((rid, dep))
                    rd = rules[rid]
                    ld.problem(
                        rd.file,
                        (*_find_rule_path(ld.docs.get(rd.file), rid), "versioner"),
                        f"använder regeln '{dep}', som inte gäller {day}",
                    )
        cycle = _find_cycle({rid: v.compiled.rules & live.keys() for rid, v in live.items()})
        if cycle and (cycle[0], "cykel") not in reported:
            reported.add((cycle[0], "cykel"))
            rd = rules[cycle[0]]
            ld.problem(rd.file, _find_rule_path(ld.docs.get(rd.file), cycle[0]), "cirkelberoende: " + " → ".join(cycle))


def _find_cycle(graph: Mapping[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(n: str) -> list[str] | None:
        state[n] = 1
        stack.append(n)
        for m in sorted(graph.get(n, ())):
            if state.get(m) == 1:
                return [*stack[stack.index(m) :], m]
            if m not in state:
                found = visit(m)
                if found:
                    return found
        stack.pop()
        state[n] = 2
        return None

    for n in sorted(graph):
        if n not in state:
            found = visit(n)
            if found:
                return found
    return None


class RuleBundle:
    """A loaded, checked rule bundle; computes applications through cached per-month plans."""

    def __init__(self, manifest: Manifest, rules: dict[str, RuleDef], norms: dict[str, NormDef], files: dict[str, str]):
        self.manifest = manifest
        self.rules = rules
        self.norms = norms
        self.files = files
        self.hash = content_hash(files)
        self._plans: dict[tuple[Any, ...], Any] = {}
        self._lock = threading.Lock()
        self.controls: ControlSet | None = None
        self.statistik: StatistikSet | None = None

    @property
    def id(self) -> str:
        return self.manifest.id

    @property
    def version(self) -> str:
        return self.manifest.version

    def ssbtek_start(self, period: Any) -> Any:
        """The first month of the question to SSBTEK for an application of ``period``: what the control
        rules compare with (the rule files' parameters), so that a policy edit moves the question too."""
        return self.controls.question_start(period) if self.controls is not None else period - 2

    def plan(self, month: Any, overrides: Mapping[str, Decimal] | None = None, assumptions: Any = None) -> Any:
        """The compiled evaluation plan for a month (cached); see :mod:`engine._evaluate`."""
        key = (month.index, tuple(sorted((overrides or {}).items())), assumptions.key() if assumptions else ())
        plan = self._plans.get(key)
        if plan is None:
            plan = build_plan(self, month, overrides or {}, assumptions)
            with self._lock:
                if len(self._plans) > 512:
                    self._plans.clear()
                self._plans[key] = plan
        return plan

    def calculate(
        self,
        application: Any,
        *,
        overrides: Mapping[str, Decimal] | None = None,
        agency: Mapping[str, Any] | None = None,
        assumptions: Any = None,
    ) -> Any:
        """Compute one application (a mapping in the contract's shape) and return a Result.

        ``agency`` maps the application's person ids to their agency answers
        (:class:`engine.PersonAgencyData`); the control rules run over them. ``assumptions``
        (:func:`engine.parse_assumptions`) replace norms or rules for a what-if.
        """
        return calculate(self, application, overrides=overrides, agency=agency, assumptions=assumptions)

    def validity(self) -> tuple[date | None, date | None]:
        """The span in which every output rule has a version (its norms may still be missing)."""
        starts: list[date] = []
        ends: list[date | None] = []
        for out in self.manifest.utdata:
            rd = self.rules[out]
            starts.append(min(v.spec.giltig_fran for v in rd.versions))
            tills = [v.spec.giltig_till for v in rd.versions]
            ends.append(None if None in tills else max(t for t in tills if t is not None))
        start = max(starts) if starts else None
        end = None if not ends or None in ends else min(e for e in ends if e is not None)
        return start, end


def load_bundle(root: Path | str) -> RuleBundle:
    """Load and check the rule files under ``root`` (which holds regelverk/ and normer/)."""
    return load_bundle_from_files(read_rule_files(root))


def check_bundle(root: Path | str) -> list[RuleProblem]:
    """Every problem in the rule files under ``root``; empty when they are valid."""
    try:
        load_bundle(root)
    except RuleFileError as exc:
        return exc.problems
    return []
