"""``ekbist serve`` as a child process, ready when ``/readyz`` says so: for the demo, benchmarks and tests."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import httpx

ROOT = Path(__file__).resolve().parent.parent
EKBIST = Path(sys.executable).with_name("ekbist")


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]

    def kill(self) -> None:
        """SIGKILL the server and all its workers, as a power cut or the OOM killer would."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def running_server(
    *args: str,
    env: Mapping[str, str] | None = None,
    output: IO[bytes] | int = subprocess.DEVNULL,
    timeout: float = 60,
) -> Iterator[Server]:
    """Start ``ekbist serve ARGS`` on a free port of 127.0.0.1; stop it (and its workers) afterwards."""
    port = free_port()
    process = subprocess.Popen(
        [str(EKBIST), "serve", "--host", "127.0.0.1", "--port", str(port), *args],
        cwd=ROOT,
        env=dict(env) if env is not None else None,
        stdout=output,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: stopping it reaches every worker
    )
    server = Server(f"http://127.0.0.1:{port}", process)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"ekbist serve avslutades med status {process.returncode}")
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(server.url + "/readyz", timeout=2).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"ekbist serve blev inte redo inom {timeout:g} s")
            time.sleep(0.1)
        yield server
    finally:
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                server.kill()
