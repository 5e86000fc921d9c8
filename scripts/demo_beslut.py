"""The second half of ``make demo``: the bundled examples as decisions, through the real API.

Starts ``ekbist serve --demo`` on the embedded default (SQLite in ``.ekbist/beslut.sqlite3``, demo keys
in ``.ekbist/``), records each example application as a decision, replays it with its stored rules,
lists the month as an auditor, verifies the keyed chain against the last receipt, and stops the
server. What a caseworker and an auditor would do with curl (README), in one go.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from api import Settings  # noqa: E402
from api._auth import issue  # noqa: E402
from ekbist._documents import read_document  # noqa: E402
from ekbist._process import EKBIST, running_server  # noqa: E402


def main() -> int:
    try:
        return record_examples()
    except RuntimeError as exc:  # the server did not start
        print(f"{exc}; kör .venv/bin/ekbist serve själv för att se varför", file=sys.stderr)
        return 1


def record_examples() -> int:
    with running_server("--workers", "1", "--demo") as server:
        url = server.url
        settings = Settings.from_env(demo=True)
        handlaggare = {
            "Authorization": "Bearer " + issue(settings, anvandare="demo", roll="handlaggare", kommun="0180")
        }
        revisor = {"Authorization": "Bearer " + issue(settings, anvandare="revisor", roll="revisor", kommun="0180")}
        print(f"Beslutslogg: {settings.database_url}")
        for path in sorted((ROOT / "exempel").glob("*.yaml")):
            # Through JSON as a caseworker's system would send it (YAML dates become ISO text).
            ansokan = json.loads(json.dumps(read_document(str(path)).ansokan, default=str))
            result = httpx.post(url + "/v1/berakningar", json=ansokan, headers=handlaggare, timeout=30).json()
            amount = int(result["forsorjningsstod"])
            decision = {
                "utfall": "beviljat" if amount > 0 else "avslag",
                "belopp": amount,
                "motivering": "Demo: enligt beräkningen.",
            }
            r = httpx.post(url + "/v1/beslut", json={"ansokan": ansokan, "beslut": decision}, headers=handlaggare)
            r.raise_for_status()
            ident = r.json()["id"]
            receipt = r.json()["kvitto"]
            replay = httpx.post(f"{url}/v1/beslut/{ident}/omprovning", headers=revisor, timeout=30).json()
            same = "identisk" if replay["godkand"] else "AVVIKER"
            print(f"  {path.name:48s} {amount:>7,} kr  beslut {ident}  omprövning: {same}".replace(",", " "))
        listed = httpx.get(url + "/v1/beslut", headers=revisor).json()
        print(f"Revisorn listar {listed['totalt']} beslut i loggen; sista kvittot: länk nr {receipt['position']}")
    return subprocess.call([str(EKBIST), "revision", "verifiera", "--demo", "--ankare", receipt["huvud"]], cwd=ROOT)


if __name__ == "__main__":
    raise SystemExit(main())
