"""Both sides over every case, on every core: each worker process loads the two bundles once."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ProcessPoolExecutor
from itertools import islice
from typing import Any

import engine
from jamfor._cases import Case

CONTRACT = ("riksnorm", "skaliga_kostnader", "behov", "inkomster", "forsorjningsstod", "overskott")
CHUNK = 200
INLINE_BELOW = 400  # fewer cases than this are computed in this process: starting workers costs more

_SIDES: tuple[engine.RuleBundle, engine.RuleBundle] | None = None


def _init(files_a: Mapping[str, str], files_b: Mapping[str, str]) -> None:
    global _SIDES
    _SIDES = (engine.load_bundle_from_files(files_a), engine.load_bundle_from_files(files_b))


def _side(bundle: engine.RuleBundle, indata: Mapping[str, Any]) -> tuple[dict[str, Any] | None, str | None]:
    from beslutslogg.omprovning import compute_stored

    try:
        return compute_stored(bundle, indata), None
    except engine.InputError as exc:
        return None, str(exc.problems[0])


def outcome(a: engine.RuleBundle, b: engine.RuleBundle, case: Case) -> dict[str, Any]:
    """One case on both sides: the contract's amounts, refusals, and what differs in the trace."""
    ra, fa = _side(a, case.indata)
    rb, fb = _side(b, case.indata)
    out: dict[str, Any] = {"id": case.id, "kalla": case.source}
    out["a"] = {k: ra[k] for k in CONTRACT} if ra else None
    out["b"] = {k: rb[k] for k in CONTRACT} if rb else None
    if fa:
        out["fel_a"] = fa
    if fb:
        out["fel_b"] = fb
    if ra and rb and out["a"] != out["b"]:
        out["regler"] = _rules_that_differ(ra, rb)
        out["normer"] = _norms_that_differ(ra, rb)
    return out


def _rules_that_differ(ra: Mapping[str, Any], rb: Mapping[str, Any]) -> list[str]:
    va = {(e["regel"], e.get("person")): e.get("varde") for e in ra.get("trace", [])}
    vb = {(e["regel"], e.get("person")): e.get("varde") for e in rb.get("trace", [])}
    return sorted({k[0] for k in set(va) | set(vb) if va.get(k) != vb.get(k)})


def _norms_that_differ(ra: Mapping[str, Any], rb: Mapping[str, Any]) -> list[str]:
    na, nb = ra.get("normer", {}), rb.get("normer", {})
    return sorted(n for n in set(na) | set(nb) if (na.get(n) or {}).get("varde") != (nb.get(n) or {}).get("varde"))


def _chunk(cases: list[Case]) -> list[dict[str, Any]]:
    assert _SIDES is not None
    a, b = _SIDES
    return [outcome(a, b, c) for c in cases]


def run(
    files_a: Mapping[str, str],
    files_b: Mapping[str, str],
    cases: Iterable[Case],
    *,
    total: int,
    workers: int | None = None,
    advance: Callable[[int], None] = lambda n: None,
) -> Iterator[dict[str, Any]]:
    """Outcomes in the order of the cases; ``advance`` is told how many are done as they finish."""
    workers = workers or len(os.sched_getaffinity(0))
    it = iter(cases)
    if total < INLINE_BELOW or workers <= 1:
        _init(files_a, files_b)
        for case in it:
            yield _chunk([case])[0]
            advance(1)
        return
    with ProcessPoolExecutor(workers, initializer=_init, initargs=(dict(files_a), dict(files_b))) as pool:
        pending = []
        while True:
            block = list(islice(it, CHUNK))
            if not block:
                break
            pending.append(pool.submit(_chunk, block))
            if len(pending) >= workers * 4:  # bounded look-ahead: memory stays flat on big runs
                done = pending.pop(0).result()
                advance(len(done))
                yield from done
        for fut in pending:
            done = fut.result()
            advance(len(done))
            yield from done
