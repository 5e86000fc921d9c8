"""Synthetic applications for the benchmarks: the generator lives in :mod:`population`.

python bench/generate.py [ANTAL] [--seed S]   # JSON Lines on standard output
"""

from __future__ import annotations

import argparse
import json
import sys

from population import PERIODS, application, generate

__all__ = ["PERIODS", "application", "generate"]

if __name__ == "__main__":
    ap = argparse.ArgumentParser(description="Skriv syntetiska ansökningar som JSON Lines.")
    ap.add_argument("antal", type=int, nargs="?", default=10)
    ap.add_argument("--seed", type=int, default=2026)
    args = ap.parse_args()
    for a in generate(args.antal, args.seed):
        sys.stdout.write(json.dumps(a, ensure_ascii=False) + "\n")
