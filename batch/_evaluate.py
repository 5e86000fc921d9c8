"""A table of applications computed column by column, months alike together, with the engine as referee.

:func:`evaluate_table` returns, for every row, the six amounts where the columnar path could compute
them and ``computed = False`` where it could not: rows the sound filter held back, rows in doubt,
and every row of a month whose rules the columnar compiler cannot express. The caller computes
those with the engine (:meth:`engine.RuleBundle.calculate`), which also names the field of a
refused application.

Months whose plans differ only in amounts (the same rule versions, the same tables, the same norms
entered) are computed as one group: an amount that differs between them becomes a column (each
household's month's amount, a float, as any value that differs between households already is), so
a file spanning two years is a handful of passes instead of one per month.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
import pyarrow as pa

from batch._columns import Columns, columns
from batch._compile import Compiler, Env, Fn, Unsupported, Varying, _f
from engine import Month
from engine._errors import InputError
from engine._expression import T

_RULE_T = {"belopp": T.NUM, "tal": T.NUM, "antal": T.NUM, "villkor": T.BOOL}


@dataclass
class MonthProgram:
    """One month's plan as column functions: (planned rule, function) in evaluation order."""

    plan: Any
    steps: list[tuple[Any, Fn]]
    outputs: tuple[str, ...]
    controls_read_calculation: bool  # an active control is about the calculation itself
    kind: tuple[Any, ...] = ()  # equal for months that may be computed together (see module doc)


class Programs:
    """Column programs per month, compiled once from the bundle's rule files."""

    def __init__(self, bundle: Any, overrides: Mapping[str, Decimal] | None = None) -> None:
        self.bundle = bundle
        self.overrides = dict(overrides or {})
        self._cache: dict[int, MonthProgram | None] = {}
        types = {rid: (_RULE_T[rd.spec.typ], rd.spec.entitet) for rid, rd in bundle.rules.items()}
        tables = {nid: tuple(nd.spec.kolumner or ()) for nid, nd in bundle.norms.items() if nd.spec.typ == "tabell"}
        self.compiler = Compiler(types, tables)

    def get(self, month_index: int) -> MonthProgram | None:
        if month_index in self._cache:
            return self._cache[month_index]
        program: MonthProgram | None
        try:
            program = self._build(Month(month_index))
        except (InputError, Unsupported, SyntaxError, ValueError):
            program = None  # the engine computes (or refuses) this month
        if len(self._cache) > 1024:
            self._cache.clear()
        self._cache[month_index] = program
        return program

    def _build(self, month: Month) -> MonthProgram:
        plan = self.bundle.plan(month, self.overrides)
        day = month.first_day
        texts = [self.bundle.rules[pr.id].version_on(day).spec.formel for pr in plan.rules]
        steps = [(pr, self.compiler.compile(text, pr.entity)) for pr, text in zip(plan.rules, texts, strict=True)]
        controls = self.bundle.controls
        reads_calc = controls is not None and any(c.spec.fakta == "berakning" for c in controls.active(day))
        rules = tuple(
            (pr.id, formula, pr.entity, pr.roles, pr.typ, pr.requirement is not None)
            for pr, formula in zip(plan.rules, texts, strict=True)
        )
        # amounts may differ within a group; anything else read (a table, a text, a flag) may not
        norms = tuple((k, None if _amount(v) else repr(v)) for k, v in sorted(plan.norms.items()))
        kind = (rules, norms, tuple(sorted(plan.missing)), plan.outputs, reads_calc)
        return MonthProgram(plan, steps, plan.outputs, reads_calc, kind)


def _amount(value: Any) -> bool:
    return isinstance(value, Decimal | int) and not isinstance(value, bool)


@dataclass
class TableResult:
    computed: np.ndarray  # bool per row
    amounts: np.ndarray  # (rows, outputs) int64; meaningful where computed
    outputs: tuple[str, ...]


