"""The one module that talks to durable-rules (the Rete engine that evaluates control rules).

durable-rules has sharp edges, each handled here and proved by a test:

- It does not import on Python 3.13: the project requires Python 3.11–3.12.
- A fact that matches no rule raises ``MessageNotHandledException``: every ruleset gets a
  catch-all rule whose first pattern matches every fact and whose second never matches, so no
  fact is ever unhandled and no action is ever dispatched for it.
- ``delete_state`` after that error has crashed the process (segfault): a session whose
  evaluation failed is never deleted; it is counted, and the ruleset is registered anew under a
  fresh name long before abandoned sessions could fill it.
- ``delete_state`` on a session in which no rule has fired crashes the process too (found while
  building this; version 2.0.28): every batch ends with a sentinel fact that its own no-op rule
  always fires on, so every session has fired before it is deleted.
- At most 1,024 live sessions per ruleset (the next raises ``MemoryError``): every evaluation
  uses its own session and deletes it when done.
- ``$or`` fires an action once per matching branch: hits are collected as a set.
- ``set_rulesets`` mutates the definition it is given (it removes ``run``): it only ever gets a
  fresh copy, and the pristine definition is kept for inspection.
- Exceptions raised in actions are swallowed (returned in the state): actions only append to a
  list and catch everything; any error recorded, or reported in the returned state, is raised
  as :class:`ControlEngineError` after the call.
- The host is global and not thread-safe: every call is made under one process-wide lock.
"""

from __future__ import annotations

import copy
import itertools
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import durable.engine as _durable

_LOCK = threading.RLock()
_HOST: Any = None
_NAMES = itertools.count(1)
_SESSIONS = itertools.count(1)
ABANDONED_LIMIT = 256  # well below the 1,024 live sessions a ruleset can hold

CATCH_ALL = "zz_ekbist_alla_fakta"
SENTINEL = "zz_ekbist_klar"
CAP = 100_000
SENTINEL_FACT = "__ekbist_klar__"


class ControlEngineError(Exception):
    """durable-rules failed to evaluate (an action raised, or the engine reported an error)."""


def _host() -> Any:
    global _HOST
    if _HOST is None:
        _HOST = _durable.Host()
    return _HOST


def _nothing(c: Any) -> None:
    """The sentinel's action: its only purpose is that something has fired."""


class DurableRuleset:
    """A set of single-fact control patterns registered as one durable-rules ruleset."""

    def __init__(self, base_name: str, patterns: Mapping[str, Mapping[str, Any]]) -> None:
        self.base_name = base_name
        # "cap" hands all of a rule's matches in one batch to one action call: each action dispatch
        # costs a state round-trip through JSON, so one call per rule instead of one per match.
        self.definition: dict[str, Any] = {
            rule_id: {"all": [{"m": copy.deepcopy(dict(pattern))}], "cap": CAP} for rule_id, pattern in patterns.items()
        }
        self.definition[SENTINEL] = {"all": [{"m": {"fakta": SENTINEL_FACT}}]}
        self.definition[CATCH_ALL] = {"all": [{"a": {"$ex": {"fakta": 1}}}, {"b": {"$ex": {"__aldrig__": 1}}}]}
        self._hits: list[tuple[str, int]] = []
        self._errors: list[str] = []
        self._name = ""
        self._abandoned = 0

    @property
    def name(self) -> str:
        return self._name

    def _action(self, rule_id: str) -> Callable[[Any], None]:
        if rule_id == SENTINEL:
            return _nothing

        def run(c: Any) -> None:
            try:
                self._record(rule_id, c)
            except Exception as exc:  # durable-rules would swallow it: keep it, raise after the call
                self._errors.append(f"{rule_id}: {type(exc).__name__}: {exc}")

        return run

    def _record(self, rule_id: str, c: Any) -> None:
        matches = c.m if isinstance(c.m, list) else [c.m]
        self._hits.extend((rule_id, int(m["_i"])) for m in matches)

    def _register(self) -> None:
        name = f"{self.base_name}_{next(_NAMES)}"
        fresh = copy.deepcopy(self.definition)  # set_rulesets mutates what it is given
        for rule_id, rule in fresh.items():
            rule["run"] = self._action(rule_id)
        _host().set_rulesets({name: fresh})
        self._name = name
        self._abandoned = 0

    def evaluate(self, facts: Sequence[Mapping[str, Any]]) -> set[tuple[str, int]]:
        """(rule id, fact index) for every rule a fact satisfies; each pair once."""
        with _LOCK:
            if not self._name or self._abandoned >= ABANDONED_LIMIT:
                self._register()
            sid = f"s{next(_SESSIONS)}"
            batch = [{**f, "sid": sid, "_i": i} for i, f in enumerate(facts)]  # durable gets copies
            batch.append({"sid": sid, "_i": -1, "fakta": SENTINEL_FACT})
            self._hits = []
            self._errors = []
            try:
                state = _host().assert_facts(self._name, batch)
            except _durable.MessageNotHandledException as exc:
                self._abandoned += 1  # never delete_state after this error: it has crashed the process
                raise ControlEngineError(f"ett faktum matchade ingen regel: {exc}") from None
            except Exception:
                self._abandoned += 1
                raise
            _host().delete_state(self._name, sid)
            if isinstance(state, dict) and state.get("exception"):
                self._errors.append(str(state["exception"]))
            if self._errors:
                raise ControlEngineError("; ".join(self._errors))
            return set(self._hits)
