"""Where agency data comes from, behind one interface.

:class:`AgencySource` is what the CLI and the API ask: "what do the agencies say about this
person for this month?". Three implementations: answer files on disk (:class:`FileSource`), the
real SSBTEK SOAP service (:class:`SoapSource`) and, for tests and demos, the same client pointed
at the local fake server.
"""

from __future__ import annotations

import os
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol

import httpx

from engine import Month, PersonAgencyData
from ssbtek._parse import parse_response
from ssbtek._soap import Asker, build_request


class AgencySource(Protocol):
    def fetch(
        self, person: str, personnummer: str | None, period: Month, start: Month | None = None
    ) -> PersonAgencyData:
        """Every source's answer about one person of the application, from ``start`` (the rule files'
        first month, ``RuleBundle.ssbtek_start``) to ``period``; never raises for agency faults."""
        ...


MAX_ANSWER_BYTES = 10_000_000


class FileSource:
    """Answers saved as files (``--ssbtek PERSON_ID=SVAR.xml``)."""

    def __init__(self, files: Mapping[str, Path]) -> None:
        self.files = dict(files)

    def fetch(
        self, person: str, personnummer: str | None, period: Month, start: Month | None = None
    ) -> PersonAgencyData:
        path = self.files.get(person)
        if path is None:
            return PersonAgencyData.unavailable(person, "EJ_HAMTAT", "inget SSBTEK-svar angivet för personen")
        with path.open("rb") as f:
            raw = f.read(MAX_ANSWER_BYTES + 1)
        if len(raw) > MAX_ANSWER_BYTES:
            return PersonAgencyData.unavailable(person, "STORLEK", f"svarsfilen är större än {MAX_ANSWER_BYTES} byte")
        return parse_response(raw, person, personnummer)


@dataclass(frozen=True)
class SoapConfig:
    """How to reach SSBTEK: address, client certificate (mutual TLS), limits, and who asks."""

    url: str
    asker: Asker
    cert: str | None = None
    key: str | None = None
    ca: str | None = None
    timeout: float = 10.0
    attempts: int = 3
    backoff: float = 0.5
    total: float = 20.0  # every attempt of one question together, reading included
    max_bytes: int = MAX_ANSWER_BYTES

    @classmethod
    def from_env(cls, url: str | None = None) -> SoapConfig:
        """``EKBIST_SSBTEK_*`` environment variables (see docs/ssbtek.rst)."""
        env = os.environ.get
        address = url or env("EKBIST_SSBTEK_URL")
        if not address:
            raise ValueError("ingen SSBTEK-adress: ange --url eller EKBIST_SSBTEK_URL")
        asker = Asker(
            organisationsnummer=env("EKBIST_SSBTEK_ORGANISATIONSNUMMER", "169999999999"),
            namn=env("EKBIST_SSBTEK_INGIVARE", "Ekbist testkommun"),
            handlaggare=env("EKBIST_SSBTEK_HANDLAGGARE", "system"),
            aktorsid=env("EKBIST_SSBTEK_AKTORSID", ""),
        )
        if env("EKBIST_SSBTEK_SYFTE"):
            asker = replace(asker, syfte=env("EKBIST_SSBTEK_SYFTE", ""))
        if env("EKBIST_SSBTEK_LAGTEXT"):
            asker = replace(asker, lagtext=env("EKBIST_SSBTEK_LAGTEXT", ""))
        return cls(
            url=address,
            asker=asker,
            cert=env("EKBIST_SSBTEK_CERT"),
            key=env("EKBIST_SSBTEK_KEY"),
            ca=env("EKBIST_SSBTEK_CA"),
            timeout=_number(env, "EKBIST_SSBTEK_TIMEOUT", 10, 0.1, 600),
            attempts=int(_number(env, "EKBIST_SSBTEK_FORSOK", 3, 1, 10)),
            backoff=_number(env, "EKBIST_SSBTEK_VANTETID", 0.5, 0, 60),
            total=_number(env, "EKBIST_SSBTEK_TIDSGRANS", 20, 0.1, 600),
            max_bytes=int(_number(env, "EKBIST_SSBTEK_MAX_SVAR", MAX_ANSWER_BYTES, 1000, 100_000_000)),
        )


