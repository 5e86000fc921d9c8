"""The formula language of the rule files.

Policy staff write formulas such as ``max(0, behov - inkomster)`` in YAML. A formula is parsed
with Python's own parser in expression mode, every node is checked against a short allow-list
(arithmetic, comparisons, ``and``/``or``/``not``, conditionals, calls to the engine's named
functions, names and literals), names and function arguments are resolved and type-checked,
and the tree is compiled to plain closures. Nothing is ever passed to ``eval`` or ``exec``;
an attribute, subscript, lambda or unknown function is refused with the column it stands at.
"""

from __future__ import annotations

import ast
import enum
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, DivisionByZero, InvalidOperation
from typing import Any, Literal, Protocol

from engine._errors import EvaluationError

Entity = Literal["hushall", "person"]


class T(enum.Enum):
    """Static types of the formula language."""

    NUM = "tal"
    BOOL = "villkor"
    TEXT = "text"
    TABLE = "tabell"


class FormulaError(Exception):
    """A formula that cannot be compiled; ``col`` is 0-based within the formula text."""

    def __init__(self, message: str, col: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.col = col


class MissingNorm(Exception):
    """A rule read a norm that has no value for the period (raised during evaluation)."""

    def __init__(self, norm_id: str) -> None:
        super().__init__(norm_id)
        self.norm_id = norm_id


class UnknownNorm(FormulaError):
    """A formula names a norm that is not defined (perhaps because its file did not load)."""


@dataclass(frozen=True)
class Symbol:
    """What a name in a formula refers to."""

    kind: Literal["input", "rule", "norm"]
    name: str
    type: T
    entity: Entity
    columns: tuple[str, ...] = ()  # for tables
    getter: Callable[[Ctx], Any] | None = None  # for inputs


@dataclass(frozen=True)
class Param:
    type: T
    choices: frozenset[str] | None = None  # literal text that must be one of these
    column_of: int | None = None  # literal text naming a column of the table argument at this index
    optional: bool = False


@dataclass(frozen=True)
class FunctionDef:
    """A named function that formulas may call; ``impl`` gets the evaluated arguments."""

    name: str
    params: tuple[Param, ...]
    returns: T
    impl: Callable[[Ctx, Sequence[Any]], Any]
    doc: str
    scope: Literal["any", "person", "hushall"] = "any"
    varargs: Param | None = None


class Resolver(Protocol):
    def symbol(self, name: str) -> Symbol | None: ...

    def norm(self, norm_id: str) -> Symbol | None: ...

    def function(self, name: str) -> FunctionDef | None: ...


class Ctx:
    """Evaluation state for one application, shared by every compiled closure."""

    __slots__ = ("details", "facts", "missing", "norms", "person", "person_values", "reads", "values")

    def __init__(self, facts: Any, norms: Mapping[str, Any], missing: Mapping[str, str] | None = None) -> None:
        self.facts = facts
        self.norms = norms
        self.missing = missing or {}
        self.values: dict[str, Any] = {}
        self.person: Any = None
        self.person_values: dict[str, dict[str, Any]] = {}
        self.reads: dict[str, Any] = {}
        self.details: dict[str, Any] = {}

    def missing_message(self, norm_id: str) -> str:
        return self.missing.get(norm_id, f"värdet '{norm_id}' saknas för perioden")


Fn = Callable[[Ctx], Any]
_ABSENT = object()


@dataclass
class Compiled:
    """A compiled formula and what it reads, for ordering, validation and documentation."""

    fn: Fn
    type: T
    rules: set[str] = field(default_factory=set)
    norms: set[str] = field(default_factory=set)
    inputs: set[str] = field(default_factory=set)


_BINOPS: dict[type[ast.operator], str] = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}
COMPARISONS: dict[type[ast.cmpop], str] = {
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.In: "in",
    ast.NotIn: "not in",
}
_SPECIAL = {"om", "summa", "antal"}
_ZERO = Decimal(0)


def compile_formula(text: str, scope: Entity, resolver: Resolver) -> Compiled:
    """Parse, check and compile ``text`` for use in a rule of entity ``scope``."""
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise FormulaError(f"formeln går inte att tolka: {exc.msg}", (exc.offset or 1) - 1) from None
    out = Compiled(fn=_const(None), type=T.NUM)
    c = _Compiler(text.strip(), resolver, out)
    fn, typ = c.node(tree.body, scope)
    out.fn, out.type = fn, typ
    return out


def _const(value: Any) -> Fn:
    return lambda ctx: value


