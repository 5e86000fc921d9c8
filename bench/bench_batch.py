"""ekbist and the OpenFisca peer side by side, in one run, on the same generated applications.

    make bench          # or: .venv/bin/python bench/bench_batch.py [--antal 100000] [--seed 11]

The applications come from the peer's seeded generator (``../shared/peers/openfisca-ekbist``,
2025-01..2026-12). The peer runs in a venv of the benchmark's own (``bench/.venv-openfisca``, made
by ``make bench``), never in ekbist's. Measured here:

* batch from JSON lines (to JSON lines) and from Parquet (in row groups, to Parquet): ``ekbist batch``
  on all cores, validation, reading and writing included (the run's own time, without starting the
  interpreter), against the peer's vectorised simulation with validation (best of three, rules
  already loaded);
* one application with its full trace (``calculate(...).to_dict()``), median, against one
  OpenFisca simulation per application;
* that every amount of every application is the same in both.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import engine  # noqa: E402

PEER = ROOT.parent / "shared" / "peers" / "openfisca-ekbist"
PEER_PYTHON = ROOT / "bench" / ".venv-openfisca" / "bin" / "python"
OUTPUTS = ("riksnorm", "skaliga_kostnader", "behov", "inkomster", "forsorjningsstod", "overskott")


def peer_population(n: int, seed: int) -> list[dict[str, Any]]:
    spec = importlib.util.spec_from_file_location("peer_population", PEER / "population.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    rng = random.Random(seed)
    return [module.generate(rng) for _ in range(n)]


def ekbist_batch(src: Path, out: Path, workers: int | None) -> dict[str, Any]:
    args = [str(ROOT / ".venv" / "bin" / "ekbist"), "batch", str(src), "--ut", str(out), "--tyst", "--json"]
    if workers:
        args += ["--arbetare", str(workers)]
    done = subprocess.run(args, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"ekbist batch misslyckades: {done.stderr}")
    summary: dict[str, Any] = json.loads(done.stdout)
    return summary


def single_latency(apps: list[dict[str, Any]]) -> float:
    bundle = engine.load_bundle(ROOT)
    for a in apps[:2000]:
        bundle.calculate(a).to_dict()
    engine.settle_memory()
    latencies = []
    for a in apps:
        t0 = time.perf_counter_ns()
        bundle.calculate(a).to_dict()
        latencies.append(time.perf_counter_ns() - t0)
    return statistics.median(latencies) / 1e6


def _n(value: float) -> str:
    return f"{value:,.0f}".replace(",", "\u00a0")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--antal", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--enkel", type=int, default=10_000, help="ansökningar för mätningen av en i taget")
    args = ap.parse_args()
    if not PEER_PYTHON.exists():
        raise SystemExit("kör 'make bench' (installerar OpenFisca-modellen i bench/.venv-openfisca)")
    import pyarrow as pa
    import pyarrow.parquet as pq

    from batch import application_schema

    apps = peer_population(args.antal, args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        src = d / "ansokningar.jsonl"
        src.write_text("".join(json.dumps(a, ensure_ascii=False) + "\n" for a in apps), encoding="utf-8")
        # Parquet as a columnar pipeline writes it: in row groups (here 12 500 rows, half of ekbist's
        # chunk), which ekbist's workers read in parallel, and Parquet out.
        pq.write_table(
            pa.Table.from_pylist(apps, schema=application_schema(None)),
            d / "ansokningar.parquet",
            row_group_size=12_500,
        )
        peer_out = d / "peer.json"
        subprocess.run(
            [str(PEER_PYTHON), str(ROOT / "bench" / "_peer.py"), str(PEER), str(src), str(peer_out), "--enkel", "2000"],
            check=True,
        )
        peer = json.loads(peer_out.read_text(encoding="utf-8"))
        runs = {}
        for name, path, out in (
            ("JSON Lines", src, d / "ut.jsonl"),
            ("Parquet", d / "ansokningar.parquet", d / "ut.parquet"),
        ):
            best = None
            for _ in range(3):
                summary = ekbist_batch(path, out, None)
                if best is None or summary["sekunder"] < best["sekunder"]:
                    best = summary
            runs[name] = best
        from_jsonl = [json.loads(line) for line in (d / "ut.jsonl").read_text(encoding="utf-8").splitlines()]
        from_parquet = pq.read_table(d / "ut.parquet").to_pylist()
    same = all(
        len(results) == len(apps) and all(r[k] == peer["utfall"][k][r["rad"] - 1] for r in results for k in OUTPUTS)
        for results in (from_jsonl, from_parquet)
    )
    single = single_latency(apps[: args.enkel])
    peer_rate = len(apps) / peer["batch_sekunder"]
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"ekbist och OpenFisca-modellen: {_n(len(apps))} ansökningar (seed {args.seed}), {cores} kärnor")
    print(f"{'':34}{'ekbist':>14}{'OpenFisca':>14}{'kvot':>8}")
    for name, s in runs.items():
        rate = s["rader"] / s["sekunder"]
        print(f"{'batch från ' + name + ', per s':34}{_n(rate):>14}{_n(peer_rate):>14}{rate / peer_rate:>7.1f}×")
        print(f"{'  varav kolumnvis / av motorn':34}{_n(s['kolumnvis']):>14} / {_n(s['motorn'])}")
    ratio = peer["enkel_median_ms"] / single
    print(f"{'en ansökan med spår, median ms':34}{single:>14.3f}{peer['enkel_median_ms']:>14.3f}{ratio:>7.1f}×")
    print(f"samma belopp för varje ansökan: {'ja' if same else 'NEJ'}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
