"""The columnar batch path against the engine over many generated applications and every golden case.

    .venv/bin/python bench/differential.py [--antal 1000000] [--seed 7]

Applications are generated over 2025–2028 (population.generate; a jämförelsetal is given for
2027–2028, where none is entered yet, the same for both paths). Exit status 1 if the paths ever differ.
"""

from __future__ import annotations

import argparse
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import engine
from batch._differential import Comparison, compare
from population import generate

PERIODS = [f"{y}-{m:02d}" for y in (2025, 2026, 2027, 2028) for m in range(1, 13)]
# A value of the right size for the comparison only (both paths get it); not a published figure.
JAMFORELSETAL = Decimal("1.05")
CHUNK = 50_000


def golden(bundle: engine.RuleBundle) -> Comparison:
    from jamfor import golden as golden_cases

    total = Comparison()
    for case in golden_cases([Path(__file__).resolve().parent.parent / "tests" / "golden"]):
        overrides = {}
        if "jamforelsetal" in case.indata:
            overrides["jamforelsetal"] = engine.jamforelsetal(case.indata["jamforelsetal"], "jamforelsetal")
        total.add(compare(bundle, [case.indata["ansokan"]], overrides))
    return total


def _n(value: int) -> str:
    return f"{value:,}".replace(",", "\u00a0")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--antal", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    bundle = engine.load_bundle(engine.default_root())
    start = time.perf_counter()
    total = golden(bundle)
    print(f"guldfall: {total.applications} fall, {total.columnar} kolumnvis, {len(total.differences)} skillnader")
    generated = Comparison()
    for offset in range(0, args.antal, CHUNK):
        n = min(CHUNK, args.antal - offset)
        apps = generate(n, args.seed * 1_000_003 + offset, PERIODS)
        generated.add(compare(bundle, apps, {"jamforelsetal": JAMFORELSETAL}))
        print(f"  {_n(offset + n)} ansökningar, {len(generated.differences)} skillnader", flush=True)
    total.add(generated)
    print(
        f"Totalt {_n(total.applications)} ansökningar (2025–2028 och guldfallen): {_n(total.columnar)} kolumnvis, "
        f"{_n(total.refused)} avvisade av motorn, {len(total.differences)} skillnader "
        f"({time.perf_counter() - start:.0f} s)"
    )
    for d in total.differences[:5]:
        print(d)
    return 1 if total.differences else 0


if __name__ == "__main__":
    sys.exit(main())
