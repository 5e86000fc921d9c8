"""``ekbist serve`` as a real process on a free port, for tests that kill it or drive a browser."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.api_helpers import KEY
from tests.conftest import ROOT

EKBIST = Path(sys.executable).with_name("ekbist")


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]
    output: Path

    def kill(self) -> None:
        """SIGKILL the server and all its workers, as a power cut or the OOM killer would."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def log_text(self) -> str:
        return self.output.read_text(encoding="utf-8", errors="replace")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_env(db_url: str, data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EKBIST_")}
    env.update(EKBIST_DATABASE_URL=db_url, EKBIST_JWT_KEY=KEY, EKBIST_DATADIR=str(data_dir), **extra)
    return env


@contextmanager
def running_server(db_url: str, workdir: Path, *args: str, **env: str) -> Iterator[Server]:
    """Start ``ekbist serve``, wait until ``/readyz`` answers 200, stop it (if still alive) at the end."""
    port = free_port()
    output = workdir / f"server-{port}.log"
    with output.open("wb") as sink:
        proc = subprocess.Popen(
            [str(EKBIST), "serve", "--host", "127.0.0.1", "--port", str(port), *args],
            cwd=ROOT,
            env=server_env(db_url, workdir / "data", **env),
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: with --workers, kill() reaches every worker
        )
    server = Server(f"http://127.0.0.1:{port}", proc, output)
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"ekbist serve avslutades: {server.log_text()}")
            try:
                if httpx.get(server.url + "/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"ekbist serve blev inte redo: {server.log_text()}")
            time.sleep(0.1)
        yield server
    finally:
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                server.kill()