class _Compiler:
    def __init__(self, text: str, resolver: Resolver, out: Compiled) -> None:
        self.text = text
        self.r = resolver
        self.out = out

    def fail(self, node: ast.AST, message: str) -> FormulaError:
        return FormulaError(message, getattr(node, "col_offset", None))

    def source(self, node: ast.AST) -> str:
        return ast.get_source_segment(self.text, node) or ""

    def expect(self, node: ast.expr, scope: Entity, want: T) -> Fn:
        fn, typ = self.node(node, scope)
        if typ is not want:
            raise self.fail(node, f"'{self.source(node)}' är {typ.value}, här krävs {want.value}")
        return fn

    # -- nodes -------------------------------------------------------------------------------
    def node(self, node: ast.expr, scope: Entity) -> tuple[Fn, T]:
        if isinstance(node, ast.Constant):
            return self.constant(node)
        if isinstance(node, ast.Name):
            return self.name(node, node.id, scope)
        if isinstance(node, ast.Attribute):
            return self.dotted(node, scope)
        if isinstance(node, ast.BinOp):
            op = _BINOPS.get(type(node.op))
            if op is None:
                raise self.fail(node, "bara + - * / är tillåtna räknesätt")
            a = self.expect(node.left, scope, T.NUM)
            b = self.expect(node.right, scope, T.NUM)
            return _binop(op, a, b), T.NUM
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.USub):
                a = self.expect(node.operand, scope, T.NUM)
                return (lambda ctx: -a(ctx)), T.NUM
            if isinstance(node.op, ast.Not):
                a = self.expect(node.operand, scope, T.BOOL)
                return (lambda ctx: not a(ctx)), T.BOOL
            raise self.fail(node, "otillåten operator")
        if isinstance(node, ast.BoolOp):
            parts = [self.expect(v, scope, T.BOOL) for v in node.values]
            if isinstance(node.op, ast.And):
                return (lambda ctx: all(p(ctx) for p in parts)), T.BOOL
            return (lambda ctx: any(p(ctx) for p in parts)), T.BOOL
        if isinstance(node, ast.Compare):
            return self.compare(node, scope), T.BOOL
        if isinstance(node, ast.IfExp):
            return self.conditional(node.test, node.body, node.orelse, scope, node)
        if isinstance(node, ast.Call):
            return self.call(node, scope)
        raise self.fail(node, f"'{self.source(node)}' är inte tillåtet i en formel")

    def constant(self, node: ast.Constant) -> tuple[Fn, T]:
        v = node.value
        if isinstance(v, bool):
            return _const(v), T.BOOL
        if isinstance(v, int | float):
            # Build the Decimal from the written digits, never from a binary float.
            d = Decimal(self.source(node).replace("_", ""))
            return _const(d), T.NUM
        if isinstance(v, str):
            return _const(v), T.TEXT
        raise self.fail(node, f"otillåtet värde {v!r}")

    def name(self, node: ast.AST, name: str, scope: Entity) -> tuple[Fn, T]:
        if name in ("sant", "falskt"):
            return _const(name == "sant"), T.BOOL
        sym = self.r.symbol(name)
        if sym is None:
            raise self.fail(node, f"okänt namn '{name}' (ingen regel eller indata heter så)")
        if sym.entity == "person" and scope == "hushall":
            raise self.fail(
                node,
                f"'{name}' gäller en person; använd det i en personregel eller inuti summa(...)/antal(...)",
            )
        if sym.kind == "rule":
            self.out.rules.add(name)
            if sym.entity == "person":
                default: Any = False if sym.type is T.BOOL else _ZERO

                def read_person_rule(ctx: Ctx, n: str = name, d: Any = default) -> Any:
                    v = ctx.person_values[ctx.person.id].get(n, d)
                    ctx.reads[n] = v
                    return v

                return read_person_rule, sym.type

            def read_rule(ctx: Ctx, n: str = name) -> Any:
                v = ctx.values[n]
                ctx.reads[n] = v
                return v

            return read_rule, sym.type
        self.out.inputs.add(name)
        getter = sym.getter
        assert getter is not None

        def read_input(ctx: Ctx, n: str = name, g: Callable[[Ctx], Any] = getter) -> Any:
            v = g(ctx)
            ctx.reads[n] = v
            return v

        return read_input, sym.type

    def dotted(self, node: ast.Attribute, scope: Entity) -> tuple[Fn, T]:
        parts: list[str] = []
        cur: ast.expr = node
        while isinstance(cur, ast.Attribute):
            parts.append(cur.attr)
            cur = cur.value
        if not isinstance(cur, ast.Name) or cur.id != "norm":
            raise self.fail(node, f"'{self.source(node)}': punktnamn är bara tillåtna för norm.<id>")
        norm_id = ".".join(reversed(parts))
        sym = self.r.norm(norm_id)
        if sym is None:
            raise UnknownNorm(f"okänd norm '{norm_id}' (finns inte i normer/)", node.col_offset)
        self.out.norms.add(norm_id)
        key = "norm." + norm_id
        if sym.type is T.TABLE:

            def read_table(ctx: Ctx, i: str = norm_id) -> Any:
                v = ctx.norms.get(i, _ABSENT)
                if v is _ABSENT:
                    raise MissingNorm(i)
                return v

            return read_table, T.TABLE

        def read_norm(ctx: Ctx, i: str = norm_id, k: str = key) -> Any:
            v = ctx.norms.get(i, _ABSENT)
            if v is _ABSENT:
                raise MissingNorm(i)
            ctx.reads[k] = v
            return v

        return read_norm, sym.type

    def compare(self, node: ast.Compare, scope: Entity) -> Fn:
        left_fn, left_t = self.node(node.left, scope)
        steps: list[tuple[str, Fn]] = []
        for op_node, right in zip(node.ops, node.comparators, strict=True):
            op = COMPARISONS.get(type(op_node))
            if op is None:
                raise self.fail(node, "otillåten jämförelse")
            if op in ("in", "not in"):
                if not isinstance(right, ast.Tuple | ast.List) or not all(
                    isinstance(e, ast.Constant) for e in right.elts
                ):
                    raise self.fail(right, "efter 'in' krävs en lista med värden, t.ex. ('sokande', 'medsokande')")
                values = []
                for e in right.elts:
                    fn, t = self.node(e, scope)
                    if t is not left_t:
                        raise self.fail(e, f"kan inte jämföra {left_t.value} med {t.value}")
                    values.append(fn(Ctx(None, {})))
                frozen = frozenset(values)
                steps.append((op, _const(frozen)))
                left_t = T.BOOL  # chaining after 'in' is not meaningful
                continue
            right_fn, right_t = self.node(right, scope)
            if right_t is not left_t or left_t is T.TABLE:
                raise self.fail(node, f"kan inte jämföra {left_t.value} med {right_t.value}")
            if op in ("<", "<=", ">", ">=") and left_t is not T.NUM:
                raise self.fail(node, f"'{op}' kräver tal")
            steps.append((op, right_fn))
            left_t = right_t
        return _compare(left_fn, steps)

    def conditional(
        self, test: ast.expr, body: ast.expr, orelse: ast.expr, scope: Entity, node: ast.AST
    ) -> tuple[Fn, T]:
        c = self.expect(test, scope, T.BOOL)
        a, ta = self.node(body, scope)
        b, tb = self.node(orelse, scope)
        if ta is not tb:
            raise self.fail(node, f"båda grenarna måste ha samma typ ({ta.value} / {tb.value})")
        return (lambda ctx: a(ctx) if c(ctx) else b(ctx)), ta

    def call(self, node: ast.Call, scope: Entity) -> tuple[Fn, T]:
        if not isinstance(node.func, ast.Name):
            raise self.fail(node, "bara namngivna funktioner får anropas")
        fname = node.func.id
        if node.keywords:
            raise self.fail(node, f"{fname}(...) tar inga namngivna argument")
        args = node.args
        if any(isinstance(a, ast.Starred) for a in args):
            raise self.fail(node, "otillåtet argument")
        if fname in _SPECIAL:
            return self.special(fname, node, args, scope)
        fdef = self.r.function(fname)
        if fdef is None:
            raise self.fail(node, f"okänd funktion '{fname}'")
        if fdef.scope == "person" and scope == "hushall":
            raise self.fail(node, f"{fname}(...) gäller en person och kan bara användas i en personregel")
        if fdef.scope == "hushall" and scope == "person":
            raise self.fail(node, f"{fname}(...) gäller hela hushållet och kan inte användas i en personregel")
        required = [p for p in fdef.params if not p.optional]
        if len(args) < len(required) or (fdef.varargs is None and len(args) > len(fdef.params)):
            raise self.fail(node, f"{fname}(...) tar {len(required)}–{len(fdef.params)} argument, fick {len(args)}")
        specs = (
            list(fdef.params) + [fdef.varargs] * max(0, len(args) - len(fdef.params))
            if fdef.varargs
            else (list(fdef.params))
        )
        fns: list[Fn] = []
        for i, (arg, spec) in enumerate(zip(args, specs, strict=False)):
            assert spec is not None
            if spec.choices is not None or spec.column_of is not None:
                if not isinstance(arg, ast.Constant) or not isinstance(arg.value, str):
                    raise self.fail(arg, f"argument {i + 1} till {fname}(...) måste vara en text inom citattecken")
                allowed = spec.choices
                if spec.column_of is not None:
                    table_arg = args[spec.column_of]
                    allowed = frozenset(self.table_columns(table_arg))
                if allowed is not None and arg.value not in allowed:
                    raise self.fail(
                        arg,
                        f"'{arg.value}' är inte ett giltigt värde för {fname}(...); tillåtna: "
                        + ", ".join(sorted(allowed)),
                    )
                fns.append(_const(arg.value))
                continue
            fns.append(self.expect(arg, scope, spec.type))
        return _call(fdef, fns), fdef.returns

    def table_columns(self, node: ast.expr) -> tuple[str, ...]:
        if isinstance(node, ast.Attribute):
            parts: list[str] = []
            cur: ast.expr = node
            while isinstance(cur, ast.Attribute):
                parts.append(cur.attr)
                cur = cur.value
            sym = self.r.norm(".".join(reversed(parts)))
            if sym is not None:
                return sym.columns
        return ()

    def special(self, fname: str, node: ast.Call, args: list[ast.expr], scope: Entity) -> tuple[Fn, T]:
        if fname == "om":
            if len(args) != 3:
                raise self.fail(node, "om(villkor, värde_om_sant, värde_om_falskt) tar tre argument")
            return self.conditional(args[0], args[1], args[2], scope, node)
        if scope != "hushall":
            raise self.fail(node, f"{fname}(...) summerar över hushållets personer och hör hemma i en hushållsregel")
        if len(args) != 1:
            raise self.fail(node, f"{fname}(...) tar ett argument")
        label = self.source(args[0])
        if fname == "summa":
            inner = self.expect(args[0], "person", T.NUM)
            return _sum_over_persons(inner, label), T.NUM
        inner = self.expect(args[0], "person", T.BOOL)
        return _count_persons(inner, label), T.NUM


