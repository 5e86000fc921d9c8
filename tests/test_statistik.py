"""Statistics to Socialstyrelsen: försörjningshinder suggested, chosen in the decision, completed later,
and the month's delivery and the year's figures from the decision log.

Expected codes and household types come from the code list and the register's definitions
(../shared/fakta/statistik-forsorjningshinder.md), written here by hand.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

import engine
from ekbist.cli import main
from engine._personnummer import with_check_digit
from explain import render_text
from statistik import household_type
from tests.api_helpers import LOG_KEY, auth, make_client
from tests.ssbtek_helpers import answer
from tests.test_browser import CHROMIUM, FLAGS

MONTH = "2026-03"


def _pnr(birth: str, serial: int) -> str:
    """A valid personnummer; the serial's last digit decides the kön digit (odd: man, even: woman)."""
    return birth[:2] + with_check_digit(birth[2:] + f"{serial:03d}")


MAN = _pnr("19800101", 11)  # kön digit 1: man
KVINNA = _pnr("19820202", 22)  # kön digit 2: woman


def _app(**extra: Any) -> dict[str, Any]:
    app: dict[str, Any] = {
        "period": MONTH,
        "hushall": [{"id": "s", "roll": "sokande", "fodd": "1980-01-01", "personnummer": MAN}],
        "kostnader": [{"typ": "boende", "belopp": 6000}],
    }
    app.update(extra)
    return app


# -- the code list and the suggestion ------------------------------------------------------------


def test_the_code_lists_are_dated_rule_files(bundle: engine.RuleBundle) -> None:
    assert bundle.statistik is not None
    now = bundle.statistik.codes_on(engine.Month.parse(MONTH).first_day)
    assert len(now) == 23  # the 23 rows of the statistics database's list, "utan försörjningshinder" (090) included
    assert now["113"].text == "Arbetslös, ingen ersättning/stöd"
    assert "080" not in now and "990" not in now  # språkhinder and annat ended in 2016
    old = bundle.statistik.codes_on(engine.Month.parse("2015-06").first_day)
    assert "013" in old and "080" in old and "113" not in old
    types = bundle.statistik.household_types_on(engine.Month.parse(MONTH).first_day)
    assert set(types) == {"1", "3", "4", "5", "6", "7", "8", "9"}


def test_a_suggestion_rule_with_a_code_not_in_the_list_is_refused(rule_root: Any) -> None:
    root = rule_root()
    path = root / "regelverk" / "statistik" / "forslag.yaml"
    path.write_text(path.read_text("utf-8").replace('kod: "113"', 'kod: "013"'), "utf-8")
    problems = engine.check_bundle(root)
    assert any("013" in p.message and "forslag.yaml" in str(p) for p in problems)


def test_registered_at_af_without_benefit_is_suggested_113_with_the_reason(bundle: engine.RuleBundle) -> None:
    agency = {"s": answer({"AF": {"arbetssokande": True}}, pnr=MAN)}
    result = bundle.calculate(_app(), agency=agency).to_dict()
    s = result["forsorjningshinder_forslag"]["s"]
    assert (s["kod"], s["text"]) == ("113", "Arbetslös, ingen ersättning/stöd")
    assert "inskriven som arbetssökande hos Arbetsförmedlingen" in s["skal"]
    entry = next(e for e in result["trace"] if e["regel"] == "statistik.arbetslos_utan_ersattning")
    assert entry["indata"]["inskriven_af"] is True and entry["indata"]["a_kassa"] == 0
    text = render_text(result)
    assert "FÖRSÖRJNINGSHINDER – FÖRSLAG" in text and "113 Arbetslös, ingen ersättning/stöd" in text


@pytest.mark.parametrize(
    ("extra", "person", "code"),
    [
        ({"inkomster": [{"person": "s", "typ": "sjukpenning", "belopp": 4000}]}, {}, "021"),
        ({"inkomster": [{"person": "s", "typ": "pension", "belopp": 4000}]}, {}, "035"),
        ({}, {"forman_omfattning_procent": 50}, "031"),
        ({}, {"sjukdom": {"dagar_i_folj": 30, "lakarintyg_inlamnat": True}}, "023"),
        ({}, {"foraldraledig": True}, "051"),
        ({"inkomster": [{"person": "s", "typ": "a_kassa", "belopp": 4000}]}, {}, "111"),
        (
            {"inkomster": [{"person": "s", "typ": "lon", "belopp": 9000}]},
            {"sysselsattning": [{"typ": "anstallning", "timmar_per_vecka": 40}]},
            "071",
        ),
        (
            {"inkomster": [{"person": "s", "typ": "lon", "belopp": 5000}]},
            {"sysselsattning": [{"typ": "anstallning", "timmar_per_vecka": 20}]},
            "061",
        ),
        ({"inkomster": [{"person": "s", "typ": "lon", "belopp": 5000}]}, {}, None),  # hours unknown
        ({}, {}, None),
    ],
)
def test_suggestions(
    bundle: engine.RuleBundle, extra: dict[str, Any], person: dict[str, Any], code: str | None
) -> None:
    app = _app(**extra)
    app["hushall"][0].update(person)
    s = bundle.calculate(app).to_dict()["forsorjningshinder_forslag"]["s"]
    assert s["kod"] == code
    if code is None:
        assert s["text"] == "ingen säker bedömning"


