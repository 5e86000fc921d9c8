"""Group commit: one writer thread per process; each caller's write waits for the commit that holds it.

The chain has one head, so writes are serial whatever we do, and each commit costs an fsync. Callers
queue their write; the writer takes everything queued (up to ``BATCH``), takes the chain's lock once,
runs each write in its own savepoint (one that fails is rolled back alone and its caller gets the
error) and commits once. Every caller is answered only after that commit: a decision acknowledged
with 201 is on disk, as before, but many share one fsync.

A caller waits at most ``LOCK_TIMEOUT_S`` (plus a second) for its write to start. If it has not
started, it is cancelled and never written, and the caller answers 503; once started it is waited
for, so a client is never told "busy" about a decision that was in fact recorded.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine

from beslutslogg._model import Head
from beslutslogg._url import LOCK_TIMEOUT_S, LogBusy

T = TypeVar("T")
Work = Callable[[Connection, Head], tuple[Any, Head]]
BATCH = 64
LINKS = "ekbist_kedjelankar"  # Connection.info key: the link types a batch has written so far
_STOP = object()


class GroupCommit:
    def __init__(
        self,
        engine: Engine,
        begin_chain: Callable[[Connection], Head],
        committed: Callable[[list[str]], None] | None = None,
    ) -> None:
        self._engine = engine
        self._begin_chain = begin_chain
        self._committed = committed  # told the link types of each commit, after it (metrics)
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def submit(self, work: Work) -> Any:
        """Run ``work(conn, head) -> (value, new_head)`` in a committed transaction; return its value."""
        fut: Future[Any] = Future()
        self._queue.put((work, fut))
        self._ensure_running()
        try:
            return fut.result(timeout=LOCK_TIMEOUT_S + 1)
        except FutureTimeout:
            if fut.cancel():  # not started: it never will be
                raise LogBusy(f"beslutsloggen blev inte ledig för skrivning inom {LOCK_TIMEOUT_S:g} s") from None
            return fut.result()  # started: it ends within the statement timeout, and the caller learns how

    def stop(self) -> None:
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                self._queue.put(_STOP)
                self._thread.join(LOCK_TIMEOUT_S + 5)
            self._thread = None

    def _ensure_running(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="beslutslogg-skrivare", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is _STOP:
                return
            batch = [item]
            while len(batch) < BATCH:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is _STOP:
                    self._queue.put(_STOP)
                    break
                batch.append(more)
            self._write(batch)

    def _write(self, batch: list[tuple[Work, Future[Any]]]) -> None:
        done: list[tuple[Future[Any], Any, BaseException | None]] = []
        started: list[Future[Any]] = []
        links: list[str] = []
        try:
            with self._engine.begin() as conn:
                conn.info[LINKS] = links
                try:
                    self._apply(conn, batch, started, done, links)
                finally:
                    del conn.info[LINKS]
        except Exception as exc:  # the lock, a statement or the commit failed: nothing of the batch is written
            for _, fut in batch:
                if fut in started or fut.set_running_or_notify_cancel():
                    fut.set_exception(exc)
            return
        if self._committed is not None and links:
            with contextlib.suppress(Exception):  # counting must never fail a write that is on disk
                self._committed(links)
        for fut, value, error in done:  # answered only now, after the commit
            if error is not None:
                fut.set_exception(error)
            else:
                fut.set_result(value)

    def _apply(
        self,
        conn: Connection,
        batch: list[tuple[Work, Future[Any]]],
        started: list[Future[Any]],
        done: list[tuple[Future[Any], Any, BaseException | None]],
        links: list[str],
    ) -> None:
        """Each write of the batch in its own savepoint, under the chain's lock taken once."""
        head = self._begin_chain(conn)
        for work, fut in batch:
            if not fut.set_running_or_notify_cancel():
                continue  # its caller gave up while the lock was taken: never written
            started.append(fut)
            savepoint = conn.begin_nested()
            mark = len(links)
            try:
                value, new_head = work(conn, head)
                savepoint.commit()
            except Exception as exc:  # this write alone is undone, and so are its links' types
                savepoint.rollback()
                del links[mark:]
                done.append((fut, None, exc))
                continue
            head = new_head
            done.append((fut, value, None))
