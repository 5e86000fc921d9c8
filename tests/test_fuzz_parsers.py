"""Fuzzing as a habit: the application reader and the SSBTEK reader against random and hostile input.

Whatever the input, the answer is a result or a clean refusal (``InputError`` naming a field; a
source marked ``ogiltigt``), never another exception, and it comes within a bound of time and
memory: each example runs under an alarm (a hang fails the test) and with ``tracemalloc`` watching
its peak. Fixed budgets (``max_examples``) keep the run in CI short and repeatable (derandomized).
"""

from __future__ import annotations

import base64
import json
import signal
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import engine
from engine import Month
from ssbtek import build_response, parse_response
from tests.ssbtek_helpers import PNR_ANNA

HANG_S = 5
MEMORY_PEAK = 64 * 1024 * 1024
BUDGET = settings(max_examples=300, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))


@contextmanager
def bounded() -> Iterator[None]:
    def alarm(*_: Any) -> None:
        raise AssertionError(f"no answer within {HANG_S} s")

    old = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(HANG_S)
    tracemalloc.start()
    try:
        yield
        _, peak = tracemalloc.get_traced_memory()
        assert peak < MEMORY_PEAK, f"peak memory {peak} bytes"
    finally:
        tracemalloc.stop()
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


HOSTILE_SCALARS = [
    "017", "0x10", "1:30", ".nan", ".inf", "-.inf", "NaN", "Infinity", "1e308", "1e999", "yes", "on", "~",
    "!!python/object:os.system", "!foo 1", "&a [*a]", "*a", "<<: *a", "0000-01", "2026-13", "2026-02-30",
    "9" * 40, "-" + "9" * 40, "\u0000", "\ud7ff", "\ufeff", "'", '"', "\\", "{", "[", "- -", "? x", "|",
    "198502011235", "19850201-1235", "\u202e", "a" * 10_000,
]  # fmt: skip

KEYS = [
    "period", "hushall", "id", "roll", "fodd", "inkomster", "kostnader", "typ", "belopp", "person",
    "historik", "manader_i_folj", "boendeandel", "kommun", "gemensamt_hushall_antal", "x",
]  # fmt: skip
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(HOSTILE_SCALARS),
)
documents = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=5), st.dictionaries(st.sampled_from(KEYS), inner, max_size=6)),
    max_leaves=30,
)


def _as_yaml(value: Any, indent: int = 0) -> str:
    """A crude YAML writer that keeps hostile scalars unquoted, as a hand-written file would."""
    pad = " " * indent
    if isinstance(value, dict):
        return "".join(f"{pad}{k}:\n{_as_yaml(v, indent + 2)}" for k, v in value.items()) or f"{pad}{{}}\n"
    if isinstance(value, list):
        return "".join(f"{pad}-\n{_as_yaml(v, indent + 2)}" for v in value) or f"{pad}[]\n"
    return f"{pad}{value}\n"


def _one_of_clean(call: Callable[[], Any]) -> None:
    try:
        call()
    except engine.InputError as exc:
        assert exc.problems and all(isinstance(p.message, str) and p.message for p in exc.problems)


@BUDGET
@given(documents)
def test_applications_as_json(doc: Any) -> None:
    try:
        text = json.dumps(doc)
    except ValueError:
        return
    with bounded():
        _one_of_clean(lambda: engine.parse_application(engine.parse_text(text, "a.json")))


@BUDGET
@given(documents)
def test_applications_as_yaml(doc: Any) -> None:
    with bounded():
        _one_of_clean(lambda: engine.parse_application(engine.parse_text(_as_yaml(doc), "a.yaml")))


@BUDGET
@given(st.binary(max_size=2000))
def test_bytes_as_json_body(raw: bytes) -> None:
    with bounded():
        _one_of_clean(lambda: engine.parse_json(raw, ""))


VALID = build_response(
    {"personnummer": PNR_ANNA, "kallor": {"AF": {"arbetssokande": True}, "SO": {"a_kassor": [{"namn": "K"}]}}},
    Month.parse("2026-03"),
)
INSERTS = [
    b'<!DOCTYPE r [<!ENTITY e "x">]>',
    b"&e;",
    b"<!ENTITY e SYSTEM 'file:///etc/passwd'>",
    b"<![CDATA[",
    b"\x00",
    b"</ssbt:svarsdata>",
    b"<ssbt:FK><ssbt:data><ssbt:lefiJsonSvar>"
    + base64.b64encode(b'{"formansinformation": 1}')
    + b"</ssbt:lefiJsonSvar>",
    b"\xff\xfe",
    b"<?xml version='1.0' encoding='UTF-16'?>",
    b"x" * 1000,
]


@BUDGET
@given(st.integers(0, len(VALID)), st.sampled_from(INSERTS), st.integers(0, 200), st.booleans())
def test_agency_answers_never_raise(at: int, insert: bytes, cut: int, truncate: bool) -> None:
    data = VALID[:at] + insert + VALID[at:]
    if truncate:
        data = data[: max(0, len(data) - cut)]
    with bounded():
        d = parse_response(data, "s", PNR_ANNA)
    assert set(d.sources) >= {"FK", "AF", "SO"}
    assert all(a.status in ("svar", "fel", "ogiltigt", "saknas") for a in d.sources.values())


@BUDGET
@given(st.binary(max_size=3000))
def test_random_bytes_as_agency_answer(raw: bytes) -> None:
    with bounded():
        d = parse_response(raw, "s", PNR_ANNA)
    assert {a.status for a in d.sources.values()} <= {"ogiltigt", "fel", "saknas"}