def test_what_agencies_paid_counts_like_what_was_declared(bundle: engine.RuleBundle) -> None:
    paid = {"FK": {"utbetalningar": [{"id": "SJP", "beskrivning": "Sjukpenning", "manad": -1, "netto": 5000}]}}
    result = bundle.calculate(_app(), agency={"s": answer(paid, pnr=MAN)}).to_dict()
    assert result["forsorjningshinder_forslag"]["s"]["kod"] == "021"


@pytest.mark.parametrize(
    ("hushall", "expected"),
    [
        ([{"id": "s", "roll": "sokande", "fodd": "1980-01-01", "personnummer": MAN}], "3"),
        ([{"id": "s", "roll": "sokande", "fodd": "1982-02-02", "personnummer": KVINNA}], "5"),
        (
            [
                {"id": "s", "roll": "sokande", "fodd": "1982-02-02", "personnummer": KVINNA},
                {"id": "b", "roll": "barn", "fodd": "2015-01-01"},
            ],
            "6",
        ),
        (
            [
                {"id": "s", "roll": "sokande", "fodd": "1980-01-01", "personnummer": MAN},
                {"id": "b", "roll": "barn", "fodd": "2007-01-01", "skolgang": True},  # 19: not a child under 18
            ],
            "3",
        ),
        (
            [
                {"id": "s", "roll": "sokande", "fodd": "1980-01-01", "personnummer": MAN},
                {"id": "m", "roll": "medsokande", "fodd": "1982-02-02", "personnummer": KVINNA},
            ],
            "7",
        ),
        (
            [
                {"id": "s", "roll": "sokande", "fodd": "1980-01-01"},
                {"id": "m", "roll": "medsokande", "fodd": "1982-02-02"},
                {"id": "b", "roll": "barn", "fodd": "2020-01-01"},
            ],
            "8",
        ),
        ([{"id": "s", "roll": "sokande", "fodd": "1980-01-01"}], "9"),
    ],
)
def test_household_types(hushall: list[dict[str, Any]], expected: str) -> None:
    assert household_type({"period": MONTH, "hushall": hushall}, MONTH) == expected


# -- the decision, the supplement, the delivery --------------------------------------------------


@pytest.fixture
def api(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, Any, str]]:
    monkeypatch.setenv("EKBIST_LOGG_NYCKEL", LOG_KEY)
    url = f"sqlite:///{tmp_path / 'beslut.sqlite3'}"
    client, log = make_client(url)
    yield client, log, url
    log.dispose()


def _decide(client: Any, app: dict[str, Any], codes: dict[str, str] | None = None, **headers: Any) -> Any:
    decision: dict[str, Any] = {"utfall": "beviljat", "belopp": 5000, "motivering": "Enligt riksnormen."}
    if codes is not None:
        decision["forsorjningshinder"] = codes
    return client.post("/v1/beslut", json={"ansokan": app, "beslut": decision}, headers=headers or auth("handlaggare"))


def test_the_chosen_code_is_checked_and_stored_with_the_suggestion(api: tuple[Any, Any, str]) -> None:
    client, log, _ = api
    app = _app(inkomster=[{"person": "s", "typ": "sjukpenning", "belopp": 3000}])
    r = _decide(client, app, {"s": "999"})
    assert r.status_code == 422
    assert r.json()["fel"][0]["falt"] == "beslut.forsorjningshinder.s" and "999" in r.json()["fel"][0]["meddelande"]
    assert _decide(client, app, {"x": "113"}).json()["fel"][0]["falt"] == "beslut.forsorjningshinder.x"
    child = {**app, "hushall": [*app["hushall"], {"id": "b", "roll": "barn", "fodd": "2020-01-01"}]}
    assert "barn" in _decide(client, child, {"b": "113"}).json()["fel"][0]["meddelande"]
    r = _decide(client, app, {"s": "113"})
    assert r.status_code == 201
    stored = log.get(r.json()["id"]).beslut
    assert stored["forsorjningshinder"] == {"s": "113"}
    assert stored["forsorjningshinder_forslag"] == {"s": {"forslag": "021", "som_forslaget": False}}
    r = _decide(client, app)  # clients that send no codes keep working
    assert r.status_code == 201 and "forsorjningshinder" not in log.get(r.json()["id"]).beslut


