"""For generated facts, durable-rules finds exactly what the plain reference evaluation finds."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import engine
from engine.kontroll import FACT_TYPES
from engine.kontroll._condition import holds, parse_condition, to_durable
from engine.kontroll._durable import DurableRuleset
from tests.conftest import ROOT

BUNDLE = engine.load_bundle(ROOT)
CONTROLS = BUNDLE.controls.active(engine.Month.parse("2026-03").first_day) if BUNDLE.controls else []
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

TEXTS = ["GRUND", "SH", "MLÅN", "svar", "fel", "saknas", "ogiltigt", "FK", "SO", "", "sokande", "barn", "Exempel"]
NUMBERS = st.one_of(
    st.integers(-50, 20000),
    st.sampled_from([0, 1, 12, 100, 101]),
    st.floats(0, 200, allow_nan=False).map(lambda f: round(f, 1)),
)


def value_for(kind: str) -> st.SearchStrategy[Any]:
    if kind == "tal":
        return NUMBERS
    if kind == "villkor":
        return st.booleans()
    return st.sampled_from(TEXTS)


@st.composite
def fact(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(sorted(FACT_TYPES)))
    return {"fakta": kind, **{a: draw(value_for(t)) for a, t in FACT_TYPES[kind].items()}}


@SETTINGS
@given(st.lists(fact(), max_size=12))
def test_shipped_controls_agree_with_reference(facts: list[dict[str, Any]]) -> None:
    assert BUNDLE.controls is not None
    durable = BUNDLE.controls.matches(CONTROLS, facts)
    reference = BUNDLE.controls.matches(CONTROLS, facts, reference=True)
    assert [(c.spec.id, i) for c, i in durable] == [(c.spec.id, i) for c, i in reference]


@st.composite
def condition(draw: st.DrawFn, kind: str, depth: int = 0) -> str:
    attrs = FACT_TYPES[kind]
    if depth < 2 and draw(st.integers(0, 2)) == 0:
        op = draw(st.sampled_from(["and", "or"]))
        parts = [draw(condition(kind, depth + 1)) for _ in range(draw(st.integers(2, 3)))]
        text = f" {op} ".join(f"({p})" for p in parts)
        return f"not ({text})" if draw(st.booleans()) else text
    attr = draw(st.sampled_from(sorted(attrs)))
    t = attrs[attr]
    if t == "villkor":
        return attr if draw(st.booleans()) else f"not {attr}"
    if t == "text":
        values = draw(st.lists(st.sampled_from(TEXTS), min_size=1, max_size=3))
        if len(values) > 1:
            return f"{attr} {'in' if draw(st.booleans()) else 'not in'} ({', '.join(repr(v) for v in values)})"
        return f"{attr} {draw(st.sampled_from(['==', '!=']))} {values[0]!r}"
    n = draw(st.sampled_from([0, 1, 12, 100, 12.5]))
    op = draw(st.sampled_from(["==", "!=", "<", "<=", ">", ">="]))
    return f"{n} {op} {attr}" if draw(st.booleans()) else f"{attr} {op} {n}"


@SETTINGS
@given(st.data())
def test_generated_conditions_agree_with_reference(data: st.DataObject) -> None:
    kind = data.draw(st.sampled_from(sorted(FACT_TYPES)))
    texts = [data.draw(condition(kind)) for _ in range(3)]
    conds = [parse_condition(t, FACT_TYPES[kind], {}) for t in texts]
    rs = DurableRuleset("test_diff", {f"c{i}": {"$and": [{"fakta": kind}, to_durable(c)]} for i, c in enumerate(conds)})
    facts = data.draw(st.lists(fact(), max_size=8))
    got = rs.evaluate(facts)
    want = {
        (f"c{i}", j) for i, c in enumerate(conds) for j, f in enumerate(facts) if f["fakta"] == kind and holds(c, f)
    }
    assert got == want, texts
