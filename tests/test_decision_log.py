"""The decision log against someone who can write to its database (SQLite and PostgreSQL).

Each attack from the issue is carried out here the way an insider would: with SQL, triggers
dropped, and the project's own ``record_hash`` to recompute plain hashes. Every one must be named
by ``verify`` (and ``ekbist revision verifiera`` must exit 1); the ones that leave a valid chain
behind (a cut-off end, a wiped log) are caught by a receipt or an anchor kept outside.
"""

from __future__ import annotations

import itertools
import json
import logging
import sqlite3
import stat
import subprocess
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

import engine
from beslutslogg import DecisionLog, Keyring, read_anchor, record_hash
from beslutslogg._canonical import DECISION_FIELDS, GENESIS
from ekbist.cli import main
from tests.api_helpers import APP, DECISION, KEYRING, LOG_KEY, db_url  # noqa: F401
from tests.conftest import ROOT

BUNDLE = engine.load_bundle(ROOT)
RESULT = BUNDLE.calculate(APP).to_dict()


def fill(log: DecisionLog, n: int = 5, bundle: engine.RuleBundle = BUNDLE) -> list[Any]:
    return [
        log.append(
            kommun="0180",
            anvandare="anna",
            roll="handlaggare",
            indata={"ansokan": APP},
            resultat=RESULT,
            beslut_data=DECISION,
            bundle=bundle,
        )
        for _ in range(n)
    ]


