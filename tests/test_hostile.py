"""Hostile input: every input from the issue gets exit 2 / HTTP 4xx with a Swedish message naming the
field, or a source marked ``ogiltigt``, and never a traceback, a 500, a hang or unbounded memory.

The command-line cases run in a subprocess with its address space capped at 1 GiB and a hang guard
of 60 s: a regression shows as a crash or a timeout, not as a slow test.
"""

from __future__ import annotations

import json
import resource
import subprocess
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import engine
from engine._functions import jobbstimulans_window
from engine._input import HistoryFacts
from engine._period import Month
from ssbtek import parse_response
from tests.api_helpers import APP, auth, db_url, make_client, rule_copy  # noqa: F401
from tests.conftest import ROOT
from tests.server_helpers import EKBIST
from tests.ssbtek_helpers import PNR_ANNA

HEAD = "period: '2026-03'\nhushall: [{id: s, roll: sokande, fodd: 1990-01-01}]\n"


def _cap_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))


def cli(tmp_path: Path, content: str | bytes, *args: str, name: str = "a.yaml") -> subprocess.CompletedProcess[str]:
    f = tmp_path / name
    f.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return subprocess.run(
        [str(EKBIST), "berakna", str(f), *args],
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=_cap_memory,
        check=False,
    )


def billion_laughs() -> str:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 10):
        prev, cur = chr(96 + i), chr(97 + i)
        lines.append(f"{cur}: &{cur} [" + ",".join([f"*{prev}"] * 9) + "]")
    return "\n".join(lines) + "\n"


YAML_CASES = [
    ("billion laughs", billion_laughs(), "ankare (&a) tas inte emot"),
    ("rekursivt alias", "a: &a [*a]\n", "tas inte emot"),
    ("okänd tagg", "a: !foo 1\n", "taggen !foo tas inte emot"),
    ("python-tagg", "a: !!python/object/apply:os.system ['true']\n", "tas inte emot"),
    ("NUL", "period: '2026-03'\0\n", "otillåtet tecken"),
    ("5000 siffror", "a: " + "7" * 5000 + "\n", "5000 siffror"),
    ("djup 100 000", "a: " + "[" * 100_000 + "\n", "djupare än 32"),
    ("djup i objekt", "a: " + "{b: " * 40 + "1" + "}" * 40 + "\n", "djupare än 32"),
]


@pytest.mark.parametrize(("label", "content", "message"), YAML_CASES, ids=[c[0] for c in YAML_CASES])
def test_hostile_yaml_is_refused_with_exit_2(tmp_path: Path, label: str, content: str, message: str) -> None:
    proc = cli(tmp_path, content)
    assert proc.returncode == 2, proc.stderr
    assert message in proc.stderr and "Traceback" not in proc.stderr


NUMBER_CASES = [
    ("oktalt 017", "kostnader: [{typ: boende, belopp: 017}]", "kostnader[0].belopp", "'017'"),
    ("bas 60 1:30", "kostnader: [{typ: boende, belopp: 1:30}]", "kostnader[0].belopp", "'1:30'"),
    ("hex 0x10", "kostnader: [{typ: boende, belopp: 0x10}]", "kostnader[0].belopp", "'0x10'"),
    ("yes som sant", "hushall: [{id: s, roll: sokande, fodd: 1990-01-01, skolgang: yes}]", "hushall[0].skolgang", ""),
]


@pytest.mark.parametrize(("label", "line", "field", "shown"), NUMBER_CASES, ids=[c[0] for c in NUMBER_CASES])
def test_yaml_11_forms_are_refused_not_misread(tmp_path: Path, label: str, line: str, field: str, shown: str) -> None:
    text = HEAD + line + "\n" if not line.startswith("hushall") else "period: '2026-03'\n" + line + "\n"
    proc = cli(tmp_path, text)
    assert proc.returncode == 2 and field in proc.stderr and shown in proc.stderr, proc.stderr


def test_decimal_amounts_are_read_as_written(tmp_path: Path) -> None:
    proc = cli(tmp_path, HEAD + "kostnader: [{typ: boende, belopp: 17}]\n", "--json")
    assert proc.returncode == 0 and json.loads(proc.stdout)["skaliga_kostnader"] == 17


