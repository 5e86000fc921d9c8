"""HTTP speed: ``POST /v1/berakningar`` and durable ``POST /v1/beslut`` under concurrent clients.

Starts ``ekbist serve`` on 127.0.0.1 with a fresh SQLite decision log, then drives it with wrk
(Debian's package: ``apt-get install wrk``; written in C, it costs little CPU beside the server)
with 8 connections. Each request computes one household with controls and the full trace, as a
caseworker's system would call it; each decision is committed (WAL, synchronous=FULL) before its
201 is sent. After the decision run the log is counted and its chain verified, so every
acknowledged write is accounted for. Run: ``make bench-api`` or
``.venv/bin/python bench/bench_api.py [--sekunder 20] [--klienter 8] [--workers 2]``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from api._auth import issue  # noqa: E402
from api._settings import Settings  # noqa: E402
from beslutslogg import DecisionLog, Keyring  # noqa: E402
from ekbist._process import running_server  # noqa: E402

KEY = "bench-" + "k" * 40
LOG_KEY = "bench-logg-" + "l" * 40
HOUSEHOLD = {
    "period": "2026-03",
    "hushall": [
        {"id": "anna", "roll": "sokande", "fodd": "1985-02-01"},
        {"id": "bo", "roll": "medsokande", "fodd": "1990-01-01"},
        {"id": "cleo", "roll": "barn", "fodd": "2015-06-10"},
        {"id": "dan", "roll": "barn", "fodd": "2021-09-01", "lunch_utanfor_hemmet": True},
    ],
    "inkomster": [
        {"person": "anna", "typ": "lon", "belopp": 9000},
        {"person": "bo", "typ": "a_kassa", "belopp": 8100},
        {"person": "cleo", "typ": "barnbidrag", "belopp": 1250},
        {"person": "dan", "typ": "barnbidrag", "belopp": 1250},
    ],
    "kostnader": [{"typ": "boende", "belopp": 9800}, {"typ": "hushallsel", "belopp": 450}],
}
DECISION = {"utfall": "beviljat", "belopp": 0, "motivering": "Prestandamätning."}


def with_agency_answers() -> dict[str, object]:
    """exempel/03: sambor with their SSBTEK answers in the body, so that six controls fire on durable-rules."""
    from ekbist._documents import read_document

    doc = read_document(str(ROOT / "exempel" / "03-sambor-med-ssbtek.yaml"))
    answers = {p: (ROOT / "exempel" / "ssbtek" / f"svar-{p}-2026-03.xml").read_text("utf-8") for p in ("anna", "bo")}
    return {"ansokan": json.loads(json.dumps(doc.ansokan, default=str)), "ssbtek": answers}


LUA = """wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer {token}"
wrk.body = [==[{body}]==]
"""


def parse_wrk(out: str) -> dict[str, float]:
    """Requests/s, total requests, non-2xx count and latency percentiles (ms) from ``wrk --latency``."""

    def ms(text: str) -> float:
        value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    res: dict[str, float] = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))}  # type: ignore[union-attr]
    res["requests"] = float(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    res["fel"] = float(bad.group(1)) if bad else 0.0
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    res["socketfel"] = float(sum(int(g) for g in errors.groups())) if errors else 0.0
    for pct in ("50", "90", "99"):
        m = re.search(rf"^\s+{pct}(?:\.000)?%\s+(\S+)", out, re.M)
        res[f"p{pct}_ms"] = ms(m.group(1)) if m else float("nan")
    return res


def run_wrk(url: str, path: str, token: str, body: object, seconds: int, clients: int, work: Path) -> dict[str, float]:
    script = work / f"{path.strip('/').replace('/', '-')}.lua"
    script.write_text(LUA.format(token=token, body=json.dumps(body, ensure_ascii=False)), encoding="utf-8")
    threads = min(2, clients)
    cmd = ["wrk", f"-t{threads}", f"-c{clients}", f"-d{seconds}s", "--latency", "-s", str(script), url + path]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    return parse_wrk(out)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--sekunder", type=int, default=20, help="längd per mätning (standard 20 s)")
    ap.add_argument("--klienter", type=int, default=8, help="samtidiga anslutningar (standard 8)")
    ap.add_argument("--workers", type=int, default=2, help="serverprocesser (standard 2: en per kärna)")
    ap.add_argument("--databas", help="databas-URL för beslutsloggen (standard: ny SQLite-fil)")
    args = ap.parse_args()
    if shutil.which("wrk") is None:
        print("wrk saknas: installera Debians paket (apt-get install wrk)", file=sys.stderr)
        return 2

    work = Path(tempfile.mkdtemp(prefix="ekbist-bench-"))
    db_url = args.databas or f"sqlite:///{work / 'beslut.sqlite3'}"
    env = {
        **os.environ,
        "EKBIST_DATABASE_URL": db_url,
        "EKBIST_JWT_KEY": KEY,
        "EKBIST_LOGG_NYCKEL": LOG_KEY,
        "EKBIST_DATADIR": str(work),
    }
    with running_server("--workers", str(args.workers), env=env) as server:
        url = server.url
        token = issue(Settings(database_url=db_url, jwt_key=KEY), anvandare="bench", roll="handlaggare", kommun="0180")
        check = httpx.post(url + "/v1/berakningar", json=HOUSEHOLD, headers={"Authorization": f"Bearer {token}"})
        check.raise_for_status()
        warm = max(2, args.sekunder // 5)
        run_wrk(url, "/v1/berakningar", token, HOUSEHOLD, warm, args.klienter, work)  # warm-up, not reported
        compute = run_wrk(url, "/v1/berakningar", token, HOUSEHOLD, args.sekunder, args.klienter, work)
        agency_body = with_agency_answers()
        check = httpx.post(url + "/v1/berakningar", json=agency_body, headers={"Authorization": f"Bearer {token}"})
        assert len(check.json()["avvikelser"]) == 6, check.text[:300]
        controls = run_wrk(url, "/v1/berakningar", token, agency_body, args.sekunder, args.klienter, work)
        log = DecisionLog(db_url, Keyring.from_texts([LOG_KEY], "bench"))
        before = sum(1 for _ in log.records())
        decide = run_wrk(
            url, "/v1/beslut", token, {"ansokan": HOUSEHOLD, "beslut": DECISION}, args.sekunder, args.klienter, work
        )
        verification = log.verify()
        stored, problems = verification.beslut, verification.problem
        acknowledged = int(decide["requests"] - decide["fel"])
        log.dispose()
    print(f"ekbist API på {platform.node()}: {os.cpu_count()} kärnor, Python {platform.python_version()}")
    print(f"{args.klienter} samtidiga klienter (wrk), {args.workers} serverprocesser, {args.sekunder} s per mätning")
    runs = (
        ("POST /v1/berakningar", compute),
        ("  med SSBTEK-svar", controls),
        ("POST /v1/beslut", decide),
    )
    for name, r in runs:
        print(
            f"  {name:22s} {r['rps']:8.0f} anrop/s   p50 {r['p50_ms']:6.1f} ms   p90 {r['p90_ms']:6.1f} ms"
            f"   p99 {r['p99_ms']:6.1f} ms   fel {int(r['fel'] + r['socketfel'])}"
        )
    print(
        f"  beslutsloggen: {stored - before} nya beslut ({acknowledged} kvitterade med 201); "
        + ("kedjan stämmer" if not problems else f"PROBLEM: {problems[:3]}")
    )
    ok = not problems and stored - before >= acknowledged and not any(r["fel"] for _, r in runs)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
