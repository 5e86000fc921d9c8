"""A local fake SSBTEK: the same SOAP 1.1 contract, answering from a folder of synthetic persons.

Every question is validated against the XSD (an invalid one gets a SOAP Fault, as the real
service would refuse it), and so does every other bad request: a missing or false length, a body
too large, a broken connection; an idle connection is closed after ``IDLE_TIMEOUT_S``. The person
is looked up as ``<personnummer>.yaml`` in the folder; an unknown person gets answers with no
records from every source. A person file can make a source report an error (``fel``), leave it out
(``utelamna``), delay the whole answer (``fordrojning_sekunder``), send it a byte at a time
(``trickla_sekunder``: seconds between bytes), send an endless answer (``oandligt_svar``) or name
another person in every payload (``svarar_med_personnummer``), to exercise the client's limits.
Optional TLS, with client certificates required when a CA is given (mutual TLS, as the real
service demands).
"""

from __future__ import annotations

import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import yaml

from engine import Month
from ssbtek._build import build_response
from ssbtek._schemas import SCHEMA_DIR
from ssbtek._soap import RequestError, fault, parse_request

MAX_BODY = 1_000_000
IDLE_TIMEOUT_S = 10


class FakeSsbtek(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], folder: Path) -> None:
        super().__init__(address, _Handler)
        self.folder = folder
        self.requests = 0

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that gave up (timeout) or failed the TLS handshake is not an error of the fake."""

    def person(self, personnummer: str) -> dict[str, Any]:
        return self.load_person(self.folder, personnummer)

    @staticmethod
    def load_person(folder: Path, personnummer: str) -> dict[str, Any]:
        """The synthetic person, or one every agency knows nothing about."""
        path = folder / f"{personnummer}.yaml"
        if not path.exists():
            return {"personnummer": personnummer, "kallor": {}}
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        data["personnummer"] = personnummer
        return dict(data)


class _Handler(BaseHTTPRequestHandler):
    server: FakeSsbtek
    protocol_version = "HTTP/1.1"
    timeout = IDLE_TIMEOUT_S  # a connection that sends nothing is closed, and its thread ends

    def log_message(self, format: str, *args: Any) -> None:
        pass  # personnummer travel in the body only, and nothing is logged

    def _send(self, status: int, body: bytes, content_type: str = "text/xml; charset=utf-8") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        if self.path.endswith("?wsdl"):
            wsdl = (
                SCHEMA_DIR / "se/forsakringskassan/schema/integration/ssbt/_10/Sammansatt_Bastjanst_v10.wsdl"
            ).read_bytes()
            host = self.headers.get("Host", "localhost")
            self._send(200, wsdl.replace(b"REPLACE_WITH_ACTUAL_URL", f"http://{host}/".encode()))
            return
        self._send(200, b"ekbist fake SSBTEK v10\n", "text/plain; charset=utf-8")

    def do_POST(self) -> None:
        self.server.requests += 1
        try:
            self._answer()
        except (OSError, ValueError):  # the client went away or the stream broke: nothing to answer
            self.close_connection = True
        except Exception as exc:  # never a dropped connection for a request the fake did not expect
            self.close_connection = True
            self._send(500, fault("500", f"internt fel i den fejkade tjänsten: {type(exc).__name__}"))

    def _answer(self) -> None:
        text = self.headers.get("Content-Length")
        if text is None or not text.strip().isdigit():
            self.close_connection = True  # the body's end is unknown: this connection cannot go on
            self._send(411, fault("411", "frågan ska ha Content-Length"))
            return
        length = int(text)
        if length <= 0 or length > MAX_BODY:
            self.close_connection = True
            self._send(413 if length else 400, fault("400", "frågan saknar innehåll eller är för stor"))
            return
        body = self.rfile.read(length)
        try:
            q = parse_request(body)
        except RequestError as exc:
            self._send(500, fault("400", str(exc)))
            return
        person = self.server.person(q.personnummer)
        delay = float(person.get("fordrojning_sekunder") or 0)
        if delay:
            time.sleep(delay)
        month = Month.parse(q.tom[:7])
        answer = build_response(person, month, korrelationsid=q.korrelationsid, fraga=q.echo)
        if person.get("oandligt_svar"):
            self._endless()
        elif person.get("trickla_sekunder"):
            self._trickle(answer, float(person["trickla_sekunder"]))
        else:
            self._send(200, answer)

    def _trickle(self, body: bytes, pause: float) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/xml; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        for i in range(len(body)):
            self.wfile.write(body[i : i + 1])
            self.wfile.flush()
            time.sleep(pause)

    def _endless(self) -> None:
        self.close_connection = True
        self.send_response(200)
        self.send_header("Content-Type", "text/xml; charset=utf-8")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        chunk = b"<a>" + b"x" * 65536 + b"</a>"
        while True:
            self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")


def serve(
    folder: Path,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    cert: str | None = None,
    key: str | None = None,
    client_ca: str | None = None,
) -> FakeSsbtek:
    """Start the fake in a background thread; ``port=0`` picks a free port (see ``server_address``)."""
    server = FakeSsbtek((host, port), folder)
    if cert:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(cert, key)
        if client_ca:
            ctx.load_verify_locations(client_ca)
            ctx.verify_mode = ssl.CERT_REQUIRED
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, name="ssbtek-fake", daemon=True).start()
    return server