def evaluate_table(programs: Programs, table: pa.Table) -> TableResult:
    cols, ok = columns(table)
    outputs = tuple(programs.bundle.manifest.utdata)
    amounts = np.zeros((cols.n, len(outputs)), dtype=np.int64)
    computed = np.zeros(cols.n, dtype=bool)
    rows = np.flatnonzero(ok)
    groups: dict[tuple[Any, ...], list[int]] = {}
    for m in np.unique(cols.month[rows]).tolist():
        program = programs.get(int(m))
        if program is not None and not program.controls_read_calculation:
            groups.setdefault(program.kind, []).append(int(m))
    for months in groups.values():
        where = rows[np.isin(cols.month[rows], months)]
        part = cols.permute(where)
        values, doubt = evaluate_group(programs, months, part)
        good = ~doubt
        amounts[where[good]] = values[good]
        computed[where[good]] = True
    return TableResult(computed, amounts, outputs)


def evaluate_group(programs: Programs, months: list[int], cols: Columns) -> tuple[np.ndarray, np.ndarray]:
    """The outputs of the households of ``months`` (of one group), and which of them are in doubt."""
    first = programs.get(months[0])
    assert first is not None
    if len(months) == 1:
        return evaluate_month(first, cols)
    plans = [p.plan for p in (programs.get(m) for m in months) if p is not None]
    position = np.searchsorted(np.array(months), cols.month)  # each household's month in the group
    norms: dict[str, Any] = {}
    for nid, value in first.plan.norms.items():
        by_month = [plan.norms[nid] for plan in plans]
        if all(v == value for v in by_month):
            norms[nid] = value
        else:
            h = np.array([float(v) for v in by_month])[position]
            norms[nid] = Varying(h, h[cols.hh])
    try:
        return evaluate_month(first, cols, norms)
    except Unsupported:  # an amount a formula needs the same for every row (jobbstimulans' months)
        values = np.zeros((cols.n, len(first.outputs)), dtype=np.int64)
        doubt = np.zeros(cols.n, dtype=bool)
        for m in months:
            program = programs.get(m)
            assert program is not None
            where = np.flatnonzero(cols.month == m)
            values[where], doubt[where] = evaluate_month(program, cols.permute(where))
        return values, doubt


def evaluate_month(
    program: MonthProgram, cols: Columns, norms: dict[str, Any] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The outputs of one month's households (or a group's, with its amounts), and which are in doubt."""
    plan = program.plan
    env = Env(
        cols=cols, norms=plan.norms if norms is None else norms, missing=plan.missing, doubt=np.zeros(cols.n, bool)
    )
    everyone_h = np.ones(cols.n, dtype=bool)
    everyone_p = np.ones(cols.persons, dtype=bool)
    roles: dict[frozenset[str], np.ndarray] = {}  # the persons of each set of roles rules apply to
    for pr, fn in program.steps:
        if pr.entity == "hushall":
            env.active_h, env.active_p = everyone_h, everyone_p
            value = _full(fn(env), cols.n)
            value = _typed(env, pr, value, "hushall")
            env.values[pr.id] = value
        else:
            mask = everyone_p if pr.roles is None else roles.get(pr.roles)
            if mask is None:
                mask = roles[pr.roles] = np.isin(cols.roll, list(pr.roles))
            env.active_h, env.active_p = everyone_h, mask
            value = _full(fn(env), cols.persons)
            value = _typed(env, pr, value, "person")
            default: Any = False if pr.typ == "villkor" else 0.0
            if pr.roles is not None:
                value = np.where(mask, value, default)
            env.person_values[pr.id] = value
        if pr.requirement is not None:
            env.mark(~value.astype(bool), pr.entity)
    out = np.zeros((cols.n, len(program.outputs)), dtype=np.int64)
    for i, name in enumerate(program.outputs):
        out[:, i] = np.rint(env.values[name]).astype(np.int64)
    return out, env.doubt


def _full(value: Any, n: int) -> np.ndarray:
    if isinstance(value, np.ndarray):
        return value
    if isinstance(value, bool | str):
        return np.full(n, value)
    return np.full(n, _f(value), dtype=np.float64)


def _typed(env: Env, pr: Any, value: np.ndarray, scope: str) -> np.ndarray:
    """Amounts and counts must be whole (the engine refuses a rule that gives a fraction)."""
    if pr.typ in ("belopp", "antal"):
        v = value.astype(np.float64)
        whole = np.rint(v)
        env.mark(v != whole, scope)
        return whole
    if pr.typ == "villkor":
        return value.astype(bool)
    return value.astype(np.float64)
