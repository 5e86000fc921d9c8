"""The rule files' formulas compiled to whole-column operations (numpy), one month at a time.

The same formula text that :mod:`engine._expression` compiles to traced closures is compiled here
to functions over columns: ``om`` becomes a selection, ``summa`` a sum per household, a table
lookup a search over the table's rows, ``jobbstimulans`` the engine's closed form over month
numbers. Values that are the same for every household (norms, literals and what is computed from
them alone) stay exact decimals and are computed by the engine's own functions; once a value
differs between households it is a binary float.

Floats cannot always round as decimals do. Every operation whose result depends on where a value
lies against a boundary (a rounding, a comparison, whether an amount is whole) marks the households
whose value lies within ``EPS`` of it as *in doubt*; so does everything the engine would refuse or
raise on (a table without a matching row, a division by zero, a missing amount, a requirement
not met). Households in doubt are computed again by the engine itself, so the columnar path never
gives an amount the engine would not.
"""

from __future__ import annotations

import ast
import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np

from batch._columns import Columns
from engine._expression import COMPARISONS, Ctx, T
from engine._functions import FUNCTIONS, Table
from engine._input import COST_TYPES, INCOME_TYPES

EPS = 1e-6
_PURE = frozenset({"max", "min", "avrunda", "avrunda_ned", "avrunda_upp", "uppslag", "intervall", "summa_intervall"})
_ABSENT = object()
Value = Any  # np.ndarray, or a Python scalar (Decimal, bool, str) the same for every row


class Unsupported(Exception):
    """A formula the columnar path cannot express; the month is computed by the engine."""


@dataclass
class Env:
    """The columns of one month's households, the values computed so far, and the rows in doubt."""

    cols: Columns
    norms: dict[str, Any]
    missing: dict[str, str]
    doubt: np.ndarray
    values: dict[str, Value] = field(default_factory=dict)
    person_values: dict[str, Value] = field(default_factory=dict)
    active_h: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    active_p: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    capped: dict[str, np.ndarray] = field(default_factory=dict)  # households whose kommun caps a cost type

    def mark(self, bad: Value, scope: str) -> None:
        """Rows (of ``scope``) where the engine must decide; only rows that are evaluated count."""
        if isinstance(bad, np.ndarray):
            if scope == "person":
                hit = bad & self.active_p
                if hit.any():
                    self.doubt[self.cols.hh[hit]] = True
            else:
                self.doubt |= bad & self.active_h
        elif bad:
            if scope == "person":
                self.doubt[self.cols.hh[self.active_p]] = True
            else:
                self.doubt |= self.active_h


Fn = Callable[[Env], Value]


class Varying:
    """An amount that differs between the months computed together: a column per household and per
    person (each row's month's amount)."""

    __slots__ = ("h", "p")

    def __init__(self, h: np.ndarray, p: np.ndarray) -> None:
        self.h, self.p = h, p


def _f(v: Value) -> Value:
    """A value for numpy arithmetic: decimals become floats, arrays stay."""
    if isinstance(v, Decimal):
        return float(v)
    if isinstance(v, bool):
        return v
    if isinstance(v, int):
        return float(v)
    return v


def _is_scalar(v: Value) -> bool:
    return not isinstance(v, np.ndarray)


