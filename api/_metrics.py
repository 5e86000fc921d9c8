"""Metrics for operations, in Prometheus format (prometheus-client), served at ``/metrics``.

Labels are bounded and carry no personal data: a route is its template (``/v1/beslut/{beslut_id}``,
never a decision's id), unknown paths are one label, deviation codes and rule versions come from
the rule files, SSBTEK sources from the engine's list. With several server processes (``ekbist
serve --workers N``) each writes its figures to ``PROMETHEUS_MULTIPROC_DIR`` and ``/metrics`` adds
them up (prometheus-client's multiprocess mode); the chain's length is read from the database when
scraped, so it is right whichever process, or command, wrote last.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from engine._agency import SOURCES

REQUESTS = Counter("ekbist_http_requests", "HTTP-anrop per väg, metod och status", ["route", "method", "status"])
LATENCY = Histogram(
    "ekbist_http_request_duration_seconds",
    "Svarstid per väg och metod, sekunder",
    ["route", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
CALCULATIONS = Counter(
    "ekbist_calculations", "Beräkningar per regelverksversion och slag (berakning, beslut)", ["regelversion", "slag"]
)
DEVIATIONS = Counter("ekbist_deviations", "Avvikelser i beräkningarna per kod", ["kod"])
SSBTEK = Counter(
    "ekbist_ssbtek_answers",
    "SSBTEK-svar per källa och utfall (svar, fel, ogiltigt, saknas; tidsgrans, transportfel när inget svar kom)",
    ["kalla", "utfall"],
)
LOG_WRITES = Counter("ekbist_beslutslogg_writes", "Poster skrivna i beslutsloggens kedja per typ", ["typ"])
RULE_LOADS = Counter("ekbist_rule_reloads", "Inläsningar av ändrade regelfiler per utfall (ok, fel)", ["utfall"])
UNKNOWN_ROUTE = "okand"


_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def method_label(method: str) -> str:
    """The method, or ``annan`` for one HTTP does not define (a client may send any token)."""
    return method if method in _METHODS else "annan"


def request_done(route: str | None, method: str, status: int, seconds: float) -> None:
    """One request. Every label is from a closed set: a client that invents HTTP methods or paths
    cannot make the metrics, and so the memory, grow without bound."""
    label = route or UNKNOWN_ROUTE
    verb = method_label(method)
    REQUESTS.labels(label, verb, str(status)).inc()
    LATENCY.labels(label, verb).observe(seconds)


def calculated(result: Mapping[str, Any], slag: str) -> None:
    """One calculation's rule version and deviation codes (a what-if counts its base and alternative)."""
    for r in (result.get("bas"), result.get("alternativ")) if "bas" in result else (result,):
        if not isinstance(r, Mapping):
            continue
        version = str((r.get("regelverk") or {}).get("version", "okand"))
        CALCULATIONS.labels(version, slag).inc()
        for a in r.get("avvikelser") or ():
            DEVIATIONS.labels(str(a.get("kod", "okand"))).inc()


def ssbtek_answered(sources: Mapping[str, str]) -> None:
    """One adult's answer: each source's status (svar, fel, ogiltigt, saknas)."""
    for kalla, status in sources.items():
        SSBTEK.labels(kalla, status).inc()


def ssbtek_failed(utfall: str) -> None:
    """No answer came for an adult: every source counts the failure (tidsgrans, transportfel)."""
    for kalla in SOURCES:
        SSBTEK.labels(kalla, utfall).inc()


def log_written(types: Iterable[str]) -> None:
    for typ in types:
        LOG_WRITES.labels(typ).inc()


def rules_loaded(ok: bool) -> None:
    RULE_LOADS.labels("ok" if ok else "fel").inc()


class _ChainLength(Collector):
    """The chain's length, read when scraped (one indexed query)."""

    def __init__(self, head: Any) -> None:
        self._head = head

    def collect(self) -> Iterator[Metric]:
        gauge = GaugeMetricFamily("ekbist_beslutslogg_chain_length", "Antal länkar i beslutsloggens kedja")
        try:
            head = self._head()
        except Exception:  # an unreachable database is /readyz's news; the scrape still answers
            return
        gauge.add_metric([], float(head.position if head is not None else 0))
        yield gauge


class _ThisProcess(Collector):
    def collect(self) -> Iterator[Metric]:
        yield from REGISTRY.collect()


def exposition(head: Any) -> tuple[bytes, str]:
    """The text a scrape gets: every process's figures (or this one's) and the chain's length."""
    registry = CollectorRegistry(auto_describe=False)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_ThisProcess())
    registry.register(_ChainLength(head))
    return generate_latest(registry), CONTENT_TYPE_LATEST