@pytest.fixture
def log(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Any:  # noqa: F811
    monkeypatch.setenv("EKBIST_LOGG_NYCKEL", LOG_KEY)
    d = DecisionLog(db_url, KEYRING)
    d.migrate()
    yield d
    d.dispose()


def sql(log: DecisionLog, *statements: str) -> None:
    with log.writer.begin() as conn:
        for s in statements:
            conn.execute(text(s))


def drop_guards(log: DecisionLog) -> None:
    """What someone with the owner's rights could do: remove every append-only trigger."""
    for table in ("beslut", "kedja", "atkomstlogg", "regelverk_paket"):
        if log.sqlite:
            sql(log, f"DROP TRIGGER {table}_endast_tillagg_update", f"DROP TRIGGER {table}_endast_tillagg_delete")
        else:
            sql(
                log, f"DROP TRIGGER {table}_endast_tillagg ON {table}", f"DROP TRIGGER {table}_ingen_tomning ON {table}"
            )


def problems(log: DecisionLog, *anchors: str) -> list[str]:
    return log.verify([read_anchor(a, KEYRING) for a in anchors]).problem


def cli_verify(db_url: str, *extra: str) -> int:  # noqa: F811
    return main(["revision", "verifiera", "--databas", db_url, *extra])


def test_chain_links_every_record_with_receipts(log: DecisionLog) -> None:
    recs = fill(log)
    records = list(log.records())
    assert [r.id for r in records] == [r.id for r in recs] and [r.seq for r in records] == [1, 2, 3, 4, 5]
    assert records[0].foregaende_hash == GENESIS
    assert all(b.foregaende_hash == a.hash for a, b in itertools.pairwise(records))
    # the first decision also bound its rule bundle: link 1 is the bundle, 2..6 the decisions
    assert [r.kvitto.position for r in recs] == [2, 3, 4, 5, 6]
    assert recs[-1].kvitto.huvud == log.head().mac
    v = log.verify()
    assert (v.beslut, v.regelverk, v.atkomst, v.lankar, v.problem) == (5, 1, 0, 6, [])
    assert log.bundle_files(BUNDLE.hash) == BUNDLE.files


def test_every_table_is_append_only(log: DecisionLog) -> None:
    fill(log, 2)
    log.log_access(anvandare="rita", roll="revisor", kommun="0180", beslut_id="x", handling="lasa")
    for table, column in (
        ("beslut", "tidpunkt"),
        ("kedja", "tidpunkt"),
        ("atkomstlogg", "tidpunkt"),
        ("regelverk_paket", "version"),
    ):
        for statement in (f"UPDATE {table} SET {column} = 'x'", f"DELETE FROM {table}"):
            with pytest.raises(Exception, match="kan bara utökas"):
                sql(log, statement)
        if not log.sqlite:  # row triggers do not fire on TRUNCATE; a statement trigger does
            with pytest.raises(Exception, match="kan bara utökas"):
                sql(log, f"TRUNCATE {table} CASCADE")
    assert log.verify().problem == []


def test_rewritten_decision_with_recomputed_hashes_is_found(log: DecisionLog, db_url: str) -> None:  # noqa: F811
    """The amount is changed and every plain hash recomputed with the project's own record_hash."""
    recs = fill(log)
    drop_guards(log)
    rows = [dict(r) for r in log.reader.connect().execute(text("SELECT * FROM beslut ORDER BY seq")).mappings()]
    prev = GENESIS
    with log.writer.begin() as conn:
        for row in rows:
            if row["seq"] == 3:
                row["beslut"] = row["beslut"].replace("11220", "99999")
            row["foregaende_hash"] = prev
            row["hash"] = record_hash({k: row[k] for k in DECISION_FIELDS})
            prev = row["hash"]
            conn.execute(
                text("UPDATE beslut SET beslut = :b, foregaende_hash = :f, hash = :h WHERE seq = :s"),
                {"b": row["beslut"], "f": row["foregaende_hash"], "h": row["hash"], "s": row["seq"]},
            )
    found = problems(log)
    assert f"beslut nr 3 ({recs[2].id}) har ändrats efter att det registrerades" in found
    assert cli_verify(db_url) == 1


def test_forged_link_without_the_key_is_found(log: DecisionLog) -> None:
    fill(log, 3)
    drop_guards(log)
    sql(log, "UPDATE kedja SET innehall = '" + "a" * 64 + "' WHERE seq = 3")
    found = problems(log)
    assert any("länk nr 3" in p and "MAC stämmer inte" in p for p in found), found
    other = Keyring.from_texts(["en-helt-annan-nyckel-som-är-lång-nog-" * 2], "t")
    assert "nyckel som inte är angiven" in DecisionLog(log.url, other).verify().problem[0]


def test_tail_cut_is_found_by_receipt_and_anchor(log: DecisionLog, db_url: str, tmp_path: Path) -> None:  # noqa: F811
    recs = fill(log, 5)
    anchor = tmp_path / "ankare.json"
    anchor.write_text(json.dumps(log.anchor()), encoding="utf-8")
    receipt = tmp_path / "kvitto.json"
    receipt.write_text(json.dumps({"id": recs[-1].id, "kvitto": recs[-1].kvitto.to_dict()}), encoding="utf-8")
    assert problems(log, str(anchor), str(receipt), recs[-1].kvitto.huvud) == []
    drop_guards(log)
    # The newest two decisions and their links removed: what is left is a valid chain.
    sql(log, "DELETE FROM kedja WHERE seq >= 5", "DELETE FROM beslut WHERE seq >= 4")
    assert problems(log) == []
    found = problems(log, str(anchor))
    assert any("ska innehålla länk nr 6, men kedjan slutar vid nr 4" in p for p in found), found
    assert problems(log, str(receipt)) and problems(log, recs[-1].kvitto.huvud)
    assert cli_verify(db_url, "--ankare", str(anchor)) == 1
    assert cli_verify(db_url) == 0  # without an anchor nothing can tell: the reason anchors exist


def test_removed_and_added_records_are_found(log: DecisionLog) -> None:
    recs = fill(log, 4)
    log.log_access(anvandare="rita", roll="revisor", kommun="0180", beslut_id=recs[0].id, handling="lasa")
    drop_guards(log)
    sql(log, f"DELETE FROM beslut WHERE id = '{recs[1].id}'")
    sql(log, "DELETE FROM atkomstlogg")
    sql(
        log,
        "INSERT INTO atkomstlogg (id, tidpunkt, anvandare, roll, kommun, beslut_id, handling, utfall) "
        "VALUES (99, '2026-01-01', 'x', 'revisor', '0180', 'y', 'lasa', 'ok')",
    )
    found = "\n".join(problems(log))
    assert f"beslut {recs[1].id} saknas" in found
    assert "åtkomstloggens rad 1 saknas" in found
    assert "åtkomstloggens rad 99 finns i databasen men inte i kedjan" in found
    assert "beslut nr 2–2 saknas" in found


def test_edited_access_log_is_found(log: DecisionLog) -> None:
    [rec] = fill(log, 1)
    log.log_access(anvandare="rita", roll="revisor", kommun="0180", beslut_id=rec.id, handling="lasa")
    drop_guards(log)
    sql(log, "UPDATE atkomstlogg SET anvandare = 'någon annan'")
    assert any("åtkomstloggens rad 1 (lasa av" in p and "har ändrats" in p for p in problems(log))


def test_replaced_rule_bundle_is_found_and_named(log: DecisionLog, db_url: str, capsys: Any) -> None:  # noqa: F811
    [rec] = fill(log, 1)
    drop_guards(log)
    sql(log, "UPDATE regelverk_paket SET filer = replace(filer, '3940', '9940')")
    found = problems(log)
    assert any(p.startswith(f"regelverket {BUNDLE.hash} har ändrats: de lagrade filerna ger sha256:") for p in found)
    # Replay says the bundle is damaged; it does not blame the decision.
    assert main(["omprova", rec.id, "--databas", db_url]) == 1
    err = capsys.readouterr().err
    assert f"regelverket {BUNDLE.hash} i beslutsloggen är skadat" in err and "Traceback" not in err


def test_truncated_postgres_log_is_found_by_anchor(log: DecisionLog, tmp_path: Path) -> None:
    if log.sqlite:
        pytest.skip("TRUNCATE is PostgreSQL's")
    fill(log, 3)
    anchor = tmp_path / "a.json"
    anchor.write_text(json.dumps(log.anchor()), encoding="utf-8")
    drop_guards(log)
    sql(log, "TRUNCATE beslut, kedja, atkomstlogg, regelverk_paket")
    v = log.verify([read_anchor(str(anchor), KEYRING)])
    assert v.beslut == 0 and any("kedjan slutar vid nr 0" in p for p in v.problem)


def test_key_rotation(log: DecisionLog) -> None:
    fill(log, 2)
    new = "den-nya-loggnyckeln-för-test-" + "z" * 30
    rotated = DecisionLog(log.url, Keyring.from_texts([new, LOG_KEY], "t"))
    fill(rotated, 2)
    v = rotated.verify()
    assert v.problem == [] and v.beslut == 4
    only_new = DecisionLog(log.url, Keyring.from_texts([new], "t")).verify().problem
    assert only_new and all("nyckel som inte är angiven" in p for p in only_new)
    assert len(only_new) == 3  # the bundle and two decisions were signed with the old key


def test_sqlite_log_is_private(tmp_path: Path) -> None:
    path = tmp_path / "ny" / "beslut.sqlite3"
    log = DecisionLog(f"sqlite:///{path}", KEYRING)
    log.migrate()
    fill(log, 1)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(Path(str(path) + "-wal").stat().st_mode) == 0o600
    log.dispose()


def test_sqlite_export_and_a_copy_without_its_wal(log: DecisionLog, tmp_path: Path, capsys: Any) -> None:
    if not log.sqlite:
        pytest.skip("the SQLite backup API")
    fill(log, 3)
    target = tmp_path / "kopia.sqlite3"
    assert main(["revision", "export", str(target), "--databas", log.url]) == 0
    out = capsys.readouterr().out
    assert "3 beslut" in out and "verifierad" in out and stat.S_IMODE(target.stat().st_mode) == 0o600
    anchor = str(target) + ".ankare.json"
    assert cli_verify(f"sqlite:///{target}", "--ankare", anchor) == 0
    # The main file alone, while the newest records are still in the WAL: it no longer passes.
    source = Path(log.url.split(":///", 1)[1])
    with sqlite3.connect(source) as raw:
        raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # what came before is in the main file ...
    fill(log, 2)  # ... and these two only in the WAL
    anchor2 = tmp_path / "nu.json"
    anchor2.write_text(json.dumps(log.anchor()), encoding="utf-8")
    bare = tmp_path / "utan-wal.sqlite3"
    bare.write_bytes(source.read_bytes())
    assert cli_verify(f"sqlite:///{bare}", "--ankare", str(anchor2)) == 1
    assert "kedjan slutar vid" in capsys.readouterr().out


def test_postgres_export_restores_and_verifies(log: DecisionLog, tmp_path: Path, capsys: Any) -> None:
    if log.sqlite:
        pytest.skip("pg_dump")
    from tests.api_helpers import pg_database

    fill(log, 3)
    target = tmp_path / "logg.dump"
    assert main(["revision", "export", str(target), "--databas", log.url]) == 0
    assert "pg_dump" in capsys.readouterr().out
    for url in pg_database():  # restored into a new database, the copy verifies with its anchor
        plain = url.replace("postgresql+psycopg://", "postgresql://")
        subprocess.run(["pg_restore", "--no-owner", "-d", plain, str(target)], check=True, capture_output=True)
        assert cli_verify(url, "--ankare", str(target) + ".ankare.json") == 0
        # the copy holds the three decisions and the export's own access-log row, logged before the copy
        assert "3 beslut, 1 regelverk, 1 rader i åtkomstloggen" in capsys.readouterr().out


def test_server_role_may_only_read_and_append(db_url: str) -> None:  # noqa: F811
    if db_url.startswith("sqlite"):
        pytest.skip("PostgreSQL roles")
    from tests.api_helpers import app_role

    with app_role(db_url) as app_url:
        owner = DecisionLog(db_url, KEYRING)
        owner.migrate(app_role=app_url.split("://", 1)[1].split(":", 1)[0])
        assert "äger" in (owner.owner_problem() or "") or "superanvändare" in (owner.owner_problem() or "")
        server = DecisionLog(app_url, KEYRING)
        assert server.owner_problem() is None
        fill(server, 2)
        server.log_access(anvandare="rita", roll="revisor", kommun="0180", beslut_id="x", handling="lasa")
        assert server.verify().problem == []
        for statement in ("UPDATE beslut SET kommun = '9999'", "DELETE FROM kedja", "TRUNCATE atkomstlogg"):
            with pytest.raises(Exception, match=r"permission denied|must be owner|behörighet"):
                sql(server, statement)
        with pytest.raises(Exception, match=r"permission denied|must be owner|behörighet"):
            sql(server, "DROP TRIGGER beslut_endast_tillagg ON beslut")
        server.dispose()
        owner.dispose()


def test_upgrade_from_the_first_log_format_seals_old_records(db_url: str, capsys: Any) -> None:  # noqa: F811
    """A log written before the keyed chain (schema 0001) is sealed into it when opened with the key."""
    from alembic import command
    from alembic.config import Config

    from beslutslogg._store import MIGRATIONS

    legacy = DecisionLog(db_url)
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with legacy.writer.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
    prev = GENESIS
    with legacy.writer.begin() as conn:
        conn.execute(
            text("INSERT INTO regelverk_paket VALUES (:h, :i, :v, :f, :t)"),
            {"h": BUNDLE.hash, "i": BUNDLE.id, "v": BUNDLE.version, "f": json.dumps(BUNDLE.files), "t": "2026-01-01"},
        )
        for seq in (1, 2):
            fields = {
                "seq": seq,
                "id": f"gammalt-{seq}",
                "tidpunkt": f"2026-01-0{seq}T10:00:00+00:00",
                "kommun": "0180",
                "anvandare": "anna",
                "roll": "handlaggare",
                "regelverk_hash": BUNDLE.hash,
                "indata": json.dumps({"ansokan": APP}),
                "resultat": json.dumps({"forsorjningsstod": 11220}),
                "beslut": json.dumps(DECISION),
                "foregaende_hash": prev,
            }
            prev = record_hash(fields)
            conn.execute(
                text(
                    "INSERT INTO beslut VALUES (:seq, :id, :tidpunkt, :kommun, :anvandare, :roll, :regelverk_hash, "
                    ":indata, :resultat, :beslut, :foregaende_hash, :hash)"
                ),
                {**fields, "hash": prev},
            )
            conn.execute(text("UPDATE kedja SET senaste_seq = :s, senaste_hash = :h"), {"s": seq, "h": prev})
    with pytest.raises(Exception, match="förseglas med loggnyckeln"):
        legacy.migrate()
    legacy.dispose()
    log = DecisionLog(db_url, KEYRING)
    log.migrate()
    v = log.verify()
    assert (v.problem, v.beslut, v.regelverk, v.forseglade) == ([], 2, 1, 1)
    assert [s.period for s in log.list_decisions().items] == ["2026-03", "2026-03"]
    fill(log, 1)
    assert log.verify().problem == [] and log.get("gammalt-2") is not None
    log.dispose()


def test_listing_filters_and_pages(log: DecisionLog) -> None:
    fill(log, 3)
    other = {**APP, "period": "2026-04"}
    log.append(
        kommun="1280",
        anvandare="otto",
        roll="handlaggare",
        indata={"ansokan": other},
        resultat=BUNDLE.calculate(other).to_dict(),
        beslut_data={**DECISION, "utfall": "avslag", "belopp": 0},
        bundle=BUNDLE,
    )
    assert log.list_decisions().totalt == 4
    page = log.list_decisions(period="2026-03", per_sida=2)
    assert (page.totalt, page.sidor, len(page.items)) == (3, 2, 2)
    assert log.list_decisions(period="2026-03", per_sida=2, sida=2).items[0].seq == 3
    [malmo] = log.list_decisions(kommun="1280").items
    assert (malmo.utfall, malmo.belopp, malmo.period, malmo.forsorjningsstod) == ("avslag", 0, "2026-04", 11220)
    from datetime import date, timedelta

    today = date.today()
    assert log.list_decisions(fran=today + timedelta(days=1)).totalt == 0
    assert log.list_decisions(till=today).totalt == 4


def test_cli_listing_and_access(log: DecisionLog, db_url: str, capsys: Any) -> None:  # noqa: F811
    recs = fill(log, 2)
    log.log_access(anvandare="rita", roll="revisor", kommun="0180", beslut_id=recs[0].id, handling="lasa")
    assert main(["revision", "lista", "--databas", db_url, "--period", "2026-03"]) == 0
    out = capsys.readouterr().out
    assert "2 beslut" in out and recs[1].id in out and "11 220" in out
    assert main(["revision", "atkomst", recs[0].id, "--databas", db_url]) == 0
    out = capsys.readouterr().out
    assert "rita (revisor, 0180)" in out and "lasa" in out
    assert main(["revision", "lista", "--databas", db_url, "--period", "2026-13"]) == 2
    # both CLI reads are themselves in the access log
    assert {r["handling"] for r in log.access_log()} >= {"lista", "atkomst", "lasa"}


def test_cli_verify_ok_and_anchor(log: DecisionLog, db_url: str, capsys: Any, tmp_path: Path) -> None:  # noqa: F811
    fill(log, 3)
    assert cli_verify(db_url) == 0
    assert "intakt: 3 beslut" in capsys.readouterr().out
    path = tmp_path / "a.json"
    assert main(["revision", "ankare", "--databas", db_url, "--ut", str(path)]) == 0
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    data = json.loads(path.read_text(encoding="utf-8"))
    data["position"] = 1
    path.write_text(json.dumps(data), encoding="utf-8")
    assert cli_verify(db_url, "--ankare", str(path)) == 2  # a tampered anchor is refused, not trusted
    assert "signaturen stämmer inte" in capsys.readouterr().err


def test_cli_replay_reports_a_decision_that_differs(log: DecisionLog, db_url: str, capsys: Any) -> None:  # noqa: F811
    [same] = fill(log, 1)
    assert main(["omprova", same.id, "--databas", db_url]) == 0
    out = capsys.readouterr().out
    assert "samma resultat som när beslutet fattades" in out and "stämmer med beräkningen" in out
    wrong = log.append(
        kommun="0180",
        anvandare="anna",
        roll="handlaggare",
        indata={"ansokan": APP},
        resultat=RESULT,
        beslut_data={"utfall": "avslag", "belopp": 99999, "motivering": "fel"},
        bundle=BUNDLE,
    )
    assert main(["omprova", wrong.id, "--databas", db_url]) == 1
    out = capsys.readouterr().out
    assert "AVVIKER från beräkningen" in out and "avslag men anger beloppet 99 999 kr" in out
    assert "beräkningen ger 11 220 kr" in out and "{" not in out
    assert main(["omprova", "finns-inte", "--databas", db_url]) == 2
    assert "beslutet finns-inte finns inte" in capsys.readouterr().err
    assert [a["handling"] for a in log.access_log(same.id)] == ["omprova"]


def test_cli_needs_the_key_and_a_log(tmp_path: Path, capsys: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EKBIST_LOGG_NYCKEL", raising=False)
    missing = tmp_path / "ingen.sqlite3"
    assert main(["revision", "verifiera", "--databas", f"sqlite:///{missing}"]) == 2
    assert "EKBIST_LOGG_NYCKEL" in capsys.readouterr().err
    monkeypatch.setenv("EKBIST_LOGG_NYCKEL", "kort")
    assert main(["revision", "verifiera", "--databas", f"sqlite:///{missing}"]) == 2
    assert "minst 32" in capsys.readouterr().err
    monkeypatch.setenv("EKBIST_LOGG_NYCKEL", LOG_KEY)
    assert main(["revision", "verifiera", "--databas", f"sqlite:///{missing}"]) == 1
    assert "ingen beslutslogg" in capsys.readouterr().err and not missing.exists()
    assert main(["omprova", "x", "--databas", "postgresql://u:hemligt@127.0.0.1:1/x?connect_timeout=2"]) == 1
    err = capsys.readouterr().err
    assert "beslutsloggen nås inte" in err and "hemligt" not in err and "Traceback" not in err
    assert main(["revision", "verifiera", "--databas", "mysql://u:hemligt@x/db"]) == 2
    err = capsys.readouterr().err
    assert "sqlite:///" in err and "hemligt" not in err
    assert main(["token", "--roll", "kung", "--kommun", "0180", "--demo"]) == 2


def test_sql_logging_never_shows_parameters(db_url: str, caplog: pytest.LogCaptureFixture) -> None:  # noqa: F811
    caplog.set_level(logging.INFO, logger="sqlalchemy.engine")
    log = DecisionLog(db_url, KEYRING)
    log.migrate()
    app = {**APP, "hushall": [{"id": "s", "roll": "sokande", "fodd": "1985-02-01", "personnummer": "198502011235"}]}
    log.append(
        kommun="0180",
        anvandare="anna",
        roll="handlaggare",
        indata={"ansokan": app},
        resultat=BUNDLE.calculate(app).to_dict(),
        beslut_data=DECISION,
        bundle=BUNDLE,
    )
    log.dispose()
    assert "INSERT INTO beslut" in caplog.text and "198502011235" not in caplog.text
    assert LOG_KEY not in caplog.text


def test_keys_are_never_shown_and_short_keys_refused() -> None:
    ring = Keyring.from_texts([LOG_KEY], "t")
    assert LOG_KEY not in repr(ring) and LOG_KEY not in repr(ring.current)
    with pytest.raises(ValueError, match="minst 32 krävs"):
        Keyring.from_texts(["a"], "EKBIST_LOGG_NYCKEL")
    assert Keyring.from_env({}) is None


def test_key_file_with_rotation_and_comments(tmp_path: Path) -> None:
    new = "ny-nyckel-" + "n" * 40
    f = tmp_path / "nycklar"
    f.write_text(f"# nuvarande först\n{new}\n\n{LOG_KEY}\n", encoding="utf-8")
    ring = Keyring.from_env({"EKBIST_LOGG_NYCKELFIL": str(f)})
    assert ring is not None and ring.current.id == Keyring.from_texts([new], "t").current.id
    assert ring.knows(KEYRING.current.id) and len(ring.ids) == 2
    with pytest.raises(ValueError, match="kan inte läsas"):
        Keyring.from_env({"EKBIST_LOGG_NYCKELFIL": str(tmp_path / "saknas")})
    demo = Keyring.from_env({}, demo_dir=tmp_path / "demo")
    assert demo is not None and stat.S_IMODE((tmp_path / "demo" / "logg-nyckel").stat().st_mode) == 0o600
    assert Keyring.from_env({}, demo_dir=tmp_path / "demo").current.id == demo.current.id  # kept, not remade


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("inte-ett-ankare", "varken en ankarfil"),
        ("[1, 2]", "JSON-objekt"),
        ('{"typ": "annat"}', "okänt format"),
        ('{"position": 0, "huvud": "' + "a" * 64 + '"}', "positivt heltal"),
        ('{"position": 3, "huvud": "xyz"}', "64 hexsiffror"),
        ('{"typ": "ekbist-ankare", "nyckel_id": "k0", "mac": "' + "a" * 64 + '", "position": 1}', "nyckel som inte"),
    ],
)
def test_anchors_that_cannot_be_used(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        read_anchor(text, KEYRING)


def test_an_empty_log_has_no_head_to_anchor(log: DecisionLog, db_url: str, capsys: Any) -> None:  # noqa: F811
    assert main(["revision", "ankare", "--databas", db_url]) == 1
    assert "tom" in capsys.readouterr().err
    assert main(["revision", "nyckel"]) == 0
    assert len(capsys.readouterr().out.strip()) >= 32


def log_at_revision(url: str, revision: str) -> DecisionLog:
    """A decision log created as an earlier release left it: its schema migrated only to ``revision``."""
    from alembic import command
    from alembic.config import Config

    from beslutslogg._store import MIGRATIONS

    log = DecisionLog(url, KEYRING)
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with log.writer.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
    return log


def test_a_log_of_the_previous_release_upgrades_in_place_and_still_verifies(db_url: str) -> None:  # noqa: F811
    """Written at schema 0004 (the previous release), upgraded to today's head (0005, supplements): every
    decision still verifies and replays identically, and supplements can be appended afterwards."""
    from beslutslogg.omprovning import replay

    old = log_at_revision(db_url, "0004")
    written = fill(old, 3)
    old.log_access(anvandare="rita", roll="revisor", kommun="0180", beslut_id=written[0].id, handling="lasa")
    assert old.schema_revision() == "0004"
    old.dispose()
    log = DecisionLog(db_url, KEYRING)
    log.migrate()
    assert log.schema_revision() == "0005"
    v = log.verify()
    assert (v.problem, v.beslut) == ([], 3)
    for rec in written:
        again = log.get(rec.id)
        assert again is not None and replay(again, BUNDLE, BUNDLE)["identisk"] is True
    log.append_supplement(
        beslut_id=written[0].id,
        kommun="0180",
        anvandare="anna",
        roll="handlaggare",
        typ="forsorjningshinder",
        data={"forsorjningshinder": {"s": "113"}},
    )
    assert log.supplements([written[0].id], "forsorjningshinder")[written[0].id]["innehall"] == {
        "forsorjningshinder": {"s": "113"}
    }
    assert log.verify().problem == []
    log.dispose()
