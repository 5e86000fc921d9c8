"""Control conditions: parsed safely, checked against the fact's attributes, compiled twice.

A condition such as ``utbetalt_kontroll > 0 and deklarerat == 0`` compares attributes of one
fact with literals or parameters (``param.tolerans_kronor``). It is parsed with Python's parser
in expression mode and every node checked against a short list, as formulas are; negation is
pushed down to the comparisons. The normalised tree compiles to a durable-rules pattern, and is
also evaluated directly by :func:`holds`, the plain reference the durable-rules evaluation is
tested against.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal, cast

from engine._expression import COMPARISONS, FormulaError

Op = Literal["==", "!=", "<", "<=", ">", ">="]
_FLIP: dict[str, Op] = {"==": "==", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}
_NEGATE: dict[str, Op] = {"==": "!=", "!=": "==", "<": ">=", "<=": ">", ">": "<=", ">=": "<"}
# The formula language's comparisons, without membership (conditions compare one attribute).
_AST_OPS = cast(dict[type[ast.cmpop], Op], {k: v for k, v in COMPARISONS.items() if v in _FLIP})
_DURABLE = {"!=": "$neq", "<": "$lt", "<=": "$lte", ">": "$gt", ">=": "$gte"}


@dataclass(frozen=True)
class Cmp:
    attr: str
    op: Op
    value: Any


@dataclass(frozen=True)
class All:
    parts: tuple[Cond, ...]


@dataclass(frozen=True)
class Any_:
    parts: tuple[Cond, ...]


Cond = Cmp | All | Any_
AttrType = Literal["tal", "text", "villkor"]


def parse_condition(text: str, attrs: Mapping[str, AttrType], params: Mapping[str, Any]) -> Cond:
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise FormulaError(f"villkoret går inte att tolka: {exc.msg}", (exc.offset or 1) - 1) from None
    return _Parser(text.strip(), attrs, params).node(tree.body, negate=False)


class _Parser:
    def __init__(self, text: str, attrs: Mapping[str, AttrType], params: Mapping[str, Any]) -> None:
        self.text = text
        self.attrs = attrs
        self.params = params

    def fail(self, node: ast.AST, message: str) -> FormulaError:
        return FormulaError(message, getattr(node, "col_offset", None))

    def node(self, node: ast.expr, negate: bool) -> Cond:
        if isinstance(node, ast.BoolOp):
            parts = tuple(self.node(v, negate) for v in node.values)
            conj = isinstance(node.op, ast.And) != negate  # De Morgan
            return All(parts) if conj else Any_(parts)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            return self.node(node.operand, not negate)
        if isinstance(node, ast.Name):
            kind = self.attr(node, node.id)
            if kind != "villkor":
                raise self.fail(node, f"'{node.id}' är {kind}; skriv en jämförelse, t.ex. {node.id} > 0")
            return Cmp(node.id, "==", not negate)
        if isinstance(node, ast.Compare):
            if len(node.ops) != 1:
                raise self.fail(node, "skriv en jämförelse i taget, förenade med and/or")
            return self.compare(node, negate)
        raise self.fail(node, f"'{ast.get_source_segment(self.text, node)}' är inte tillåtet i ett villkor")

    def attr(self, node: ast.AST, name: str) -> AttrType:
        if name not in self.attrs:
            raise self.fail(node, f"faktat har inget attribut '{name}' (finns: {', '.join(sorted(self.attrs))})")
        return self.attrs[name]

    def value(self, node: ast.expr) -> Any:
        if isinstance(node, ast.Constant) and isinstance(node.value, bool | int | float | str):
            if isinstance(node.value, float):
                return float(Decimal(ast.get_source_segment(self.text, node) or str(node.value)))
            return node.value
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant):
            v = self.value(node.operand)
            if isinstance(v, bool) or not isinstance(v, int | float):
                raise self.fail(node, "minus framför något annat än ett tal")
            return -v
        if isinstance(node, ast.Name) and node.id in ("sant", "falskt"):
            return node.id == "sant"
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "param":
            if node.attr not in self.params:
                raise self.fail(node, f"okänd parameter '{node.attr}' (finns i regelverk/kontroll/parametrar.yaml?)")
            return self.params[node.attr]
        raise self.fail(node, "jämför med ett värde (tal, text, sant/falskt) eller param.<namn>")

    def compare(self, node: ast.Compare, negate: bool) -> Cond:
        left, right = node.left, node.comparators[0]
        op_node = node.ops[0]
        if isinstance(op_node, ast.In | ast.NotIn):
            if not isinstance(left, ast.Name) or not isinstance(right, ast.Tuple | ast.List):
                raise self.fail(node, "skriv attribut in ('a', 'b')")
            kind = self.attr(left, left.id)
            values = [self.value(e) for e in right.elts]
            for v in values:
                self.check_type(node, left.id, kind, v)
            inside = isinstance(op_node, ast.In) != negate
            parts = tuple(Cmp(left.id, "==" if inside else "!=", v) for v in values)
            return Any_(parts) if inside else All(parts)
        op = _AST_OPS.get(type(op_node))
        if op is None:
            raise self.fail(node, "otillåten jämförelse")
        if not isinstance(left, ast.Name) and isinstance(right, ast.Name):
            left, right, op = right, left, _FLIP[op]
        if not isinstance(left, ast.Name):
            raise self.fail(node, "en sida av jämförelsen ska vara ett attribut hos faktat")
        kind = self.attr(left, left.id)
        value = self.value(right)
        self.check_type(node, left.id, kind, value)
        if kind != "tal" and op not in ("==", "!="):
            raise self.fail(node, f"'{op}' kräver tal, men '{left.id}' är {kind}")
        return Cmp(left.id, _NEGATE[op] if negate else op, value)

    def check_type(self, node: ast.AST, attr: str, kind: AttrType, value: Any) -> None:
        ok = (
            (kind == "tal" and isinstance(value, int | float) and not isinstance(value, bool))
            or (kind == "text" and isinstance(value, str))
            or (kind == "villkor" and isinstance(value, bool))
        )
        if not ok:
            raise self.fail(node, f"'{attr}' är {kind} och kan inte jämföras med {value!r}")


def to_durable(cond: Cond) -> dict[str, Any]:
    """The durable-rules pattern for a condition (without the fact-type test)."""
    if isinstance(cond, Cmp):
        if cond.op == "==":
            return {cond.attr: cond.value}
        return {_DURABLE[cond.op]: {cond.attr: cond.value}}
    key = "$and" if isinstance(cond, All) else "$or"
    return {key: [to_durable(p) for p in cond.parts]}


def holds(cond: Cond, fact: Mapping[str, Any]) -> bool:
    """The reference evaluation: what the condition means, in plain Python."""
    if isinstance(cond, All):
        return all(holds(p, fact) for p in cond.parts)
    if isinstance(cond, Any_):
        return any(holds(p, fact) for p in cond.parts)
    v = fact.get(cond.attr)
    if v is None:
        return False
    if cond.op == "==":
        return bool(v == cond.value)
    if cond.op == "!=":
        return bool(v != cond.value)
    if cond.op == "<":
        return bool(v < cond.value)
    if cond.op == "<=":
        return bool(v <= cond.value)
    if cond.op == ">":
        return bool(v > cond.value)
    return bool(v >= cond.value)


_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def compiled(cond: Cond) -> Callable[[Mapping[str, Any]], bool]:
    """:func:`holds` as a closure made once (for conditions evaluated for every application)."""
    if isinstance(cond, All):
        parts = [compiled(p) for p in cond.parts]
        return lambda fact: all(p(fact) for p in parts)
    if isinstance(cond, Any_):
        parts = [compiled(p) for p in cond.parts]
        return lambda fact: any(p(fact) for p in parts)
    attr, op, value = cond.attr, _OPS[cond.op], cond.value

    def test(fact: Mapping[str, Any]) -> bool:
        v = fact.get(attr)
        return v is not None and bool(op(v, value))

    return test


def attributes(cond: Cond) -> set[str]:
    """The fact attributes a condition reads."""
    if isinstance(cond, Cmp):
        return {cond.attr}
    out: set[str] = set()
    for p in cond.parts:
        out |= attributes(p)
    return out
