"""What every router works with: settings, the decision log, the rules in force, the agency fetcher."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Annotated, TypeVar

from fastapi import Depends, Request

from api._agency import AgencyFetcher
from api._rules import BundleProvider
from api._settings import Settings
from beslutslogg import DecisionLog

T = TypeVar("T")


@dataclass
class AppContext:
    settings: Settings
    log: DecisionLog
    rules: BundleProvider
    agency: AgencyFetcher
    # Computations get one thread per process: they hold the GIL, so more threads only make them
    # take turns (measured: a third slower under load), while the event loop stays free. Waiting
    # on the database happens in the general thread pool, where waiting costs nothing.
    _cpu: ThreadPoolExecutor | None = field(default=None, repr=False)

    async def compute(self, fn: Callable[[], T]) -> T:
        """Run a computation on the computing thread, off the event loop."""
        if self._cpu is None:
            self._cpu = ThreadPoolExecutor(1, thread_name_prefix="berakning")
        return await asyncio.get_running_loop().run_in_executor(self._cpu, fn)

    def close(self) -> None:
        self.agency.close()
        cpu, self._cpu = self._cpu, None
        if cpu is not None:
            cpu.shutdown(wait=False, cancel_futures=True)


async def _context(request: Request) -> AppContext:  # async: FastAPI would run a plain def in a thread
    ctx: AppContext = request.app.state.ctx
    return ctx


Context = Annotated[AppContext, Depends(_context)]


def client_address(request: Request) -> str | None:
    return request.client.host if request.client else None
