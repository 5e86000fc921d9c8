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
    def fetch(self, person: str, personnummer: str | None, period: Month) -> PersonAgencyData:
        """Every source's answer about one person of the application; never raises for agency faults."""
        ...


class FileSource:
    """Answers saved as files (``--ssbtek PERSON_ID=SVAR.xml``)."""

    def __init__(self, files: Mapping[str, Path]) -> None:
        self.files = dict(files)

    def fetch(self, person: str, personnummer: str | None, period: Month) -> PersonAgencyData:
        path = self.files.get(person)
        if path is None:
            return PersonAgencyData.unavailable(person, "EJ_HAMTAT", "inget SSBTEK-svar angivet för personen")
        return parse_response(path.read_bytes(), person)


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
            timeout=float(env("EKBIST_SSBTEK_TIMEOUT", "10")),
            attempts=int(env("EKBIST_SSBTEK_FORSOK", "3")),
            backoff=float(env("EKBIST_SSBTEK_VANTETID", "0.5")),
        )


RETRY_STATUS = frozenset({502, 503, 504})


def tls_context(config: SoapConfig) -> ssl.SSLContext:
    """Server verification (a given CA, or the system's) and the municipality's client certificate."""
    ctx = ssl.create_default_context(cafile=config.ca) if config.ca else ssl.create_default_context()
    if config.cert:
        ctx.load_cert_chain(config.cert, config.key)
    return ctx


class TransportFailure(Exception):
    """SSBTEK could not be reached or did not answer in time, after every attempt."""


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
            headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '""'},
            transport=transport,
        )

    def close(self) -> None:
        self._client.close()

    def fetch_raw(self, personnummer: str, period: Month) -> bytes:
        """The answer as it came (raises :class:`TransportFailure` when none came)."""
        body = build_request(personnummer, period, self.config.asker)
        last = "okänt fel"
        for attempt in range(max(1, self.config.attempts)):
            if attempt:
                self._sleep(self.config.backoff * 2 ** (attempt - 1))
            try:
                response = self._client.post(self.config.url, content=body)
            except httpx.TimeoutException:
                last = f"ingen svar inom {self.config.timeout:g} s"
                continue
            except httpx.TransportError as exc:
                last = f"kunde inte nå SSBTEK: {type(exc).__name__}"
                continue
            if response.status_code in RETRY_STATUS:
                last = f"SSBTEK svarade HTTP {response.status_code}"
                continue
            return response.content  # 200, or 500 with a SOAP Fault: both are answers
        raise TransportFailure(f"{last} (efter {self.config.attempts} försök)")

    def fetch(self, person: str, personnummer: str | None, period: Month) -> PersonAgencyData:
        if not personnummer:
            return PersonAgencyData.unavailable(person, "PERSONNUMMER", "personnummer saknas; SSBTEK kan inte frågas")
        try:
            raw = self.fetch_raw(personnummer, period)
        except TransportFailure as exc:
            return PersonAgencyData.unavailable(person, "TRANSPORT", str(exc))
        return parse_response(raw, person)
