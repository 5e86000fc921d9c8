"""ekbist batch: the columnar path against the engine, hostile lines, resume, Parquet, Dask.

Expected amounts come from the engine (the reference path); the columnar path must equal it
row by row, and must leave to the engine every row the engine refuses.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import batch
import engine
from batch._differential import compare
from ekbist.cli import main
from population import generate
from tests.conftest import ROOT, single
from tests.strategies import application

PERIODS = [f"{y}-{m:02d}" for y in (2025, 2026, 2027, 2028) for m in range(1, 13)]
JAMFORELSETAL = Decimal("1.05")  # the same for both paths; not a published figure
EKBIST = [sys.executable, "-m", "ekbist"]
_BUNDLE = engine.load_bundle(ROOT)  # hypothesis runs many examples; the bundle is loaded once


def _write_jsonl(path: Path, apps: list[dict[str, Any]]) -> Path:
    path.write_bytes(b"".join(orjson.dumps(a) + b"\n" for a in apps))
    return path


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


# -- the two paths agree -----------------------------------------------------------------------


def test_columnar_equals_engine_over_generated_applications_2025_2028(bundle: engine.RuleBundle) -> None:
    apps = generate(6000, 11, PERIODS)
    result = compare(bundle, apps, {"jamforelsetal": JAMFORELSETAL})
    assert result.differences == []
    assert result.columnar >= 0.95 * result.applications  # the columnar path carries the batch


def test_columnar_equals_engine_on_every_golden_case(bundle: engine.RuleBundle) -> None:
    from jamfor import golden

    columnar = 0
    for case in golden([ROOT / "tests" / "golden"]):
        overrides = {}
        if "jamforelsetal" in case.indata:
            overrides["jamforelsetal"] = engine.jamforelsetal(case.indata["jamforelsetal"], "jamforelsetal")
        result = compare(bundle, [case.indata["ansokan"]], overrides)
        assert result.differences == [], case.id
        columnar += result.columnar
    assert columnar >= 50


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(application(), min_size=1, max_size=8))
def test_columnar_equals_engine_on_arbitrary_applications(apps: list[dict[str, Any]]) -> None:
    assert compare(_BUNDLE, apps).differences == []


_MUTATIONS = [
    ("period", "2026-13"),
    ("period", "0000-01"),
    ("gemensamt_hushall_antal", 0),
    ("kommun", "12a4"),
    ("historik", {"manader_i_folj": -1}),
    ("historik", {"jobbstimulans_start": "2099-01"}),
]
_PERSON_MUTATIONS = [
    ("fodd", "2026-02-30"),
    ("fodd", "2099-01-01"),
    ("fodd", "1850-01-01"),
    ("roll", "chef"),
    ("id", ""),
    ("id", "a\u0000b"),
    ("boendeandel", 0),
    ("boendeandel", 1.5),
    ("personnummer", "198502011234"),
    ("forman_omfattning_procent", 101),
    ("skolar_avslutade", 3),
    ("sysselsattning", [{"typ": "golf", "timmar_per_vecka": 3}]),
    ("forhojd_norm", {"belopp": 100, "motivering": ""}),
]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    application(),
    st.one_of(
        st.sampled_from(_MUTATIONS).map(lambda m: ("", *m)),
        st.sampled_from(_PERSON_MUTATIONS).map(lambda m: ("p", *m)),
        st.just(("dup", "", None)),
        st.just(("inc", "", None)),
        st.just(("two", "", None)),
    ),
)
def test_the_filter_lets_through_nothing_the_engine_refuses(
    app: dict[str, Any], mutation: tuple[str, str, Any]
) -> None:
    """Applications spoiled one field at a time: wherever the columnar path computes, the engine agrees."""
    bundle = _BUNDLE
    where, key, value = mutation
    app = json.loads(json.dumps(app))
    if where == "":
        app[key] = value
    elif where == "p":
        app["hushall"][-1][key] = value
    elif where == "dup":
        app["hushall"].append(dict(app["hushall"][0]))
    elif where == "inc":
        app.setdefault("inkomster", []).append({"person": "ingen", "typ": "lon", "belopp": 1})
    else:
        app["hushall"].append({"id": "s2", "roll": "sokande", "fodd": "1980-01-01"})
    result = compare(bundle, [app])
    assert result.differences == []
    if result.refused:
        assert result.columnar == 0


def test_rows_the_columnar_path_cannot_decide_go_to_the_engine(bundle: engine.RuleBundle) -> None:
    """Statements that give the control rules facts of their own, and a kommun's caps, are the engine's."""
    base = single("2026-03", kostnader=[{"typ": "boende", "belopp": 9000}])
    apps = [
        base,
        {**base, "kommun": "0821"},
        {**base, "hushall": [{**base["hushall"][0], "sjukdom": {"dagar_i_folj": 20}}]},  # type: ignore[index]
        {**base, "hushall": [{**base["hushall"][0], "vistas_lagligt": True}]},  # type: ignore[index]
        {**base, "foregaende": {"period": "2026-02", "antal_personer": 1}},
    ]
    result = compare(bundle, apps)
    assert result.differences == []
    assert result.columnar == 1  # only the plain application; the engine computes the rest


def test_a_missing_amount_in_an_untaken_branch_does_not_stop_the_others(bundle: engine.RuleBundle) -> None:
    """2027–2028 without a jämförelsetal: the engine refuses; with one, both paths compute."""
    apps = generate(200, 3, ["2027-05", "2028-02"])
    without = compare(bundle, apps)
    assert without.refused == 200 and without.columnar == 0
    with_value = compare(bundle, apps, {"jamforelsetal": JAMFORELSETAL})
    assert with_value.refused == 0 and with_value.columnar == 200 and with_value.differences == []


# -- ekbist batch, as a user runs it --------------------------------------------------------------


def test_batch_jsonl_with_bad_lines(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = generate(300, 5)
    lines = [orjson.dumps({"id": f"a{i}", **a}) for i, a in enumerate(good)]
    lines[10] = b"{inte json"
    lines[20] = orjson.dumps({"id": "x", **single(), "okant_falt": 1})
    lines[30] = orjson.dumps({"id": "y", **single(), "gemensamt_hushall_antal": None})  # explicit null
    lines[40] = orjson.dumps(
        {"id": "z", "period": "2026-03", "hushall": [{"id": "s", "roll": "barn", "fodd": "2020-01-01"}]}
    )
    lines[50] = orjson.dumps({"id": 12345, **single()})  # an id that is a number
    lines[60] = orjson.dumps({"id": True, **single()})
    lines[70] = b"[1, 2]"
    lines.insert(80, b"")  # blank lines are skipped, but count in the numbering
    src = tmp_path / "in.jsonl"
    src.write_bytes(b"\n".join(lines) + b"\n")
    out = tmp_path / "ut.jsonl"
    code = main(["batch", str(src), "--ut", str(out), "--arbetare", "1", "--tyst", "--json"])
    summary = json.loads(capsys.readouterr().out)
    assert code == 1
    assert summary["rader"] == 300
    assert summary["fel"] == 1
    assert summary["avvisade"] == 4
    assert summary["beraknade"] == 295
    assert summary["kolumnvis"] >= 280
    results = _read_jsonl(out)
    assert len(results) == 295 and [r["rad"] for r in results] == sorted(r["rad"] for r in results)
    by_line = {r["rad"]: r for r in results}
    assert by_line[51]["id"] == 12345  # a numeric id keeps its type
    assert by_line[31]["id"] == "y"  # the engine accepts an explicit null where the contract allows it
    errors = {e["rad"]: e for e in _read_jsonl(tmp_path / "ut.fel.jsonl")}
    assert set(errors) == {11, 21, 41, 61, 71}
    assert errors[11]["typ"] == "fel"
    assert errors[21]["fel"][0]["falt"] == "okant_falt"
    assert errors[41]["fel"][0]["falt"] == "hushall"
    assert errors[61]["fel"][0]["falt"] == "id"
    # every computed line agrees with the engine, deviations included
    bundle = engine.load_bundle(ROOT)
    for r in results[:60]:
        app = orjson.loads(lines[r["rad"] - 1 if r["rad"] <= 80 else r["rad"] - 2])
        app.pop("id", None)
        expected = bundle.calculate(app)
        assert {k: r[k] for k in expected.values} == expected.values
        assert r["avvikelser"] == [d["kod"] for d in expected.avvikelser]
        assert r["regelverk_hash"] == bundle.hash


def test_batch_trace_and_parquet_round_trip(tmp_path: Path) -> None:
    apps = generate(120, 8)
    src = _write_jsonl(tmp_path / "in.jsonl", [{"id": f"h{i}", **a} for i, a in enumerate(apps)])
    traced = tmp_path / "spar.jsonl"
    assert main(["batch", str(src), "--ut", str(traced), "--trace", "--arbetare", "1", "--tyst"]) == 0
    first = _read_jsonl(traced)[0]
    assert first["resultat"]["trace"] and first["resultat"]["forsorjningsstod"] == first["forsorjningsstod"]
    # Parquet in, Parquet out: the same amounts as JSON lines in, JSON lines out
    pq.write_table(
        pa.Table.from_pylist([{"id": f"h{i}", **a} for i, a in enumerate(apps)], schema=batch.application_schema()),
        tmp_path / "in.parquet",
    )
    plain = tmp_path / "ut.jsonl"
    assert main(["batch", str(src), "--ut", str(plain), "--arbetare", "1", "--tyst"]) == 0
    pout = tmp_path / "ut.parquet"
    assert main(["batch", str(tmp_path / "in.parquet"), "--ut", str(pout), "--arbetare", "1", "--tyst"]) == 0
    table = pq.read_table(pout).to_pylist()
    expected = _read_jsonl(plain)
    assert [dict(r, avvikelser=list(r["avvikelser"])) for r in table] == expected


def test_parquet_with_a_foreign_column_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pq.write_table(pa.table({"period": ["2026-03"], "hemligt": [1]}), tmp_path / "in.parquet")
    assert main(["batch", str(tmp_path / "in.parquet"), "--ut", str(tmp_path / "ut.jsonl"), "--tyst"]) == 2
    assert "hemligt" in capsys.readouterr().err


def test_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["batch", str(tmp_path / "saknas.jsonl"), "--ut", str(tmp_path / "u.jsonl")]) == 2
    src = _write_jsonl(tmp_path / "in.jsonl", generate(3, 1))
    assert main(["batch", str(src), "--ut", str(tmp_path / "nej" / "u.jsonl")]) == 2
    assert main(["batch", str(src), "--ut", str(tmp_path / "u.jsonl"), "--arbetare", "0"]) == 2
    assert main(["batch", str(src), "--ut", str(tmp_path / "u.jsonl"), "--del", "5"]) == 2
    err = capsys.readouterr().err
    assert "finns inte" in err and "--arbetare" in err and "--del" in err


def test_several_workers_give_the_same_file(tmp_path: Path) -> None:
    src = _write_jsonl(tmp_path / "in.jsonl", generate(3000, 21, PERIODS))
    one, two = tmp_path / "en.jsonl", tmp_path / "tva.jsonl"
    args = ["--jamforelsetal", "1.05", "--del", "500", "--tyst"]
    assert main(["batch", str(src), "--ut", str(one), "--arbetare", "1", *args]) == 0
    assert main(["batch", str(src), "--ut", str(two), "--arbetare", "2", *args]) == 0
    assert one.read_bytes() == two.read_bytes()


def test_an_interrupted_run_resumes_and_writes_each_result_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = _write_jsonl(tmp_path / "in.jsonl", generate(2000, 4))
    whole = tmp_path / "hel.jsonl"
    assert main(["batch", str(src), "--ut", str(whole), "--del", "300", "--arbetare", "1", "--tyst"]) == 0
    out = tmp_path / "ut.jsonl"
    import batch._run as run_module

    real = run_module._write_part
    written: list[int] = []

    def crash_after_three(parts: Path, result: Any, parquet: bool) -> None:
        if len(written) == 3:
            raise KeyboardInterrupt  # as if the machine stopped here
        real(parts, result, parquet)
        written.append(result.index)

    monkeypatch.setattr(run_module, "_write_part", crash_after_three)
    assert main(["batch", str(src), "--ut", str(out), "--del", "300", "--arbetare", "1", "--tyst"]) == 130
    monkeypatch.setattr(run_module, "_write_part", real)
    assert not out.exists() and (tmp_path / "ut.jsonl.delar").is_dir()
    # without --fortsatt the old run is not overwritten
    assert main(["batch", str(src), "--ut", str(out), "--del", "300", "--arbetare", "1", "--tyst"]) == 2
    # another chunk size is another run
    assert main(["batch", str(src), "--ut", str(out), "--del", "400", "--fortsatt", "--tyst"]) == 2
    assert main(["batch", str(src), "--ut", str(out), "--del", "300", "--arbetare", "1", "--fortsatt", "--tyst"]) == 0
    assert out.read_bytes() == whole.read_bytes()
    assert not (tmp_path / "ut.jsonl.delar").exists()


def test_a_killed_process_resumes(tmp_path: Path) -> None:
    """SIGKILL in the middle of a run on two workers; --fortsatt completes it, byte for byte."""
    src = _write_jsonl(tmp_path / "in.jsonl", generate(40_000, 6, PERIODS))
    whole, out = tmp_path / "hel.jsonl", tmp_path / "ut.jsonl"
    args = ["--del", "1000", "--jamforelsetal", "1.05", "--tyst"]
    assert subprocess.run([*EKBIST, "batch", str(src), "--ut", str(whole), *args], cwd=ROOT).returncode == 0
    proc = subprocess.Popen([*EKBIST, "batch", str(src), "--ut", str(out), *args], cwd=ROOT, start_new_session=True)
    parts = tmp_path / "ut.jsonl.delar"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(list(parts.glob("*.klar"))) < 3 and proc.poll() is None:
        time.sleep(0.01)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    if out.exists():  # the machine was faster than the test: nothing to resume
        pytest.skip("körningen hann bli klar före avbrottet")
    done = len(list(parts.glob("*.klar")))
    res = subprocess.run(
        [*EKBIST, "batch", str(src), "--ut", str(out), *args, "--fortsatt"], cwd=ROOT, capture_output=True, text=True
    )
    assert res.returncode == 0, res.stderr
    assert f"{done} delar var redan klara" in res.stdout
    assert out.read_bytes() == whole.read_bytes()


def test_dask_local_cluster_gives_the_same_file(tmp_path: Path) -> None:
    """The same output as the local pool; each chunk goes to the workers as data, not inside its task
    (Dask warns about every task larger than its threshold, here lowered below a chunk's size)."""
    import warnings

    import dask
    import distributed  # noqa: F401  (its settings registered first: the block below then restores, not removes, them)

    src = _write_jsonl(tmp_path / "in.jsonl", generate(3000, 9, PERIODS))
    local, dask_out = tmp_path / "lokal.jsonl", tmp_path / "dask.jsonl"
    args = ["--jamforelsetal", "1.05", "--del", "500", "--tyst"]
    assert main(["batch", str(src), "--ut", str(local), "--arbetare", "1", *args]) == 0
    with (
        warnings.catch_warnings(record=True) as seen,
        dask.config.set({"distributed.admin.large-graph-warning-threshold": "20kB"}),
    ):
        warnings.simplefilter("always")
        assert main(["batch", str(src), "--ut", str(dask_out), "--dask", "lokal", "--arbetare", "2", *args]) == 0
    assert not [w for w in seen if "large graph" in str(w.message)]
    assert local.read_bytes() == dask_out.read_bytes()


def test_dask_address_that_does_not_answer(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EKBIST_DASK_TIMEOUT", "2s")
    src = _write_jsonl(tmp_path / "in.jsonl", generate(3, 1))
    code = main(["batch", str(src), "--ut", str(tmp_path / "u.jsonl"), "--dask", "tcp://127.0.0.1:1", "--tyst"])
    assert code == 2
    assert "klustret kan inte nås" in capsys.readouterr().err


def test_an_over_long_line_is_reported_not_read(tmp_path: Path) -> None:
    from engine._limits import MAX_FIL

    src = tmp_path / "in.jsonl"
    with src.open("wb") as f:
        f.write(orjson.dumps(single()) + b"\n")
        f.write(b'{"period": "' + b"x" * (MAX_FIL + 10) + b'"}\n')
        f.write(orjson.dumps(single()) + b"\n")
    out = tmp_path / "ut.jsonl"
    assert main(["batch", str(src), "--ut", str(out), "--arbetare", "1", "--tyst"]) == 1
    assert [r["rad"] for r in _read_jsonl(out)] == [1, 3]
    [error] = _read_jsonl(tmp_path / "ut.fel.jsonl")
    assert error["rad"] == 2 and "längre än" in error["fel"][0]["meddelande"]


def test_a_file_of_long_lines_is_cut_into_small_chunks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import batch._run as run_module

    monkeypatch.setattr(run_module, "CHUNK_BYTES", 4000)
    app = {**single(), "hushall": [{"id": "s", "roll": "sokande", "fodd": "1990-01-01"}]}
    src = _write_jsonl(tmp_path / "in.jsonl", [app] * 60)
    chunks = list(run_module._jsonl_chunks(src, 1000))
    assert len(chunks) > 1 and all(c[4] < 4000 + 200 for c in chunks)
    assert [c[3] for c in chunks] == [1 + sum(c[2].count(b"\n") for c in chunks[:i]) for i in range(len(chunks))]
    out = tmp_path / "ut.jsonl"
    assert main(["batch", str(src), "--ut", str(out), "--arbetare", "1", "--tyst"]) == 0
    assert [r["rad"] for r in _read_jsonl(out)] == list(range(1, 61))


def test_parquet_row_groups_are_read_by_the_workers_with_the_same_result(tmp_path: Path) -> None:
    """A file in row groups no larger than a chunk: each worker reads its own row groups; the output
    is the same as from one row group streamed by the parent, and as from JSON lines."""
    from batch._run import Job, _identity, options_for

    apps = [{"id": f"h{i}", **a} for i, a in enumerate(generate(3000, 17, PERIODS))]
    table = pa.Table.from_pylist(apps, schema=batch.application_schema())
    grouped, single = tmp_path / "grupper.parquet", tmp_path / "en.parquet"
    pq.write_table(table, grouped, row_group_size=400)
    pq.write_table(table, single)
    assert pq.ParquetFile(grouped).metadata.num_row_groups == 8
    src = _write_jsonl(tmp_path / "in.jsonl", apps)
    outs = {}
    for name, path, workers in (("jsonl", src, "1"), ("grupper", grouped, "2"), ("en", single, "2")):
        outs[name] = tmp_path / f"ut-{name}.jsonl"
        args = ["--arbetare", workers, "--del", "500", "--jamforelsetal", "1.05", "--tyst"]
        assert main(["batch", str(path), "--ut", str(outs[name]), *args]) == 0
    assert outs["grupper"].read_bytes() == outs["en"].read_bytes() == outs["jsonl"].read_bytes()
    # the two ways of reading cut the file differently, so a resume may not switch between them
    options = options_for("h", {}, False, False)
    job = Job(grouped, tmp_path / "u", tmp_path / "f", options, {}, True, workers=2, chunk=500)
    assert _identity(job)["radgrupper"] is True
    job.dask = "lokal"
    assert _identity(job)["radgrupper"] is False
    big_groups = Job(grouped, tmp_path / "u", tmp_path / "f", options, {}, True, workers=2, chunk=300)
    assert _identity(big_groups)["radgrupper"] is False  # a row group larger than a chunk: streamed


# -- months computed together ------------------------------------------------------------------


def _amount_from(path: Path, norm: str, old: str, new: str) -> None:
    """A test copy's norm ``norm`` changed from April 2026: ``old`` until then, ``new`` after."""
    text = path.read_text(encoding="utf-8")
    head, rest = text.split(f"  - id: {norm}\n", 1)
    block, tail = rest.split("\n\n", 1) if "\n\n" in rest else (rest, "")
    later = f"      - giltig_fran: 2025-07-01\n        varde: {old}\n"
    assert later in block
    block = block.replace(
        later,
        f"      - giltig_fran: 2025-07-01\n        giltig_till: 2026-03-31\n        varde: {old}\n"
        f'        kalla: {{sfs: "2025:400", kapitel: 12, paragraf: "8"}}\n'
        f"      - giltig_fran: 2026-04-01\n        varde: {new}\n",
    )
    path.write_text(f"{head}  - id: {norm}\n{block}\n\n{tail}", encoding="utf-8")


def _passes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The number of households of every pass of the column programs, as they happen."""
    import batch._evaluate as ev

    seen: list[int] = []
    real = ev.evaluate_month

    def counted(program: Any, cols: Any, norms: Any = None) -> Any:
        seen.append(cols.n)
        return real(program, cols, norms)

    monkeypatch.setattr(ev, "evaluate_month", counted)
    return seen


def test_months_that_differ_only_in_amounts_are_one_pass(rule_root: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """A share changed in April (a test copy): January–June is one pass over all six months, each
    household with its own month's share, and every amount is the engine's."""
    root = rule_root()
    _amount_from(root / "normer" / "inkomstregler.yaml", "jobbstimulans.andel", "0.25", "0.3")
    changed = engine.load_bundle(root)
    months = [f"2026-0{m}" for m in range(1, 7)]
    programs = batch.Programs(changed)
    kinds = {programs.get(engine.Month.parse(m).index).kind for m in months}  # type: ignore[union-attr]
    assert len(kinds) == 1
    apps = generate(1500, 8, months)
    passes = _passes(monkeypatch)
    result = compare(changed, apps)
    assert result.differences == []
    assert result.columnar >= 0.95 * len(apps)
    assert len(passes) == 1 and passes[0] >= result.columnar
    # the share matters: somebody's jobbstimulans differs between March and April
    app = {
        **single("2026-03", historik={"manader_i_folj": 7}),
        "inkomster": [{"person": "s", "typ": "lon", "belopp": 10_000}],
    }
    march, april = changed.calculate(app), changed.calculate({**app, "period": "2026-04"})
    assert march["inkomster"] - april["inkomster"] == 500  # 10 000 × (0.30 − 0.25)


def test_a_month_count_that_differs_within_a_group_is_computed_month_by_month(
    rule_root: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """jobbstimulans' qualifying months are whole months for every household of a pass; when they
    differ between the months of a group, each month is its own pass, and the amounts stay the engine's."""
    root = rule_root()
    _amount_from(root / "normer" / "inkomstregler.yaml", "jobbstimulans.kvalificering_manader", "6", "5")
    changed = engine.load_bundle(root)
    months = ["2026-02", "2026-03", "2026-04", "2026-05"]
    apps = generate(1200, 12, months)
    passes = _passes(monkeypatch)
    result = compare(changed, apps)
    assert result.differences == []
    assert result.columnar >= 0.95 * len(apps)
    assert len(passes) == 1 + len(months)  # the group's pass gave up; then one per month


# -- the filter's text checks, byte by byte ------------------------------------------------------

_TEXT = st.one_of(
    st.none(),
    st.text(alphabet=st.sampled_from("0123456789-\x00\x1f\x7f\t\n é٣"), max_size=12),
    st.dates().map(str),
    st.builds(lambda y, m: f"{y:04d}-{m:02d}", st.integers(0, 9999), st.integers(0, 13)),
)


def _reference_date(text: str) -> bool:
    import datetime
    import re

    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
        return False
    try:
        return datetime.date.fromisoformat(text).year >= 1
    except ValueError:
        return False


@settings(max_examples=300, deadline=None)
@given(st.lists(_TEXT, max_size=12), st.integers(0, 3), st.sampled_from([pa.string(), pa.large_string()]))
def test_text_checks_over_the_bytes_decide_as_the_expressions(texts: list[str | None], skip: int, typ: Any) -> None:
    """Dates, months, digits and control characters read from an array's bytes (also a sliced array,
    whose values start inside its buffers) decide exactly as a regular expression per text would."""
    import re

    from batch import _columns as c

    arr = pa.array(["1999-01-01"] * skip + texts, type=typ).slice(skip)
    assert arr.to_pylist() == texts
    _, _, _, ok = c._dates(arr)
    assert ok.tolist() == [t is not None and _reference_date(t) for t in texts]
    index, bad = c._month_index(arr)
    months = [
        t is not None and re.fullmatch(r"[0-9]{4}-(0[1-9]|1[0-2])", t) is not None and t[:4] != "0000" for t in texts
    ]
    assert (index >= 0).tolist() == months
    assert bad.tolist() == [t is not None and not m for t, m in zip(texts, months, strict=True)]
    for t, i in zip(texts, index.tolist(), strict=True):
        if t is not None and i >= 0:
            assert i == int(t[:4]) * 12 + int(t[5:7]) - 1
    assert c._only_digits(arr, 4).tolist() == [
        t is not None and re.fullmatch(r"[0-9]{4}", t) is not None for t in texts
    ]
    control = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
    assert c._control(arr).tolist() == [t is not None and control.search(t) is not None for t in texts]


def test_table_lookups_over_columns_take_the_first_matching_row() -> None:
    """Rows in order of their bounds are searched at once; overlapping or unordered rows row by row,
    the first that holds the value winning, as in the engine. A row the statute leaves empty, a value
    no row holds, and a value within rounding distance of a bound are left to the engine."""
    from types import SimpleNamespace

    import numpy as np

    from batch._compile import Env, _intervall, _uppslag
    from engine._functions import Table

    x = np.array([0.0, 4.0, 5.0, 7.0, 15.0, 30.0, 9.0 + 1e-9])

    def run(fn: Any, table: Table, *rest: Any) -> tuple[list[float], list[bool]]:
        env = Env(
            cols=SimpleNamespace(n=len(x), hh=np.arange(len(x))), norms={}, missing={}, doubt=np.zeros(len(x), bool)
        )  # type: ignore[arg-type]
        env.active_h = np.ones(len(x), dtype=bool)
        return fn(env, "hushall", [table, x, *rest]).tolist(), env.doubt.tolist()

    def t(*rows: tuple[Any, Any, Any]) -> Table:
        return Table("t", ("fran", "till", "belopp"), tuple({"fran": a, "till": b, "belopp": v} for a, b, v in rows))

    ordered = t((0, 5, 100), (6, 9, 200), (10, None, None))
    assert run(_intervall, ordered) == (
        [100.0, 100.0, 100.0, 200.0, 0.0, 0.0, 0.0],
        [False, False, False, False, True, True, True],  # 15 and 30: no amount; 9 + 1e-9: a bound's width away
    )
    overlapping = t((0, 5, 100), (3, 9, 200), (20, 40, 300))
    assert run(_intervall, overlapping)[0] == [100.0, 100.0, 100.0, 200.0, 0.0, 300.0, 0.0]
    unordered = t((10, 40, 1), (0, 9, 2))
    assert run(_intervall, unordered)[0] == [2.0, 2.0, 2.0, 2.0, 1.0, 1.0, 0.0]
    keyed = Table(
        "k",
        ("antal", "belopp"),
        (
            {"antal": 5, "belopp": 50},
            {"antal": 4, "belopp": 40},
            {"antal": 5, "belopp": 99},
            {"antal": 7, "belopp": None},
        ),
    )
    assert run(_uppslag, keyed) == (
        [0.0, 40.0, 50.0, 0.0, 0.0, 0.0, 0.0],
        [True, False, False, True, True, True, True],  # the first row for 5 wins; 7 has no amount
    )


def test_the_output_is_written_in_order_while_chunks_finish_in_any_order(tmp_path: Path) -> None:
    """Chunks that finish early wait for the ones before them; too many bytes waiting and the joiner
    gives up (its half-written files removed), leaving the parts to be joined at the end."""
    from batch._chunk import ChunkResult
    from batch._run import Job, _Joiner, options_for

    def job(name: str) -> Job:
        options = options_for("h", {}, False, False)
        return Job(tmp_path / "in", tmp_path / f"{name}.jsonl", tmp_path / f"{name}.fel.jsonl", options, {}, False)

    def chunk(i: int) -> ChunkResult:
        return ChunkResult(i, f"rad {i}\n".encode(), f"fel {i}\n".encode() if i % 2 else b"")

    ordered = _Joiner(job("a"), limit=20)
    for i in (1, 0, 3, 2, 4):
        ordered.add(chunk(i))
    assert ordered.finish(5)
    assert (tmp_path / "a.jsonl").read_text() == "".join(f"rad {i}\n" for i in range(5))
    assert (tmp_path / "a.fel.jsonl").read_text() == "fel 1\nfel 3\n"

    waiting = _Joiner(job("b"), limit=20)
    for i in (3, 2, 1):  # three wait for chunk 0: 30 bytes, over the limit
        waiting.add(chunk(i))
    waiting.add(chunk(0))
    assert not waiting.finish(4)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.fel.jsonl", "a.jsonl"]

    short = _Joiner(job("c"), limit=20)
    short.add(chunk(0))
    assert not short.finish(2)  # a chunk never came: nothing is put in place
    assert not (tmp_path / "c.jsonl").exists()
