"""Engine speed: single-application latency and applications per second on one core.

Each application is computed exactly as the CLI and the API do it, input validation and the full
trace included (``calculate(...).to_dict()``). Run: ``make bench`` or
``.venv/bin/python bench/bench_engine.py [--antal 100000]``.
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


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--antal", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=2026)
    args = ap.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core
    bundle = engine.load_bundle(engine.default_root())
    apps = generate(args.antal, args.seed)
    for a in apps[:2000]:  # warm the per-month plans
        bundle.calculate(a).to_dict()
    engine.settle_memory()  # as the CLI and the API server do after loading the rules
    latencies = []
    clock = time.perf_counter_ns
    start = clock()
    for a in apps:
        t0 = clock()
        bundle.calculate(a).to_dict()
        latencies.append(clock() - t0)
    total = (clock() - start) / 1e9
    latencies.sort()
    med = statistics.median(latencies) / 1e6
    p99 = latencies[int(len(latencies) * 0.99) - 1] / 1e6
    print(f"ekbist engine benchmark ({platform.python_implementation()} {platform.python_version()}, one core)")
    print(f"applications:           {len(apps):,}")
    print(f"median latency:         {med:.3f} ms (trace included)")
    print(f"p99 latency:            {p99:.3f} ms")
    print(f"throughput, one core:   {len(apps) / total:,.0f} applications/s")


if __name__ == "__main__":
    main()
