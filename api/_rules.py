"""The rules in force, the same for every worker of every server on one decision log.

Each worker checks the rule files at most once a second. An edit that validates – and does not reuse
a version label that another stored bundle already carries – is put in force in the decision log (a
link of type ``i_kraft``); every worker follows the newest such link, so all of them switch together,
within a second of each other, and an auditor can see which rules were in force when. An edit that
does not validate is never put in force: it is reported (the log, ``/readyz`` and a ``varning`` in
responses, naming the file and line) while the last good bundle stays in force everywhere. When the
log cannot be reached, a worker goes on with the last bundle it validated itself.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

import engine
from api import _metrics
from beslutslogg import DecisionLog, LogBusy, LogKeyError
from beslutslogg.omprovning import BundleUnavailable, stored_bundle

log = logging.getLogger("ekbist.api")
CHECK_EVERY_S = 1.0


class BundleProvider:
    def __init__(self, root: Path | None, decision_log: DecisionLog) -> None:
        self.root = Path(root) if root else engine.default_root()
        self.log = decision_log
        self._lock = threading.Lock()
        self._current: engine.RuleBundle | None = None
        self._local: engine.RuleBundle | None = None  # the last bundle this worker validated from disk
        self._stamp: tuple[tuple[str, float, int], ...] = ()
        self._checked = 0.0
        self._stored: dict[str, engine.RuleBundle] = {}
        self.error: str | None = None

    def _files_stamp(self) -> tuple[tuple[str, float, int], ...]:
        out = []
        for sub in ("regelverk", "normer"):
            for p in sorted((self.root / sub).rglob("*.yaml")):
                try:
                    st = p.stat()
                except OSError:  # removed between listing and stat: the next check sees the new state
                    continue
                out.append((str(p), st.st_mtime, st.st_size))
        return tuple(out)

    def current(self) -> engine.RuleBundle:
        """The bundle in force (refreshed at most once a second)."""
        now = time.monotonic()
        current = self._current
        if current is not None and now - self._checked < CHECK_EVERY_S:
            return current
        with self._lock:
            if self._current is None or now - self._checked >= CHECK_EVERY_S:
                self._checked = now
                self._refresh()
        if self._current is None:
            raise engine.RuleFileError([engine.RuleProblem(str(self.root), None, "", self.error or "inga regler")])
        return self._current

    def _refresh(self) -> None:
        stamp = self._files_stamp()
        if stamp != self._stamp:
            self._stamp = stamp
            self._load_files()
        try:
            pointer = self.log.in_force()
        except SQLAlchemyError:  # the log is unreachable: go on with what this worker validated
            pointer = None
        if pointer is not None and (self._current is None or pointer != self._current.hash):
            try:
                self._current = self.by_hash(pointer)
            except (BundleUnavailable, SQLAlchemyError) as exc:
                log.error("regelverket i kraft kan inte läsas ur beslutsloggen: %s", exc)
        if self._current is None or (pointer is None and self._local is not None):
            self._current = self._local

    def _load_files(self) -> None:
        try:
            bundle = engine.load_bundle(self.root)
        except engine.RuleFileError as exc:
            first = exc.problems[0] if exc.problems else "okänt fel"
            more = f" (och {len(exc.problems) - 1} till)" if len(exc.problems) > 1 else ""
            self.error = (
                f"regelfilerna har fel och har inte satts i kraft: {first}{more}; de senaste giltiga reglerna "
                "gäller (kör ekbist validera)"
            )
            log.error("%s", self.error)
            _metrics.rules_loaded(ok=False)
            return
        try:
            other = self.log.version_conflict(bundle)
        except SQLAlchemyError:
            other = None
        if other is not None:
            self.error = (
                f"regelverk/regelverk.yaml: version {bundle.version} används redan av ett annat regelverk "
                f"({other}); ändrade regler behöver en ny version, så de har inte satts i kraft"
            )
            log.error("%s", self.error)
            _metrics.rules_loaded(ok=False)
            return
        _metrics.rules_loaded(ok=True)
        self.error = None
        self._local = bundle
        self._stored[bundle.hash] = bundle
        try:
            if self.log.put_in_force(bundle):
                log.info("regelverket %s (%s) satt i kraft", bundle.version, bundle.hash)
        except (SQLAlchemyError, LogBusy, LogKeyError) as exc:
            log.error("regelverket kunde inte sättas i kraft i beslutsloggen: %s", type(exc).__name__)

    def by_hash(self, bundle_hash: str) -> engine.RuleBundle:
        """A stored bundle, checked against its hash; raises :class:`BundleUnavailable` otherwise."""
        found = self._stored.get(bundle_hash)
        if found is not None:
            return found
        bundle = stored_bundle(self.log, bundle_hash)
        self._stored[bundle_hash] = bundle
        return bundle