def test_a_month_with_missing_codes_is_refused_then_completed_and_delivered(
    api: tuple[Any, Any, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    client, log, url = api
    couple = _app(
        hushall=[
            {"id": "s", "roll": "sokande", "fodd": "1980-01-01", "personnummer": MAN},
            {"id": "m", "roll": "medsokande", "fodd": "1982-02-02", "personnummer": KVINNA},
            {"id": "b", "roll": "barn", "fodd": "2016-05-05"},
        ]
    )
    single_woman = _app(hushall=[{"id": "s", "roll": "sokande", "fodd": "1982-02-02", "personnummer": KVINNA}])
    other_man = _app(
        hushall=[{"id": "s", "roll": "sokande", "fodd": "1975-03-03", "personnummer": _pnr("19750303", 31)}]
    )
    with_codes = _decide(client, couple, {"s": "071", "m": "113"}).json()["id"]
    missing = _decide(client, single_woman).json()["id"]
    partly = _decide(client, other_man, {}).json()["id"]
    refused = client.post(
        "/v1/beslut",
        json={
            "ansokan": _app(
                hushall=[{"id": "s", "roll": "sokande", "fodd": "1970-01-01", "personnummer": _pnr("19700101", 41)}]
            ),
            "beslut": {"utfall": "avslag", "belopp": 0, "motivering": "Inkomsterna räcker."},
        },
        headers=auth("handlaggare"),
    ).json()["id"]
    assert refused
    out = tmp_path / "ut"
    out.mkdir()
    args = ["statistik", "--manad", MONTH, "--databas", url, "--ut", str(out)]
    assert main(args) == 1
    printed = capsys.readouterr().out
    assert missing in printed and partly in printed and with_codes not in printed
    assert "försörjningshinder saknas för s" in printed
    assert list(out.iterdir()) == []  # nothing half-written
    # the API says the same, to a caseworker of the kommun
    r = client.get(f"/v1/statistik/{MONTH}", headers=auth("handlaggare"))
    assert r.status_code == 409 and {p["beslut_id"] for p in r.json()["problem"]} == {missing, partly}
    assert client.get(f"/v1/statistik/{MONTH}?kommun=0581", headers=auth("handlaggare")).status_code == 403
    # completed by appended records; the latest counts
    for ident, code in ((missing, "061"), (missing, "113"), (partly, "021")):
        r = client.post(
            f"/v1/beslut/{ident}/forsorjningshinder",
            json={"forsorjningshinder": {"s": code}},
            headers=auth("handlaggare"),
        )
        assert r.status_code == 201, r.text
    bad = client.post(
        f"/v1/beslut/{missing}/forsorjningshinder", json={"forsorjningshinder": {"s": "7"}}, headers=auth("handlaggare")
    )
    assert bad.status_code == 422 and bad.json()["fel"][0]["falt"] == "forsorjningshinder.s"
    other = client.post(
        f"/v1/beslut/{missing}/forsorjningshinder",
        json={"forsorjningshinder": {"s": "113"}},
        headers=auth("handlaggare", "0581"),
    )
    assert other.status_code == 404  # another kommun's decision does not exist for them
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "3 hushåll" in printed and "4 vuxna" in printed
    stem = out / f"ekonomiskt-bistand-alla-{MONTH}"
    data = json.loads(stem.with_suffix(".json").read_text("utf-8"))
    types = {h["beslut_id"]: h["hushallstyp"] for h in data["hushall"]}
    assert types == {with_codes: "8", missing: "5", partly: "3"}
    codes = {(p["beslut_id"], p["roll"]): p["forsorjningshinder"] for p in data["personer"]}
    assert codes == {
        (with_codes, "sokande"): "071",
        (with_codes, "medsokande"): "113",
        (missing, "sokande"): "113",
        (partly, "sokande"): "021",
    }
    assert data["summering"]["kronor"] == 3 * 5000 and data["summering"]["ej_beviljade"] == 1
    assert data["summering"]["vuxna_per_forsorjningshinder"] == {"021": 1, "071": 1, "113": 2}
    rows = list(
        csv.reader(
            io.StringIO((out / f"ekonomiskt-bistand-alla-{MONTH}-personer.csv").read_text("utf-8")), delimiter=";"
        )
    )
    assert rows[0] == ["kommun", "manad", "beslut_id", "personnummer", "roll", "forsorjningshinder"] and len(rows) == 5
    assert (stem.with_suffix(".json").stat().st_mode & 0o077) == 0  # personnummer: the owner only
    assert client.get(f"/v1/statistik/{MONTH}", headers=auth("handlaggare")).status_code == 200
    # every read is logged; the chain holds the supplements
    assert sum(1 for r in log.access_log() if r["handling"] == "statistik") >= 4
    assert log.verify().problem == []


def test_a_changed_supplement_is_found_by_verification(api: tuple[Any, Any, str]) -> None:
    client, log, _ = api
    ident = _decide(client, _app()).json()["id"]
    r = client.post(
        f"/v1/beslut/{ident}/forsorjningshinder", json={"forsorjningshinder": {"s": "113"}}, headers=auth("handlaggare")
    )
    assert r.status_code == 201
    with log.writer.begin() as conn:
        conn.execute(text("DROP TRIGGER beslut_tillagg_endast_tillagg_update"))
        conn.execute(text("UPDATE beslut_tillagg SET innehall = replace(innehall, '113', '090')"))
    assert any("tillägget" in p and "har ändrats" in p for p in log.verify().problem)


def test_the_year_page_is_drawn_and_read_in_chromium(api: tuple[Any, Any, str], tmp_path: Path) -> None:
    client, _, url = api
    for month, pnr in (("2026-01", MAN), ("2026-02", MAN), ("2026-02", KVINNA)):
        app = _app(period=month, hushall=[{"id": "s", "roll": "sokande", "fodd": "1980-01-01", "personnummer": pnr}])
        assert _decide(client, app, {"s": "113"}).status_code == 201
    out = tmp_path / "ar"
    out.mkdir()
    assert main(["statistik", "--ar", "2026", "--databas", url, "--ut", str(out)]) == 0
    page = out / "ekonomiskt-bistand-alla-2026.html"
    figures = json.loads(page.with_suffix(".json").read_text("utf-8"))
    assert figures["hushall_under_aret"] == 2 and figures["vuxna_under_aret"] == 2
    assert [m["hushall"] for m in figures["manader"]][:3] == [1, 2, 0]
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium saknas: kör scripts/ensure-services")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        p = b.new_page()
        p.goto(page.as_uri())
        assert p.locator("figure svg").count() == 3
        assert "113 Arbetslös, ingen ersättning/stöd" in p.locator("figure").nth(2).inner_text()
        assert p.locator("figure svg").first.bounding_box()["width"] > 300
        b.close()


def test_statistik_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["statistik", "--ut", str(tmp_path)]) == 2
    assert main(["statistik", "--manad", "2026-13", "--ut", str(tmp_path), "--databas", f"sqlite:///{tmp_path}/x"]) == 2
    assert main(["statistik", "--manad", MONTH, "--ut", str(tmp_path / "saknas")]) == 2
    err = capsys.readouterr().err
    assert "--manad" in err and "finns inte" in err


def test_a_bundle_without_statistics_files_still_loads(rule_root: Any) -> None:
    root = rule_root()
    shutil.rmtree(root / "regelverk" / "statistik")
    bundle = engine.load_bundle(root)
    assert bundle.statistik is None
    assert "forsorjningshinder_forslag" not in bundle.calculate(_app()).to_dict()


def test_the_exemptions_from_the_activity_requirement_are_counted_in_the_rule_files_words(
    bundle: engine.RuleBundle, rule_root: Any
) -> None:
    """The month's figures name each exemption as the rule aktivitetskrav_undantag's ``varden`` do:
    policy staff reword (or renumber) them in YAML, and the statistics follow."""
    from statistik._month import _activity, _exemption

    people = [
        {"id": "s", "roll": "sokande", "fodd": "2008-12-01"},  # 17 years old: point 1
        {"id": "m", "roll": "medsokande", "fodd": "1990-01-01", "riktalder_uppnadd": True},  # point 4
    ]
    result = bundle.calculate(_app(period="2026-11", hushall=people, historik={"manader_i_folj": 8})).to_dict()
    required, exempt = _activity(result)
    assert required == 0 and dict(exempt) == {1: 1, 4: 1}
    assert [_exemption(bundle, k) for k in sorted(exempt)] == ["under 18 år", "har uppnått riktåldern för pension"]
    assert _exemption(bundle, 9) == "punkt 9"  # a number the rule file does not name
    root = rule_root()
    path = root / "regelverk" / "berakning" / "50-aktivitetskrav.yaml"
    path.write_text(path.read_text("utf-8").replace("      1: under 18 år", "      1: yngre än 18 år"), "utf-8")
    assert _exemption(engine.load_bundle(root), 1) == "yngre än 18 år"
    # words for the values only of a rule that counts: anywhere else the rule files are refused
    path.write_text(
        path.read_text("utf-8").replace("    typ: villkor\n", "    typ: villkor\n    varden: {'1': ett}\n", 1), "utf-8"
    )
    problems = engine.check_bundle(root)
    assert any("varden kan bara anges för regler av typ antal" in p.message for p in problems)
