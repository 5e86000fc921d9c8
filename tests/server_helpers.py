"""``ekbist serve`` as a real process for tests that kill it or drive a browser, with its output kept."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ekbist._process import EKBIST
from ekbist._process import Server as _Server
from ekbist._process import running_server as _running
from tests.api_helpers import KEY, LOG_KEY

__all__ = ["EKBIST", "Server", "running_server", "server_env"]


@dataclass
class Server:
    url: str
    output: Path
    _server: _Server

    def kill(self) -> None:
        self._server.kill()

    def log_text(self) -> str:
        return self.output.read_text(encoding="utf-8", errors="replace")


def server_env(db_url: str, data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EKBIST_")}
    env.update(
        EKBIST_DATABASE_URL=db_url,
        EKBIST_JWT_KEY=KEY,
        EKBIST_LOGG_NYCKEL=LOG_KEY,
        EKBIST_DATADIR=str(data_dir),
        **extra,
    )
    return env


@contextmanager
def running_server(db_url: str, workdir: Path, *args: str, **env: str) -> Iterator[Server]:
    """``ekbist serve`` on ``db_url`` with the test key; its output goes to a file in ``workdir``."""
    output = workdir / f"server-{len(list(workdir.glob('server-*.log')))}.log"
    with output.open("wb") as sink, _running(*args, env=server_env(db_url, workdir / "data", **env), output=sink) as s:
        yield Server(s.url, output, s)
