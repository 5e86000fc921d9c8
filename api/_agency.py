"""Agency data in the API: answers given in the body, or fetched from SSBTEK without blocking anyone.

Fetches run in their own bounded thread pool, apart from the pool that computes and writes: at
most ``ssbtek_parallel`` questions are under way per worker process, a request that would exceed
that is answered 503 at once, and every request waits at most ``ssbtek_deadline`` seconds for its
answers (the SOAP client itself stops reading at the same deadline). An adult whose answer did not
come in time gets ``UPPGIFT_SAKNAS`` for every source, never a zero.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import engine
from api import _metrics
from api._errors import HttpError, busy, field_error
from api._settings import Settings


class AgencyFetcher:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._pool: ThreadPoolExecutor | None = None
        self._source: Any = None
        self._lock = threading.Lock()
        self._in_flight = 0

    def _start(self) -> Any:
        from ssbtek.source import SoapConfig, SoapSource

        with self._lock:
            if self._source is None:
                try:
                    config = SoapConfig.from_env(self.settings.ssbtek_url)
                except ValueError as exc:  # the server's settings, not the caller's input
                    raise HttpError(503, {"fel": f"SSBTEK-inställningarna är felaktiga: {exc}"}) from None
                self._source = SoapSource(config)
                self._pool = ThreadPoolExecutor(self.settings.ssbtek_parallel, thread_name_prefix="ssbtek")
            return self._source

    def close(self) -> None:
        with self._lock:
            if self._pool is not None:
                self._pool.shutdown(wait=False, cancel_futures=True)
            if self._source is not None:
                self._source.close()
            self._pool, self._source = None, None

    def _reserve(self, n: int) -> None:
        with self._lock:
            if self._in_flight + n > self.settings.ssbtek_parallel:
                raise busy("SSBTEK-frågorna är fullbelagda just nu; försök igen om en stund")
            self._in_flight += n

    def _release(self, _: Future[bytes]) -> None:
        with self._lock:
            self._in_flight -= 1

    async def fetch(
        self, app: Any, facts: Any, given: set[str], start: Any = None
    ) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
        """Every adult's answer (as text) not already given, and why for those that got none; asked from
        ``start`` (the rules' first month, ``RuleBundle.ssbtek_start``) to the month applied for."""
        from ssbtek.source import TransportFailure

        if not self.settings.ssbtek_url:
            raise field_error("hamta_ssbtek", "ingen SSBTEK-tjänst är konfigurerad")
        source = self._start()
        answers: dict[str, str] = {}
        failures: dict[str, dict[str, str]] = {}
        wanted = []
        for p in app.hushall:
            if p.roll == "barn" or p.id in given:
                continue
            if not p.personnummer:
                failures[p.id] = {"felkod": "PERSONNUMMER", "meddelande": "personnummer saknas; SSBTEK kan inte frågas"}
                continue
            wanted.append(p)
        if not wanted:
            return answers, failures
        self._reserve(len(wanted))
        deadline = time.monotonic() + self.settings.ssbtek_deadline
        futures: dict[str, Future[bytes]] = {}
        assert self._pool is not None
        for p in wanted:
            f = self._pool.submit(_fetch_counted, source, p.id, p.personnummer, facts.period, deadline, start)
            f.add_done_callback(self._release)  # the slot is free when the thread is, not before
            futures[p.id] = f
        for pid, f in futures.items():
            try:
                raw = await asyncio.wait_for(asyncio.wrap_future(f), max(0.0, deadline - time.monotonic()) + 0.5)
            except TimeoutError:
                _metrics.ssbtek_failed("tidsgrans")
                failures[pid] = {
                    "felkod": "TRANSPORT",
                    "meddelande": f"SSBTEK svarade inte inom {self.settings.ssbtek_deadline:g} s",
                }
            except TransportFailure as exc:  # no answer: UPPGIFT_SAKNAS for every source, never zero
                _metrics.ssbtek_failed("transportfel")
                failures[pid] = {"felkod": "TRANSPORT", "meddelande": str(exc)}
            else:
                answers[pid] = raw.decode("utf-8", errors="replace")
        return answers, failures


def _fetch_counted(source: Any, person: str, personnummer: str, period: Any, deadline: float, start: Any) -> bytes:
    """One adult's answer, and each source's outcome in it for the metrics (read as the engine will
    read it, here on the fetching thread so that the event loop never parses XML). An answer that comes
    after the request stopped waiting counts here and as ``tidsgrans`` there: both happened."""
    from ssbtek import parse_response

    raw: bytes = source.fetch_raw(personnummer, period, deadline=deadline, start=start)
    with contextlib.suppress(Exception):  # counting never fails a request
        read = parse_response(raw, person, personnummer)
        _metrics.ssbtek_answered({k: read.source(k).status for k in engine.SOURCES})
    return raw


async def stored_input(
    fetcher: AgencyFetcher, ansokan: Any, answers_given: dict[str, str] | None, fetch: bool, bundle: Any = None
) -> dict[str, Any]:
    """The input as the decision log keeps it: the application, each SSBTEK answer as it came, and
    for each adult whose fetch got no answer, why; so that replay needs no agency."""
    indata: dict[str, Any] = {"ansokan": ansokan}
    answers: dict[str, str] = dict(answers_given or {})
    failures: dict[str, dict[str, str]] = {}
    if answers or fetch:
        app, facts = engine.parse_application(ansokan)
        known = {p.id for p in app.hushall}
        unknown = [p for p in answers if p not in known]
        if unknown:
            errors = [{"falt": f"ssbtek.{u}", "meddelande": f"'{u}' finns inte i hushall"} for u in unknown]
            raise HttpError(422, {"fel": errors})
        seen: dict[str, str] = {}
        for pid, xml in answers.items():
            digest = hashlib.sha256(xml.encode("utf-8")).hexdigest()
            if digest in seen:
                raise field_error(f"ssbtek.{pid}", f"samma SSBTEK-svar är angivet för både {seen[digest]} och {pid}")
            seen[digest] = pid
        if fetch:
            start = bundle.ssbtek_start(facts.period) if bundle is not None else None
            fetched, failures = await fetcher.fetch(app, facts, set(answers), start)
            answers.update(fetched)
    if answers:
        indata["ssbtek"] = answers
    if failures:
        indata["ssbtek_ej_svar"] = failures
    return indata