@pytest.mark.parametrize(
    ("label", "app", "field"),
    [
        (
            "NaN som andel",
            {
                "hushall": [
                    {"id": "s", "roll": "sokande", "fodd": "1990-01-01"},
                    {"id": "b", "roll": "barn", "fodd": "2015-01-01", "boendeandel": ".nan"},
                ]
            },
            "hushall[1].boendeandel",
        ),
        ("år 0000", {"period": "0000-01"}, "period"),
        ("födelseår 0001", {"hushall": [{"id": "s", "roll": "sokande", "fodd": "0001-01-01"}]}, "hushall[0].fodd"),
        ("28-siffrig lön", {"inkomster": [{"person": "s", "typ": "lon", "belopp": 10**27}]}, "inkomster[0].belopp"),
        ("en miljard månader", {"historik": {"manader_i_folj": 10**9}}, "historik.manader_i_folj"),
        ("10^29 månader", {"historik": {"manader_i_folj": 10**29}}, "historik.manader_i_folj"),
        (
            "6000 barn",
            {
                "hushall": [{"id": "s", "roll": "sokande", "fodd": "1990-01-01"}]
                + [{"id": f"b{i}", "roll": "barn", "fodd": "2015-01-01"} for i in range(6000)]
            },
            "hushall",
        ),
        ("lång motivering", {"undantag_begransning": {"motivering": "x" * 10_000}}, "undantag_begransning.motivering"),
        ("NUL i id", {"hushall": [{"id": "s\u0000", "roll": "sokande", "fodd": "1990-01-01"}]}, "hushall[0].id"),
        ("summan", {"kostnader": [{"typ": "boende", "belopp": 10_000_000}] * 11}, "ansökans belopp"),
    ],
)
def test_bounds_name_the_field(tmp_path: Path, label: str, app: dict[str, Any], field: str) -> None:
    body = {**APP, **app}
    proc = cli(tmp_path, json.dumps(body), name="a.json")
    assert proc.returncode == 2 and field in proc.stderr and "Traceback" not in proc.stderr, proc.stderr


def test_jamforelsetal_bounds(tmp_path: Path) -> None:
    proc = cli(tmp_path, json.dumps({**APP, "period": "2027-01"}), "--jamforelsetal", "1e308", name="a.json")
    assert proc.returncode == 2 and "--jamforelsetal" in proc.stderr and "utanför" in proc.stderr
    proc = cli(tmp_path, json.dumps({**APP, "period": "2027-01"}), "--jamforelsetal", "nan", name="a.json")
    assert proc.returncode == 2 and "ändligt" in proc.stderr


def test_a_device_is_never_read_whole() -> None:
    proc = subprocess.run(
        [str(EKBIST), "berakna", "/dev/zero"], capture_output=True, text=True, timeout=60, preexec_fn=_cap_memory
    )
    assert proc.returncode == 2 and "större än" in proc.stderr


# -- the API -----------------------------------------------------------------------------------------


@pytest.fixture
def client(db_url: str, rule_copy: Path) -> Any:  # noqa: F811
    c, log = make_client(db_url, rule_copy, max_body=200_000)
    yield c
    log.dispose()


BIG = 2**63 - 1
API_CASES = [
    (
        "tre kostnader 2^63-1",
        {"ansokan": {**APP, "kostnader": [{"typ": "boende", "belopp": BIG}] * 3}},
        "ansokan.kostnader[0].belopp",
    ),
    (
        "två inkomster 2^64-1",
        {"ansokan": {**APP, "inkomster": [{"person": "s", "typ": "lon", "belopp": 2**64 - 1}] * 2}},
        "ansokan.inkomster[0].belopp",
    ),
    (
        "hushållsgemenskap 2^62",
        {"ansokan": {**APP, "gemensamt_hushall_antal": 2**62}},
        "ansokan.gemensamt_hushall_antal",
    ),
    ("jämförelsetal 1e308", {"ansokan": {**APP, "period": "2027-01"}, "jamforelsetal": 1e308}, "jamforelsetal"),
    ("år 0000", {"ansokan": {**APP, "period": "0000-01"}}, "ansokan.period"),
    ("månader 10^18", {"ansokan": {**APP, "historik": {"manader_i_folj": 10**18}}}, "ansokan.historik.manader_i_folj"),
]


