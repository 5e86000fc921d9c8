"""Properties that must hold for every valid application, whatever its shape."""

from __future__ import annotations

import copy
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import engine
from engine import INCOME_TYPES
from tests import strategies as S
from tests.conftest import ROOT

BUNDLE = engine.load_bundle(ROOT)
FIELDS = ("riksnorm", "skaliga_kostnader", "behov", "inkomster", "forsorjningsstod", "overskott")
FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def amounts(app: dict[str, Any]) -> dict[str, int]:
    r = BUNDLE.calculate(app)
    return {k: r[k] for k in FIELDS}


@FAST
@given(S.application())
def test_balance_and_signs(app: dict[str, Any]) -> None:
    a = amounts(app)
    assert a["forsorjningsstod"] >= 0 and a["overskott"] >= 0
    assert a["behov"] == a["riksnorm"] + a["skaliga_kostnader"]
    assert a["forsorjningsstod"] - a["overskott"] == a["behov"] - a["inkomster"]
    assert min(a["forsorjningsstod"], a["overskott"]) == 0


@FAST
@given(S.application(), st.data())
def test_more_income_never_raises_support(app: dict[str, Any], data: st.DataObject) -> None:
    before = amounts(app)["forsorjningsstod"]
    more = copy.deepcopy(app)
    ids = [p["id"] for p in more["hushall"]]
    if more["inkomster"] and data.draw(st.booleans()):
        i = data.draw(st.integers(0, len(more["inkomster"]) - 1))
        more["inkomster"][i]["belopp"] += data.draw(st.integers(1, 20000))
    else:
        more["inkomster"].append(
            {
                "person": data.draw(st.sampled_from(ids)),
                "typ": data.draw(st.sampled_from(INCOME_TYPES)),
                "belopp": data.draw(st.integers(1, 20000)),
            }
        )
    assert amounts(more)["forsorjningsstod"] <= before


@FAST
@given(S.application(max_children=5), st.data())
def test_extra_child_never_lowers_riksnorm(app: dict[str, Any], data: st.DataObject) -> None:
    before = amounts(app)["riksnorm"]
    more = copy.deepcopy(app)
    more["hushall"].append(data.draw(S.child(app["period"], "extra")))
    n = more.get("gemensamt_hushall_antal")
    if n is not None and n < len(more["hushall"]):
        more["gemensamt_hushall_antal"] = len(more["hushall"])
    assert amounts(more)["riksnorm"] >= before


@FAST
@given(S.application(), st.randoms(use_true_random=False))
def test_order_of_entries_never_matters(app: dict[str, Any], rnd: Any) -> None:
    shuffled = copy.deepcopy(app)
    for key in ("hushall", "inkomster", "kostnader"):
        rnd.shuffle(shuffled[key])
    assert amounts(shuffled) == amounts(app)


@FAST
@given(S.application())
def test_input_is_not_mutated_and_result_is_repeatable(app: dict[str, Any]) -> None:
    original = copy.deepcopy(app)
    first = BUNDLE.calculate(app).to_dict()
    assert app == original
    json.dumps(first)  # the result is JSON-ready as it stands
    assert BUNDLE.calculate(app).to_dict() == first