def _number(env: Callable[..., str | None], name: str, default: float, low: float, high: float) -> float:
    text = env(name) or str(default)
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{name} ska vara ett tal") from None
    if not low <= value <= high:
        raise ValueError(f"{name} ska ligga mellan {low:g} och {high:g}")
    return value


RETRY_STATUS = frozenset({502, 503, 504})


def tls_context(config: SoapConfig) -> ssl.SSLContext:
    """Server verification (a given CA, or the system's) and the municipality's client certificate."""
    ctx = ssl.create_default_context(cafile=config.ca) if config.ca else ssl.create_default_context()
    if config.cert:
        ctx.load_cert_chain(config.cert, config.key)
    return ctx


class TransportFailure(Exception):
    """SSBTEK could not be reached or did not answer in time, after every attempt."""


class _TooLarge(Exception):
    pass


class _OutOfTime(Exception):
    pass


class SoapSource:
    """The SSBTEK v10 SOAP 1.1 client: mutual TLS, per-call timeout, bounded retries with backoff."""

    def __init__(
        self,
        config: SoapConfig,
        *,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.config = config
        self._sleep = sleep
        self._client = httpx.Client(
            timeout=httpx.Timeout(config.timeout),
            verify=tls_context(config),
            # identity: the size bound applies to what is read, never to a decompressed bomb
            headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '""', "Accept-Encoding": "identity"},
            transport=transport,
        )

    def close(self) -> None:
        self._client.close()

    def fetch_raw(
        self, personnummer: str, period: Month, *, deadline: float | None = None, start: Month | None = None
    ) -> bytes:
        """The answer as it came (raises :class:`TransportFailure` when none came in time).

        Every attempt, its waits and the reading of the answer share one deadline (``total``
        seconds, or the monotonic ``deadline`` given): an agency that trickles a byte at a time
        is cut off when the time is up, and an answer is read as a stream and refused past
        ``max_bytes``, so a failing agency costs bounded time and memory.
        """
        cfg = self.config
        end = deadline if deadline is not None else time.monotonic() + cfg.total
        budget = round(max(0.0, end - time.monotonic()), 1)
        body = build_request(personnummer, period, cfg.asker, start=start)
        last = "okänt fel"
        attempts = 0
        for attempt in range(max(1, cfg.attempts)):
            if attempt:
                pause = min(cfg.backoff * 2 ** (attempt - 1), end - time.monotonic())
                if pause > 0:
                    self._sleep(pause)
            remaining = end - time.monotonic()
            if remaining <= 0:
                break
            attempts += 1
            try:
                status, data = self._post(body, min(cfg.timeout, remaining), end)
            except _TooLarge:
                raise TransportFailure(f"svaret är större än {cfg.max_bytes} byte och lästes inte färdigt") from None
            except _OutOfTime:
                last = f"inget fullständigt svar inom {budget:g} s"
                break
            except httpx.TimeoutException:
                last = f"inget svar inom {min(cfg.timeout, remaining):g} s"
                continue
            except httpx.TransportError as exc:
                last = f"kunde inte nå SSBTEK: {type(exc).__name__}"
                continue
            if status in RETRY_STATUS:
                last = f"SSBTEK svarade HTTP {status}"
                continue
            return data  # 200, or 500 with a SOAP Fault: both are answers
        raise TransportFailure(f"{last} (efter {attempts} försök, tidsgräns {budget:g} s)")

    def _post(self, body: bytes, timeout: float, end: float) -> tuple[int, bytes]:
        with self._client.stream("POST", self.config.url, content=body, timeout=httpx.Timeout(timeout)) as response:
            if response.status_code in RETRY_STATUS:
                return response.status_code, b""
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > self.config.max_bytes:
                    raise _TooLarge
                chunks.append(chunk)
                if time.monotonic() > end:
                    raise _OutOfTime
            return response.status_code, b"".join(chunks)

    def fetch(
        self, person: str, personnummer: str | None, period: Month, start: Month | None = None
    ) -> PersonAgencyData:
        if not personnummer:
            return PersonAgencyData.unavailable(person, "PERSONNUMMER", "personnummer saknas; SSBTEK kan inte frågas")
        try:
            raw = self.fetch_raw(personnummer, period, start=start)
        except TransportFailure as exc:
            return PersonAgencyData.unavailable(person, "TRANSPORT", str(exc))
        return parse_response(raw, person, personnummer)
