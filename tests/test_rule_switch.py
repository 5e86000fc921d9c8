"""A running server never serves half-edited law: two workers switch together, a broken edit is
reported while the last good rules stay in force everywhere, and a changed bundle needs a new version.

Every sample asks on a new connection, so both workers of ``ekbist serve --workers 2`` answer.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import httpx

from tests.api_helpers import APP, auth
from tests.conftest import ROOT
from tests.server_helpers import running_server

SETTLE_S = 2.5  # the workers look at the files and at the log once a second


def sample(url: str, n: int = 30) -> list[tuple[str, str, int, str | None]]:
    out = []
    for _ in range(n):
        r = httpx.post(url + "/v1/berakningar", json=APP, headers=auth("handlaggare"), timeout=30)
        assert r.status_code == 200, r.text
        body = r.json()
        out.append((body["regelverk"]["hash"], body["regelverk"]["version"], body["riksnorm"], body.get("varning")))
    return out


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_two_workers_switch_together_and_never_serve_a_broken_edit(tmp_path: Path) -> None:
    root = tmp_path / "regler"
    shutil.copytree(ROOT / "regelverk", root / "regelverk")
    shutil.copytree(ROOT / "normer", root / "normer")
    norms, manifest = root / "normer" / "riksnorm.yaml", root / "regelverk" / "regelverk.yaml"
    db = f"sqlite:///{tmp_path / 'b.sqlite3'}"
    with running_server(db, tmp_path, "--workers", "2", EKBIST_REGELROT=str(root)) as server:
        first = set(sample(server.url))
        assert len(first) == 1 and next(iter(first))[2] == 5220

        # 1. An amount changed without a new version label is not put in force; every answer says why.
        edit(norms, "        varde: 3940", "        varde: 3990")
        time.sleep(SETTLE_S)
        stale = set(sample(server.url))
        assert {s[:3] for s in stale} == {s[:3] for s in first}
        assert all(s[3] and "behöver en ny version" in s[3] for s in stale)

        # 2. With a new label it is: both workers answer with the new rules.
        edit(manifest, 'version: "', 'version: "2026.12.2-test-')
        time.sleep(SETTLE_S)
        new = set(sample(server.url))
        assert len(new) == 1
        new_hash, new_version, riksnorm, warning = next(iter(new))
        assert riksnorm == 5270 and new_version.startswith("2026.12.2-test-") and warning is None

        # 3. A typo: the last good rules stay in force in every worker, and the typo is named.
        edit(norms, "        varde: 3990", "        varde: 39x0")
        time.sleep(SETTLE_S)
        broken = set(sample(server.url))
        assert {s[:3] for s in broken} == {(new_hash, new_version, 5270)}
        assert all(s[3] and "normer/riksnorm.yaml:" in s[3] for s in broken)
        ready = httpx.get(server.url + "/readyz").json()
        assert ready["regelverk"]["hash"] == new_hash and "normer/riksnorm.yaml:" in ready["varning"]

        # 4. Mended: the same good rules, and the warning is gone.
        edit(norms, "        varde: 39x0", "        varde: 3990")
        time.sleep(SETTLE_S)
        assert set(sample(server.url)) == {(new_hash, new_version, 5270, None)}
        log = server.log_text()
    assert "satt i kraft" in log and "har inte satts i kraft" in log