class Compiler:
    """Compiles one rule version's formula for the columns of a month."""

    def __init__(self, rule_types: dict[str, tuple[T, str]], table_columns: dict[str, tuple[str, ...]]) -> None:
        self.rule_types = rule_types  # rule id → (type, entity)
        self.table_columns = table_columns  # table norm id → its columns

    def compile(self, text: str, scope: str) -> Fn:
        tree = ast.parse(text.strip(), mode="eval")
        return self.node(tree.body, scope)

    # -- nodes --------------------------------------------------------------------------------
    def node(self, node: ast.expr, scope: str) -> Fn:
        if isinstance(node, ast.Constant):
            v = node.value
            if isinstance(v, bool | str):
                return _constant(v)
            if not isinstance(v, int | float):
                raise Unsupported(repr(v))
            return _constant(Decimal(repr(v)) if isinstance(v, float) else Decimal(v))
        if isinstance(node, ast.Name):
            return self.name(node.id, scope)
        if isinstance(node, ast.Attribute):
            return self.norm(node, scope)
        if isinstance(node, ast.BinOp):
            return self.binop(node, scope)
        if isinstance(node, ast.UnaryOp):
            a = self.node(node.operand, scope)
            if isinstance(node.op, ast.USub):
                return lambda env: -a(env)
            if isinstance(node.op, ast.Not):
                return lambda env: _not(a(env))
            raise Unsupported("operator")
        if isinstance(node, ast.BoolOp):
            parts = [self.node(v, scope) for v in node.values]
            return self.boolop(isinstance(node.op, ast.And), parts, scope)
        if isinstance(node, ast.Compare):
            return self.compare(node, scope)
        if isinstance(node, ast.IfExp):
            return self.choose(
                self.node(node.test, scope), self.node(node.body, scope), self.node(node.orelse, scope), scope
            )
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            return self.call(node.func.id, node.args, scope)
        raise Unsupported(ast.dump(node))

    def name(self, name: str, scope: str) -> Fn:
        if name in ("sant", "falskt"):
            return _constant(name == "sant")
        if name in self.rule_types:
            _, entity = self.rule_types[name]
            if entity == "person":
                return lambda env: env.person_values[name]
            if scope == "person":
                return lambda env: _broadcast(env.values[name], env)
            return lambda env: env.values[name]
        getter = INPUTS.get(name)
        if getter is None:
            raise Unsupported(f"indata {name}")
        entity, fn = getter
        if entity == "hushall" and scope == "person":
            return lambda env: _broadcast(fn(env.cols), env)
        return lambda env: fn(env.cols)

    def norm(self, node: ast.Attribute, scope: str) -> Fn:
        parts: list[str] = []
        cur: ast.expr = node
        while isinstance(cur, ast.Attribute):
            parts.append(cur.attr)
            cur = cur.value
        norm_id = ".".join(reversed(parts))

        empty: Value = Table(norm_id, self.table_columns[norm_id], ()) if norm_id in self.table_columns else Decimal(0)

        def read(env: Env) -> Value:
            found = env.norms.get(norm_id, _ABSENT)
            if found is _ABSENT:
                env.mark(True, scope)  # not entered for the month: the engine names it, for the rows that read it
                return empty
            if type(found) is Varying:  # an amount that differs between the months computed together
                return found.p if scope == "person" else found.h
            return found

        return read

    def binop(self, node: ast.BinOp, scope: str) -> Fn:
        a, b = self.node(node.left, scope), self.node(node.right, scope)
        op = type(node.op)

        def run(env: Env) -> Value:
            x, y = a(env), b(env)
            if _is_scalar(x) and _is_scalar(y):
                if op is ast.Div:
                    if y == 0:
                        env.mark(True, scope)
                        return Decimal(0)
                    return Decimal(x) / Decimal(y)
                return _scalar_op(op, x, y)
            x, y = _f(x), _f(y)
            if op is ast.Add:
                return x + y
            if op is ast.Sub:
                return x - y
            if op is ast.Mult:
                return x * y
            zero = y == 0
            env.mark(zero, scope)
            with np.errstate(divide="ignore", invalid="ignore"):
                return np.where(zero, 0.0, x / np.where(zero, 1.0, y))

        if op not in (ast.Add, ast.Sub, ast.Mult, ast.Div):
            raise Unsupported("räknesätt")
        return run

    def boolop(self, conj: bool, parts: list[Fn], scope: str) -> Fn:
        def run(env: Env) -> Value:
            result = parts[0](env)
            saved = _active(env, scope)
            try:
                for p in parts[1:]:
                    # the engine evaluates the next part only where the result is not yet decided
                    if _is_scalar(result):
                        if bool(result) != conj:
                            return result
                        result = p(env)
                        continue
                    _narrow(env, scope, saved & (result if conj else ~result))
                    nxt = p(env)
                    result = (result & nxt) if conj else (result | nxt)
            finally:
                _set_active(env, scope, saved)
            return result

        return run

    def choose(self, c: Fn, a: Fn, b: Fn, scope: str) -> Fn:
        def run(env: Env) -> Value:
            cond = c(env)
            if _is_scalar(cond):
                return a(env) if cond else b(env)
            saved = _active(env, scope)
            try:
                _narrow(env, scope, saved & cond)
                x = a(env)
                _narrow(env, scope, saved & ~cond)
                y = b(env)
            finally:
                _set_active(env, scope, saved)
            if _is_text(x) or _is_text(y) or (_is_bool(x) and _is_bool(y)):
                return np.where(cond, x, y)
            return np.where(cond, _f(x), _f(y))

        return run

    def compare(self, node: ast.Compare, scope: str) -> Fn:
        left = self.node(node.left, scope)
        steps: list[tuple[str, Any]] = []
        for op_node, right in zip(node.ops, node.comparators, strict=True):
            op = COMPARISONS.get(type(op_node))
            if op is None:
                raise Unsupported("jämförelse")
            if op in ("in", "not in"):
                assert isinstance(right, ast.Tuple | ast.List)
                values = [e.value for e in right.elts if isinstance(e, ast.Constant)]
                steps.append((op, values))
            else:
                steps.append((op, self.node(right, scope)))

        def run(env: Env) -> Value:
            lv = left(env)
            result: Value = True
            for op, r in steps:
                if op in ("in", "not in"):
                    if _is_scalar(lv):
                        hit: Value = lv in r
                    else:
                        hit = np.isin(lv, np.array(r, dtype=lv.dtype if lv.dtype.kind == "U" else None))
                    ok = hit if op == "in" else _not(hit)
                    rv = lv
                else:
                    rv = r(env)
                    ok = _cmp(env, scope, op, lv, rv)
                result = ok if result is True else (result & ok)
                lv = rv
            return result

        return run

    def call(self, fname: str, args: list[ast.expr], scope: str) -> Fn:
        if fname == "om":
            c, a, b = (self.node(x, scope) for x in args)
            return self.choose(c, a, b, scope)
        if fname in ("summa", "antal"):
            inner = self.node(args[0], "person")

            def over_persons(env: Env) -> Value:
                saved = env.active_p
                env.active_p = env.active_h[env.cols.hh]
                try:
                    v = inner(env)
                finally:
                    env.active_p = saved
                v = _broadcast_p(v, env)
                weights = v.astype(np.float64) if fname == "summa" else v.astype(bool).astype(np.float64)
                return np.bincount(env.cols.hh, weights=weights, minlength=env.cols.n)

            return over_persons
        fdef = FUNCTIONS.get(fname)
        if fdef is None:
            raise Unsupported(f"funktion {fname}")
        fns = [self.node(a, scope) for a in args]
        if fname in _PURE:
            vectorised = _VECTOR[fname]

            def pure(env: Env) -> Value:
                values = [f(env) for f in fns]
                if all(_is_scalar(v) for v in values):
                    return _scalar_call(env, fdef.impl, values, scope)
                return vectorised(env, scope, values)

            return pure
        impl = _COLUMNAR.get(fname)
        if impl is None:
            raise Unsupported(f"funktion {fname}")
        texts = [a.value for a in args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
        numbers = fns if fname == "jobbstimulans" else []
        return lambda env: impl(env, texts, [n(env) for n in numbers])


# -- helpers ---------------------------------------------------------------------------------


def _constant(value: Value) -> Fn:
    return lambda env: value


def _is_text(v: Value) -> bool:
    return isinstance(v, str) or (isinstance(v, np.ndarray) and v.dtype.kind == "U")


def _is_bool(v: Value) -> bool:
    return isinstance(v, bool | np.bool_) or (isinstance(v, np.ndarray) and v.dtype == bool)


def _not(v: Value) -> Value:
    return (not v) if _is_scalar(v) else ~v


def _active(env: Env, scope: str) -> np.ndarray:
    return env.active_p if scope == "person" else env.active_h


def _set_active(env: Env, scope: str, mask: np.ndarray) -> None:
    if scope == "person":
        env.active_p = mask
    else:
        env.active_h = mask


def _narrow(env: Env, scope: str, mask: np.ndarray) -> None:
    _set_active(env, scope, mask)


def _broadcast(v: Value, env: Env) -> Value:
    """A household value read in a person's formula."""
    return v[env.cols.hh] if isinstance(v, np.ndarray) else v


def _broadcast_p(v: Value, env: Env) -> np.ndarray:
    if isinstance(v, np.ndarray):
        return v
    return np.full(env.cols.persons, _f(v))


def _scalar_op(op: type[ast.operator], x: Any, y: Any) -> Any:
    x, y = Decimal(x), Decimal(y)
    if op is ast.Add:
        return x + y
    if op is ast.Sub:
        return x - y
    return x * y


def _scalar_call(env: Env, impl: Callable[[Ctx, Sequence[Any]], Any], values: list[Value], scope: str) -> Value:
    """A pure function of values the same for every row: the engine's own implementation, exactly."""
    from engine._errors import EvaluationError

    try:
        return impl(Ctx(None, {}), values)
    except EvaluationError:
        env.mark(True, scope)
        return Decimal(0)


def _cmp(env: Env, scope: str, op: str, a: Value, b: Value) -> Value:
    if _is_scalar(a) and _is_scalar(b):
        return _py_cmp(op, a, b)
    if _is_text(a) or _is_text(b):
        return (a == b) if op == "==" else (a != b)
    if _is_bool(a) and _is_bool(b):
        return (a == b) if op == "==" else (a != b)
    x, y = _f(a), _f(b)
    near = (np.abs(x - y) < EPS) & (x != y)
    env.mark(near, scope)
    return _py_cmp(op, x, y)


def _py_cmp(op: str, a: Any, b: Any) -> Any:
    if op == "==":
        return a == b
    if op == "!=":
        return a != b
    if op == "<":
        return a < b
    if op == "<=":
        return a <= b
    if op == ">":
        return a > b
    return a >= b


def _step(env: Env, scope: str, values: list[Value]) -> Value:
    step = values[1] if len(values) > 1 else Decimal(1)
    if _is_scalar(step):
        if step <= 0:
            env.mark(True, scope)
            return 1.0
        return float(step)
    env.mark(step <= 0, scope)
    return np.where(step <= 0, 1.0, _f(step))


def _round_half_up(env: Env, scope: str, values: list[Value]) -> Value:
    step = _step(env, scope, values)
    q = _f(values[0]) / step
    frac = np.abs(q) - np.floor(np.abs(q))
    env.mark((np.abs(frac - 0.5) < EPS) & (frac != 0.5), scope)
    return np.sign(q) * np.floor(np.abs(q) + 0.5) * step


def _near_whole(q: np.ndarray) -> np.ndarray:
    r = np.rint(q)
    out: np.ndarray = (np.abs(q - r) < EPS) & (q != r)
    return out


def _round_down(env: Env, scope: str, values: list[Value]) -> Value:
    step = _step(env, scope, values)
    q = _f(values[0]) / step
    env.mark(_near_whole(q), scope)
    return np.floor(q) * step


def _round_up(env: Env, scope: str, values: list[Value]) -> Value:
    step = _step(env, scope, values)
    q = _f(values[0]) / step
    env.mark(_near_whole(q), scope)
    return np.ceil(q) * step


def _extreme(pick: Callable[[Any, Any], Any]) -> Callable[[Env, str, list[Value]], Value]:
    def run(env: Env, scope: str, values: list[Value]) -> Value:
        out = _f(values[0])
        for v in values[1:]:
            out = pick(out, _f(v))
        return out

    return run


def _column(table: Table, column: str, fallback: str | None = None) -> list[float | None]:
    out: list[float | None] = []
    for row in table.rows:
        v = row.get(column)
        if v is None and fallback is not None:
            v = row.get(fallback)
        out.append(None if v is None else float(v))
    return out


def _uppslag(env: Env, scope: str, values: list[Value]) -> Value:
    """The first row whose key equals the value; a search over the table's distinct keys, sorted."""
    table: Table = values[0]
    key = np.asarray(_f(values[1]), dtype=np.float64)
    column = values[2] if len(values) > 2 else "belopp"
    key_col = table.columns[0]
    first: dict[float, float | None] = {}
    for row in table.rows:
        k = row.get(key_col)
        if k is not None and float(k) not in first:
            v = row.get(column)
            first[float(k)] = None if v is None else float(v)
    keys = np.array(sorted(first), dtype=np.float64)
    if not len(keys):
        env.mark(np.ones(np.shape(key), dtype=bool), scope)
        return np.zeros(np.shape(key))
    amounts = np.array([first[k] if first[k] is not None else 0.0 for k in keys.tolist()])
    silent = np.array([first[k] is None for k in keys.tolist()])
    pos = np.minimum(np.searchsorted(keys, key), len(keys) - 1)
    found = keys[pos] == key
    env.mark(found & silent[pos], scope)  # the statute gives no amount in that row
    env.mark(~found, scope)
    env.mark(_near_whole(key) if np.ndim(key) else False, scope)
    return np.where(found, amounts[pos], 0.0)


def _intervall(env: Env, scope: str, values: list[Value]) -> Value:
    """The first row whose bounds hold the value. Rows in order of their lower bounds, none
    overlapping the next (every table in the rule files) are searched at once; others row by row."""
    table: Table = values[0]
    x = np.asarray(_f(values[1]), dtype=np.float64)
    column = values[2] if len(values) > 2 else "belopp"
    fallback = values[3] if len(values) > 3 else None
    lo, hi = table.columns[0], table.columns[1]
    rows: list[tuple[float, float | None, float | None]] = []
    for row, v in zip(table.rows, _column(table, column, fallback), strict=True):
        start, end = row.get(lo), row.get(hi)
        if start is not None:
            rows.append((float(start), None if end is None else float(end), v))
    ordered = all(a[1] is not None and a[0] < b[0] and a[1] < b[0] for a, b in itertools.pairwise(rows))
    if not rows or not ordered:
        return _intervall_rows(env, scope, x, rows)
    lows = np.array([r[0] for r in rows])
    highs = np.array([np.inf if r[1] is None else r[1] for r in rows])
    amounts = np.array([0.0 if r[2] is None else r[2] for r in rows])
    silent = np.array([r[2] is None for r in rows])
    i = np.maximum(np.searchsorted(lows, x, side="right") - 1, 0)
    low, high = lows[i], highs[i]
    hit = (x >= low) & (x <= high)
    env.mark(hit & (np.abs(x - low) < EPS) & (x != low), scope)
    env.mark(hit & (np.abs(x - high) < EPS) & (x != high), scope)
    env.mark(hit & silent[i], scope)
    env.mark(~hit, scope)
    return np.where(hit, amounts[i], 0.0)


def _intervall_rows(
    env: Env, scope: str, x: np.ndarray, rows: list[tuple[float, float | None, float | None]]
) -> np.ndarray:
    result = np.zeros(np.shape(x))
    found = np.zeros(np.shape(x), dtype=bool)
    for low, high, v in rows:
        hit = ~found & (x >= low) & (True if high is None else (x <= high))
        env.mark(hit & (np.abs(x - low) < EPS) & (x != low), scope)
        if high is not None:
            env.mark(hit & (np.abs(x - high) < EPS) & (x != high), scope)
        if v is None:
            env.mark(hit, scope)
        else:
            result = np.where(hit, v, result)
        found |= hit
    env.mark(~found, scope)
    return result


def _summa_intervall(env: Env, scope: str, values: list[Value]) -> Value:
    raise Unsupported("summa_intervall över kolumner")  # its bounds are literals in every rule file


_VECTOR: dict[str, Callable[[Env, str, list[Value]], Value]] = {
    "max": _extreme(np.maximum),
    "min": _extreme(np.minimum),
    "avrunda": _round_half_up,
    "avrunda_ned": _round_down,
    "avrunda_upp": _round_up,
    "uppslag": _uppslag,
    "intervall": _intervall,
    "summa_intervall": _summa_intervall,
}


def _income(env: Env, types: list[str], *, so_far: bool = False, excluded: bool = False) -> Value:
    codes = [INCOME_TYPES.index(t) for t in types]
    if excluded:
        codes = [i for i in range(len(INCOME_TYPES)) if i not in codes]
    if not codes:
        return np.zeros(env.cols.persons)
    return env.cols.income_sum(tuple(sorted(codes)), so_far)


def _cost(env: Env, types: list[str]) -> Value:
    return env.cols.cost_sum(tuple(sorted(COST_TYPES.index(t) for t in types)))


def _capped(env: Env, typ: str) -> Value:
    """A cost as applied for; a kommun with a cap on it: the engine decides (it records the cap)."""
    capped = env.capped.get(typ)
    if capped is None:
        kommuner = [k.split(".")[1] for k in env.norms if k.startswith("kommun.") and k.endswith(f".tak.{typ}")]
        capped = env.capped[typ] = (
            np.isin(env.cols.kommun, np.array(kommuner, dtype=object)) if kommuner else np.zeros(env.cols.n, bool)
        )
    env.mark(capped & (env.cols.costs[:, COST_TYPES.index(typ)] > 0), "hushall")
    return _cost(env, [typ])


def _jobbstimulans(env: Env, texts: list[str], numbers: list[Value]) -> Value:
    """engine._functions.jobbstimulans_window over month numbers, for every person at once."""
    c = env.cols
    if not all(_is_scalar(n) for n in numbers):
        raise Unsupported("jobbstimulans med belopp som skiljer mellan månaderna")
    qualify, length = int(numbers[0]), int(numbers[1])
    own = c.p_history_months >= 0
    months = np.where(own, c.p_history_months, c.history_months[c.hh])
    given = np.where(own, c.p_history_start, c.history_start[c.hh])
    months = np.maximum(months, 0)  # no history: 0 months in a row
    period = c.month[c.hh]
    run_start = period - months
    start = np.where(given >= 0, given, run_start + qualify)
    past_first = period >= start + length
    first_again = np.maximum(start + length, run_start) + qualify
    cycle = max(1, length + qualify)
    later = first_again + ((period - first_again) // cycle) * cycle
    later = np.where(period >= later + length, later + cycle, later)
    start = np.where(past_first, np.where(period >= first_again, later, first_again), start)
    return (start <= period) & (period < start + length)


_COLUMNAR: dict[str, Callable[[Env, list[str], list[Value]], Value]] = {
    "inkomst": lambda env, t, n: _income(env, t),
    "inkomst_utom": lambda env, t, n: _income(env, t, excluded=True),
    "hittills_i_ar": lambda env, t, n: _income(env, t, so_far=True),
    "kostnad": lambda env, t, n: _cost(env, t),
    "skalig_kostnad": lambda env, t, n: _capped(env, t[0]),
    "skalig_boendekostnad": lambda env, t, n: _capped(env, "boende"),
    "jobbstimulans": _jobbstimulans,
}


def _hh(fn: Callable[[Columns], Any]) -> tuple[str, Callable[[Columns], Any]]:
    return "hushall", fn


def _p(fn: Callable[[Columns], Any]) -> tuple[str, Callable[[Columns], Any]]:
    return "person", fn


def _months_in_row(c: Columns) -> np.ndarray:
    own = c.p_history_months >= 0
    return np.maximum(np.where(own, c.p_history_months, c.history_months[c.hh]), 0).astype(np.float64)


# The engine's input variables (engine._functions.INPUTS) as columns.
INPUTS: dict[str, tuple[str, Callable[[Columns], Any]]] = {
    "antal_personer": _hh(lambda c: np.bincount(c.hh, minlength=c.n).astype(np.float64)),
    "antal_vuxna": _hh(lambda c: np.bincount(c.hh, weights=(c.roll != "barn"), minlength=c.n)),
    "antal_barn": _hh(lambda c: np.bincount(c.hh, weights=(c.roll == "barn"), minlength=c.n)),
    "gemensamt_hushall_antal": _hh(lambda c: c.gemensamt.astype(np.float64)),
    "ar": _hh(lambda c: (c.month // 12).astype(np.float64)),
    "manad": _hh(lambda c: (c.month % 12 + 1).astype(np.float64)),
    "alder": _p(lambda c: c.alder.astype(np.float64)),
    "roll": _p(lambda c: c.roll),
    "boendeandel": _p(lambda c: c.boendeandel),
    "lunch_utanfor_hemmet": _p(lambda c: c.lunch),
    "skolgang": _p(lambda c: c.skolgang),
    "forhojd_norm_belopp": _p(lambda c: c.forhojd_belopp.astype(np.float64)),
    "forhojd_norm_skal": _p(lambda c: c.forhojd_skal),
    "forhojd_norm_motivering": _p(lambda c: c.forhojd_text),
    "manader_i_folj": _p(_months_in_row),
    "sysselsattning_timmar": _p(lambda c: c.sysselsattning_timmar.astype(np.float64)),
    "formedlingsinsatser_deltid": _p(lambda c: c.formedling_deltid),
    "riktalder_uppnadd": _p(lambda c: c.riktalder),
    "forman_omfattning_procent": _p(lambda c: c.forman_procent.astype(np.float64)),
    "foraldraledig": _p(lambda c: c.foraldraledig),
    "skolar_avslutade": _p(lambda c: c.skolar.astype(np.float64)),
    "undantag_begransning": _hh(lambda c: c.undantag),
    "undantag_begransning_motivering": _hh(lambda c: c.undantag_text),
}
