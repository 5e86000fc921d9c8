"""A table of applications computed column by column, month by month, with the engine as referee.

:func:`evaluate_table` returns, for every row, the six amounts where the columnar path could compute
them and ``computed = False`` where it could not: rows the sound filter held back, rows in doubt,
and every row of a month whose rules the columnar compiler cannot express. The caller computes
those with the engine (:meth:`engine.RuleBundle.calculate`), which also names the field of a
refused application.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
import pyarrow as pa

from batch._columns import Columns, columns
from batch._compile import Compiler, Env, Fn, Unsupported, _f
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
        steps: list[tuple[Any, Fn]] = []
        for pr in plan.rules:
            version = self.bundle.rules[pr.id].version_on(day)
            steps.append((pr, self.compiler.compile(version.spec.formel, pr.entity)))
        controls = self.bundle.controls
        reads_calc = controls is not None and any(c.spec.fakta == "berakning" for c in controls.active(day))
        return MonthProgram(plan, steps, plan.outputs, reads_calc)


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
    rows = rows[np.argsort(cols.month[rows], kind="stable")]
    ordered = cols.permute(rows)
    months, starts = np.unique(ordered.month, return_index=True)
    ends = [*starts[1:], len(rows)] if len(starts) else []
    for m, a, b in zip(months.tolist(), starts.tolist(), ends, strict=True):
        program = programs.get(int(m))
        if program is None or program.controls_read_calculation:
            continue
        values, doubt = evaluate_month(program, ordered.slice(a, b))
        good = ~doubt
        where = rows[a:b][good]
        amounts[where] = values[good]
        computed[where] = True
    return TableResult(computed, amounts, outputs)


def evaluate_month(program: MonthProgram, cols: Columns) -> tuple[np.ndarray, np.ndarray]:
    """The outputs of one month's households, and which of them are in doubt."""
    plan = program.plan
    env = Env(cols=cols, norms=plan.norms, missing=plan.missing, doubt=np.zeros(cols.n, dtype=bool))
    everyone_h = np.ones(cols.n, dtype=bool)
    everyone_p = np.ones(cols.persons, dtype=bool)
    for pr, fn in program.steps:
        if pr.entity == "hushall":
            env.active_h, env.active_p = everyone_h, everyone_p
            value = _full(fn(env), cols.n)
            value = _typed(env, pr, value, "hushall")
            env.values[pr.id] = value
        else:
            mask = everyone_p if pr.roles is None else np.isin(cols.roll, list(pr.roles))
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