def _binop(op: str, a: Fn, b: Fn) -> Fn:
    if op == "+":
        return lambda ctx: a(ctx) + b(ctx)
    if op == "-":
        return lambda ctx: a(ctx) - b(ctx)
    if op == "*":
        return lambda ctx: a(ctx) * b(ctx)

    def divide(ctx: Ctx) -> Any:
        x = a(ctx)
        if type(x) is int:
            x = Decimal(x)  # int / int would give a binary float
        try:
            return x / b(ctx)
        except (DivisionByZero, InvalidOperation, ZeroDivisionError):
            raise EvaluationError("division med noll") from None

    return divide


def _compare(left: Fn, steps: list[tuple[str, Fn]]) -> Fn:
    def run(ctx: Ctx) -> bool:
        lv = left(ctx)
        for op, right in steps:
            rv = right(ctx)
            if op == "==":
                ok = lv == rv
            elif op == "!=":
                ok = lv != rv
            elif op == "<":
                ok = lv < rv
            elif op == "<=":
                ok = lv <= rv
            elif op == ">":
                ok = lv > rv
            elif op == ">=":
                ok = lv >= rv
            elif op == "in":
                ok = lv in rv
            else:
                ok = lv not in rv
            if not ok:
                return False
            lv = rv
        return True

    return run