@pytest.mark.parametrize(("label", "body", "field"), API_CASES, ids=[c[0] for c in API_CASES])
def test_api_refuses_with_422_naming_the_field(client: Any, label: str, body: dict[str, Any], field: str) -> None:
    for path in ("/v1/berakningar", "/v1/beslut"):
        payload = (
            body
            if path == "/v1/berakningar"
            else {**body, "beslut": {"utfall": "avslag", "belopp": 0, "motivering": "x"}}
        )
        payload = {k: v for k, v in payload.items() if not (path == "/v1/beslut" and k == "jamforelsetal")}
        if path == "/v1/beslut" and "jamforelsetal" in body:
            continue
        r = client.post(
            path, content=json.dumps(payload), headers={**auth("handlaggare"), "content-type": "application/json"}
        )
        assert r.status_code == 422, (path, r.text)
        assert field in [f["falt"] for f in r.json()["fel"]], r.text


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ('{"ansokan": {"period": "2026-03", "period": "2026-04"}}', "två gånger"),
        ('{"ansokan": {"kostnader": [{"typ": "boende", "belopp": 100, "belopp": 99999}]}}', "två gånger"),
        ('{"ansokan": {"period": NaN}}', "NaN"),
        ('{"ansokan": {"period": Infinity}}', "Infinity"),
        ('{"a": ' + "1" * 5000 + "}", "5000 siffror"),
        ('{"a": 1e999}', "för stort"),
        ("[" * 50_000 + "]" * 50_000, "djupare"),
        ('{"a": "\\ud800"}', "surrogat"),
    ],
)
def test_api_json_is_strict(client: Any, raw: str, message: str) -> None:
    r = client.post(
        "/v1/berakningar", content=raw.encode(), headers={**auth("handlaggare"), "content-type": "application/json"}
    )
    assert r.status_code == 422 and message in r.text and "Traceback" not in r.text


def test_json_messages_are_swedish(client: Any) -> None:
    r = client.post("/v1/berakningar", content=b'{"ansokan": ', headers=auth("handlaggare"))
    assert r.status_code == 422 and "rad 1, kolumn 13: ett värde väntades" in r.json()["fel"][0]["meddelande"]


def test_agency_xml_with_entities_marks_the_source_invalid(client: Any) -> None:
    bomb = '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY e "x"><!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;">]><r>&f;</r>'
    d = parse_response(bomb.encode(), "s", PNR_ANNA)
    assert {a.status for a in d.sources.values()} == {"ogiltigt"}
    assert "DOCTYPE" in d.sources["FK"].meddelande
    app = {**APP, "hushall": [{"id": "s", "roll": "sokande", "fodd": "1985-02-01", "personnummer": PNR_ANNA}]}
    r = client.post("/v1/berakningar", json={"ansokan": app, "ssbtek": {"s": bomb}}, headers=auth("handlaggare"))
    assert r.status_code == 200
    assert {d["kod"] for d in r.json()["avvikelser"]} == {"UPPGIFT_SAKNAS"}


def test_json_responses_carry_no_store_and_nosniff(client: Any) -> None:
    r = client.post("/v1/berakningar", json=APP, headers=auth("handlaggare"))
    assert r.headers["cache-control"] == "no-store" and r.headers["x-content-type-options"] == "nosniff"
    assert client.get("/finns-inte").json() == {"fel": "adressen finns inte"}


# -- jobbstimulans in closed form --------------------------------------------------------------------


def _walk(months: int, start: int | None, period: int, qualify: int, length: int) -> tuple[bool, int]:
    """The rule as SoL states it, window after window: the reference for the closed form."""
    run_start = period - months
    s = start if start is not None else run_start + qualify
    while True:
        if s <= period < s + length:
            return True, s
        if period < s:
            return False, s
        s = max(s + length, run_start) + qualify


@settings(max_examples=3000, deadline=None)
@given(
    months=st.integers(0, 400),
    back=st.one_of(st.none(), st.integers(0, 500)),
    qualify=st.integers(0, 12),
    length=st.integers(1, 24),
)
def test_jobbstimulans_window_closed_form_equals_the_walk(
    months: int, back: int | None, qualify: int, length: int
) -> None:
    period = Month.of(2026, 6)
    start = None if back is None else period - back
    h = HistoryFacts(months, start)
    got = jobbstimulans_window(h, period, qualify, length)
    want = _walk(months, None if start is None else start.index, period.index, qualify, length)
    assert (got["galler"], got["fonster_start"].index) == want


def test_jobbstimulans_with_the_longest_history_is_immediate(bundle: engine.RuleBundle) -> None:
    app = {**APP, "historik": {"manader_i_folj": 1200}, "inkomster": [{"person": "s", "typ": "lon", "belopp": 10000}]}
    assert bundle.calculate(app).to_dict()["forsorjningsstod"] >= 0


def test_shared_examples_still_pass() -> None:
    """Unchanged bundled examples under the strict reader (the contract's own files)."""
    from ekbist._documents import read_document

    for path in sorted((ROOT / "tests" / "golden" / "delade").glob("*.yaml")):
        assert read_document(str(path)).ansokan
