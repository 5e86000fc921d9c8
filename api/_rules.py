"""The rules in force now (reloaded when the files change) and stored rule bundles by hash."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import engine
from beslutslogg import DecisionLog
from beslutslogg.omprovning import stored_bundle


class BundleProvider:
    """Today's bundle from disk, checked for edits at most once a second; old bundles from the log."""

    def __init__(self, root: Path | None, log: DecisionLog) -> None:
        self.root = Path(root) if root else engine.default_root()
        self.log = log
        self._lock = threading.Lock()
        self._current: engine.RuleBundle | None = None
        self._stamp: tuple[tuple[str, float, int], ...] = ()
        self._checked = 0.0
        self._stored: dict[str, engine.RuleBundle] = {}
        self.error: str | None = None

    def _files_stamp(self) -> tuple[tuple[str, float, int], ...]:
        out = []
        for sub in ("regelverk", "normer"):
            for p in sorted((self.root / sub).rglob("*.yaml")):
                st = p.stat()
                out.append((str(p), st.st_mtime, st.st_size))
        return tuple(out)

    def current(self) -> engine.RuleBundle:
        now = time.monotonic()
        if self._current is not None and now - self._checked < 1.0:
            return self._current
        with self._lock:
            if self._current is None or now - self._checked >= 1.0:
                self._checked = now
                stamp = self._files_stamp()
                if stamp != self._stamp:
                    try:
                        bundle = engine.load_bundle(self.root)
                    except engine.RuleFileError as exc:
                        self.error = f"regelfilerna har fel: {len(exc.problems)} problem (kör ekbist validera)"
                        if self._current is None:
                            raise
                    else:
                        self._current, self._stamp, self.error = bundle, stamp, None
                        self._stored[bundle.hash] = bundle
        assert self._current is not None
        return self._current

    def by_hash(self, bundle_hash: str) -> engine.RuleBundle:
        """A stored bundle, checked against its hash; raises :class:`BundleUnavailable` otherwise."""
        found = self._stored.get(bundle_hash)
        if found is not None:
            return found
        bundle = stored_bundle(self.log, bundle_hash)
        with self._lock:
            self._stored[bundle_hash] = bundle
        return bundle
