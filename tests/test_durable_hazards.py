"""Each known durable-rules hazard: shown on the raw library (in a subprocess where it crashes),
then shown handled by engine.kontroll._durable, the one module that uses durable-rules."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
import tomllib
from typing import Any

import pytest

from engine.kontroll import _durable
from engine.kontroll._durable import ControlEngineError, DurableRuleset
from tests.conftest import ROOT

RAW_PRELUDE = """
import durable.engine as E
host = E.Host()
hits = []
"""


def raw(code: str) -> subprocess.CompletedProcess[str]:
    # Without coverage's own start-up in the child: these children are meant to crash in the library.
    env = {k: v for k, v in os.environ.items() if not k.startswith("COVERAGE_")}
    return subprocess.run(
        [sys.executable, "-c", RAW_PRELUDE + textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=env,
    )


def ruleset(**patterns: Any) -> DurableRuleset:
    return DurableRuleset("test_hazard", patterns or {"r": {"$and": [{"fakta": "a"}, {"$gt": {"x": 0}}]}})


def test_python_is_pinned_below_313() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["requires-python"] == ">=3.11,<3.13"
    assert (3, 11) <= sys.version_info[:2] <= (3, 12)


def test_unmatched_fact_raises_raw_but_not_here() -> None:
    proc = raw("""
        host.set_rulesets({"t": {"r": {"all": [{"m": {"fakta": "a"}}], "run": lambda c: None}}})
        try:
            host.assert_fact("t", {"sid": "s", "fakta": "b"})
        except E.MessageNotHandledException:
            print("RAISED")
    """)
    assert "RAISED" in proc.stdout
    assert ruleset().evaluate([{"fakta": "b"}, {"fakta": "okand", "y": 1}]) == set()


def test_delete_state_after_that_error_crashes_raw_but_not_here() -> None:
    proc = raw("""
        host.set_rulesets({"t": {"r": {"all": [{"m": {"fakta": "a"}}], "run": lambda c: None}}})
        try:
            host.assert_fact("t", {"sid": "s", "fakta": "b"})
        except E.MessageNotHandledException:
            pass
        host.delete_state("t", "s")
        print("SURVIVED")
    """)
    assert proc.returncode != 0 and "SURVIVED" not in proc.stdout  # segmentation fault
    rs = ruleset()
    rs.definition.pop(_durable.CATCH_ALL)  # force the error through our wrapper
    with pytest.raises(ControlEngineError):
        rs.evaluate([{"fakta": "b"}])
    assert rs._abandoned == 1  # the session was not deleted, and the process is alive
    assert rs.evaluate([{"fakta": "a", "x": 1}]) == {("r", 0)}


def test_delete_state_when_nothing_fired_crashes_raw_but_not_here() -> None:
    proc = raw("""
        host.set_rulesets({"t": {
            "r": {"all": [{"m": {"fakta": "a"}}], "run": lambda c: None},
            "alla": {"all": [{"a": {"$ex": {"fakta": 1}}}, {"b": {"$ex": {"aldrig": 1}}}], "run": lambda c: None}}})
        host.assert_facts("t", [{"sid": "s", "fakta": "b"}])
        host.delete_state("t", "s")
        print("SURVIVED")
    """)
    assert proc.returncode != 0 and "SURVIVED" not in proc.stdout
    rs = ruleset()
    for _ in range(50):
        assert rs.evaluate([{"fakta": "b"}]) == set()
        assert rs.evaluate([]) == set()


def test_session_limit_raw_but_not_here() -> None:
    proc = raw("""
        host.set_rulesets({"t": {"r": {"all": [{"m": {"fakta": "a"}}], "run": lambda c: None}}})
        try:
            for i in range(1100):
                host.assert_fact("t", {"sid": f"s{i}", "fakta": "a"})
        except MemoryError:
            print(f"MEMORY {i}", flush=True)
        import os
        os._exit(0)  # the library's teardown of a full host has crashed the interpreter at exit
    """)
    assert "MEMORY 1024" in proc.stdout
    rs = ruleset()
    for i in range(3000):
        assert rs.evaluate([{"fakta": "a", "x": i + 1}]) == {("r", 0)}


def test_or_fires_per_branch_raw_but_once_here() -> None:
    proc = raw("""
        rule = {"all": [{"m": {"$or": [{"a": 1}, {"b": 1}]}}], "run": lambda c: hits.append(1)}
        host.set_rulesets({"t": {"r": rule}})
        host.assert_fact("t", {"sid": "s", "a": 1, "b": 1})
        print("FIRED", len(hits))
    """)
    assert "FIRED 2" in proc.stdout
    rs = ruleset(r={"$and": [{"fakta": "a"}, {"$or": [{"x": 1}, {"y": 1}]}]})
    assert rs.evaluate([{"fakta": "a", "x": 1, "y": 1}]) == {("r", 0)}


def test_set_rulesets_mutates_its_argument_raw_but_not_ours() -> None:
    proc = raw("""
        d = {"t": {"r": {"all": [{"m": {"fakta": "a"}}], "run": lambda c: None}}}
        host.set_rulesets(d)
        print("RUN" if "run" in d["t"]["r"] else "MUTATED")
    """)
    assert "MUTATED" in proc.stdout
    rs = ruleset()
    before = repr(rs.definition)
    rs.evaluate([{"fakta": "a", "x": 1}])
    rs._register()
    assert repr(rs.definition) == before and "run" not in rs.definition["r"]


def test_exceptions_in_actions_are_swallowed_raw_but_raised_here() -> None:
    proc = raw("""
        def boom(c):
            raise RuntimeError("bang")
        host.set_rulesets({"t": {"r": {"all": [{"m": {"fakta": "a"}}], "run": boom}}})
        state = host.assert_fact("t", {"sid": "s", "fakta": "a"})
        print("NO EXCEPTION", "bang" in str(state))
    """)
    assert "NO EXCEPTION True" in proc.stdout

    class Failing(DurableRuleset):
        def _record(self, rule_id: str, c: Any) -> None:
            raise RuntimeError("bang")

    rs = Failing("test_failing", {"r": {"$and": [{"fakta": "a"}, {"$gt": {"x": 0}}]}})
    with pytest.raises(ControlEngineError, match="bang"):
        rs.evaluate([{"fakta": "a", "x": 1}])
    assert rs.evaluate([{"fakta": "a", "x": 0}]) == set()  # still usable afterwards


def test_host_is_shared_and_calls_are_serialised() -> None:
    rs = ruleset(r={"$and": [{"fakta": "a"}, {"$gt": {"x": 5}}]})
    facts = [[{"fakta": "a", "x": (i * 7 + j) % 11} for j in range(6)] for i in range(40)]
    expected = [rs.evaluate(f) for f in facts]
    results: dict[int, list[set[tuple[str, int]]]] = {}

    def worker(n: int) -> None:
        results[n] = [rs.evaluate(f) for f in facts]

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(results[n] == expected for n in range(8))


def test_durable_is_imported_in_one_module_only() -> None:
    users = [
        p
        for p in (ROOT).rglob("*.py")
        if ".venv" not in p.parts and "tests" not in p.parts and "import durable" in p.read_text(encoding="utf-8")
    ]
    assert users == [ROOT / "engine" / "kontroll" / "_durable.py"], users