def _call(fdef: FunctionDef, fns: list[Fn]) -> Fn:
    impl = fdef.impl
    if len(fns) == 1:
        f0 = fns[0]
        return lambda ctx: impl(ctx, (f0(ctx),))
    if len(fns) == 2:
        f0, f1 = fns
        return lambda ctx: impl(ctx, (f0(ctx), f1(ctx)))
    return lambda ctx: impl(ctx, [f(ctx) for f in fns])


def _sum_over_persons(inner: Fn, label: str) -> Fn:
    def run(ctx: Ctx) -> Decimal:
        outer_reads = ctx.reads
        per_person: dict[str, Any] = {}
        total = _ZERO
        try:
            for p in ctx.facts.persons:
                ctx.person = p
                ctx.reads = {}
                v = inner(ctx)
                if v:
                    per_person[p.id] = v
                total += v
        finally:
            ctx.person = None
            ctx.reads = outer_reads
        outer_reads[label] = per_person
        return total

    return run


def _count_persons(inner: Fn, label: str) -> Fn:
    def run(ctx: Ctx) -> Decimal:
        outer_reads = ctx.reads
        hits: list[str] = []
        try:
            for p in ctx.facts.persons:
                ctx.person = p
                ctx.reads = {}
                if inner(ctx):
                    hits.append(p.id)
        finally:
            ctx.person = None
            ctx.reads = outer_reads
        outer_reads[label] = hits
        return Decimal(len(hits))

    return run
