"""Run by the OpenFisca peer's own venv (bench/.venv-openfisca): measure it on the bench's file.

    python bench/_peer.py PEER_DIR APPS.jsonl OUT.json [--enkel N]

Writes {"batch_sekunder", "enkel_median_ms", "utfall": {name: [...]}}: the vectorised simulation
with validation timed over the whole file (best of three), one simulation per application timed
over the first N.
"""

import json
import statistics
import sys
import time


def main() -> None:
    peer, src, out = sys.argv[1], sys.argv[2], sys.argv[3]
    single = int(sys.argv[5]) if len(sys.argv) > 5 else 2000
    sys.path.insert(0, peer)
    from openfisca_ekbist import CountryTaxBenefitSystem
    from openfisca_ekbist.kontrakt import UTFALL, berakna, berakna_batch, validera

    with open(src, encoding="utf-8") as f:
        apps = [json.loads(line) for line in f]
    for a in apps:
        a.pop("id", None)
    tbs = CountryTaxBenefitSystem()
    berakna_batch(tbs, [validera(a) for a in apps[:2000]])  # warm: formulas and parameters loaded
    best = None
    cols = None
    for _ in range(3):
        t0 = time.perf_counter()
        cols = berakna_batch(tbs, [validera(a) for a in apps])
        took = time.perf_counter() - t0
        best = took if best is None else min(best, took)
    latencies = []
    for a in apps[:single]:
        t0 = time.perf_counter_ns()
        berakna(tbs, validera(a))
        latencies.append(time.perf_counter_ns() - t0)
    result = {
        "batch_sekunder": best,
        "enkel_median_ms": statistics.median(latencies) / 1e6,
        "utfall": {k: [int(x) for x in cols[k]] for k in UTFALL},
    }
    with open(out, "w", encoding="utf-8") as f:
        json.dump(result, f)


if __name__ == "__main__":
    main()
