"""Engine speed: single-application latency and applications per second on one core.

Each application is computed exactly as the CLI and the API do it, input validation and the full
trace included (``calculate(...).to_dict()``). With ``--kontroller`` every adult also carries a
synthetic SSBTEK answer (parsed beforehand, as the fetch happens before the calculation) and
the control rules run on durable-rules. Run: ``make bench`` or
``.venv/bin/python bench/bench_engine.py [--antal 100000] [--kontroller]``.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import engine
from bench.generate import generate

PNR = "198502011235"  # every synthetic answer is about one synthetic person


def agency_for(apps: list[dict[str, object]], seed: int) -> list[dict[str, object] | None]:
    """A synthetic SSBTEK answer for every adult, from a few typical profiles, parsed once per month."""
    import random

    from engine import Month
    from ssbtek import build_response, parse_response

    rnd = random.Random(seed)
    profiles = [
        {},
        {
            "FK": {
                "utbetalningar": [
                    {"id": "SJP", "beskrivning": "Sjukpenning", "manad": -1, "netto": 8200},
                    {"id": "SJP", "beskrivning": "Sjukpenning", "manad": -2, "netto": 8200},
                ]
            },
            "AF": {"arbetssokande": True},
        },
        {
            "SO": {
                "a_kassor": [
                    {"namn": "Kassan", "utbetalningar": [{"manad": -1, "netto": 9100}, {"manad": -2, "netto": 10300}]}
                ]
            },
            "AF": {"arbetssokande": True},
        },
        {
            "FK": {"utbetalningar": [{"id": "ABB", "beskrivning": "Barnbidrag", "manad": -1, "netto": 1250}]},
            "AF": {"arbetssokande": False},
            "TNS": {"fordon": [{"regnr": "SYN1", "fabrikat": "SAAB", "fordonsar": "2004", "fordonsslag": "PERSONBIL"}]},
        },
        {
            "CSN": {"fel": {"kalla": "SSBT", "felkod": "TIMEOUT", "meddelande": "tidsgräns"}},
            "AF": {"arbetssokande": True},
        },
    ]
    cache: dict[tuple[str, int], object] = {}
    out: list[dict[str, object] | None] = []
    for app in apps:
        answers: dict[str, object] = {}
        for p in app["hushall"]:  # type: ignore[attr-defined]
            if p["roll"] == "barn":
                continue
            k = rnd.randrange(len(profiles))
            key = (str(app["period"]), k)
            if key not in cache:
                xml = build_response({"personnummer": PNR, "kallor": profiles[k]}, Month.parse(key[0]))
                cache[key] = xml
            answers[p["id"]] = parse_response(cache[key], p["id"], PNR)  # type: ignore[arg-type]
        out.append(answers)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--antal", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--kontroller", action="store_true", help="med SSBTEK-svar och kontrollregler")
    args = ap.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core
    bundle = engine.load_bundle(engine.default_root())
    apps = generate(args.antal, args.seed)
    agency: list[dict[str, object] | None] = [None] * len(apps)
    if args.kontroller:
        agency = agency_for(apps, args.seed)
    for a, g in zip(apps[:2000], agency[:2000], strict=True):  # warm the per-month plans
        bundle.calculate(a, agency=g).to_dict()
    engine.settle_memory()  # as the CLI and the API server do after loading the rules
    latencies = []
    clock = time.perf_counter_ns
    start = clock()
    for a, g in zip(apps, agency, strict=True):
        t0 = clock()
        bundle.calculate(a, agency=g).to_dict()
        latencies.append(clock() - t0)
    total = (clock() - start) / 1e9
    latencies.sort()
    med = statistics.median(latencies) / 1e6
    p99 = latencies[int(len(latencies) * 0.99) - 1] / 1e6
    what = "calculation, trace and control rules" if args.kontroller else "calculation and trace"
    print(f"ekbist engine benchmark: {what} ({platform.python_implementation()} {platform.python_version()}, one core)")
    print(f"applications:           {len(apps):,}")
    print(f"median latency:         {med:.3f} ms (trace included)")
    print(f"p99 latency:            {p99:.3f} ms")
    print(f"throughput, one core:   {len(apps) / total:,.0f} applications/s")


if __name__ == "__main__":
    main()
