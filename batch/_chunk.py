"""One chunk of a batch: lines (or Parquet rows) in, result records and error records out.

Runs in a worker process (a local pool or a Dask worker): the rule bundle is loaded once per process
from the rule files' text and kept by its content hash. Clean lines are read by ``pyarrow.json`` into
one table and computed column by column; a line the table reader refuses, a line with an explicit
``null``, and every row the columnar path leaves to the engine are computed by the engine itself,
one by one, which also names the field of an application it refuses.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute
import pyarrow.json as pj

import engine
from batch._evaluate import Programs, evaluate_table
from batch._parquet_in import months as file_months
from batch._parquet_in import read_group
from batch._schema import ID_FIELD, application_schema
from engine._limits import MAX_FIL

SMALLEST_BLOCK = 8  # a table block that fails below this size is read line by line
MAX_ID = 64


@dataclass(frozen=True)
class Options:
    """What every chunk of a run is computed with; part of the run's identity for ``--fortsatt``."""

    bundle_hash: str
    overrides: tuple[tuple[str, str], ...] = ()  # (norm id, decimal text)
    trace: bool = False
    parquet_out: bool = False

    def override_map(self) -> dict[str, Decimal]:
        return {k: Decimal(v) for k, v in self.overrides}


@dataclass
class ChunkResult:
    """A computed chunk: its results and errors already serialised (cheap to send between processes)."""

    index: int
    data: bytes  # JSON lines, or (Parquet out) an Arrow IPC stream
    errors: bytes
    counts: dict[str, int] = field(default_factory=dict)


@dataclass
class _Out:
    records: list[dict[str, Any]]  # computed by the engine
    errors: list[dict[str, Any]]
    counts: dict[str, int]
    tables: list[pa.Table] = field(default_factory=list)  # computed column by column, without deviations


_STATE: dict[tuple[str, tuple[tuple[str, str], ...]], tuple[engine.RuleBundle, Programs]] = {}


def state(
    files: Mapping[str, str] | None, options: Options, loaded: engine.RuleBundle | None = None
) -> tuple[engine.RuleBundle, Programs]:
    """This process's bundle and column programs for the run (loaded once; ``loaded``: already here)."""
    key = (options.bundle_hash, options.overrides)
    found = _STATE.get(key)
    if found is None:
        if files is None and loaded is None:
            raise RuntimeError("regelverket är inte inläst i arbetsprocessen")
        bundle = loaded if loaded is not None else engine.load_bundle_from_files(files or {})
        if bundle.hash != options.bundle_hash:
            raise RuntimeError("arbetsprocessen fick ett annat regelverk än körningen")
        found = (bundle, Programs(bundle, options.override_map()))
        _STATE.clear()
        _STATE[key] = found
    return found


def warm(options: Options, kind: str, payload: Any) -> None:
    """Compile the column programs of the months in ``payload`` (before worker processes fork)."""
    import re

    _, programs = state(None, options)
    if kind == "parquet":
        months = {str(m) for m in payload.column("period").unique().to_pylist() if m}
    elif kind == "parquet_rg":
        months = file_months(Path(payload[0]))
    else:
        months = {m.decode() for m in re.findall(rb'"period"\s*:\s*"(\d{4}-\d{2})"', payload[: 1 << 22])}
    for text in sorted(months):
        try:
            programs.get(engine.Month.parse(text).index)
        except ValueError:
            continue


def process(
    files: Mapping[str, str] | None, options: Options, index: int, kind: str, payload: Any, first: int
) -> ChunkResult:
    """Compute one chunk: ``kind`` 'jsonl' (payload: the chunk's bytes, whole lines), 'parquet'
    (payload: an Arrow table) or 'parquet_rg' (payload: a file and one of its row groups, read here);
    ``first`` is the number of its first line or row."""
    bundle, programs = state(files, options)
    out = _Out([], [], {"rader": 0, "kolumnvis": 0, "motorn": 0, "avvisade": 0, "fel": 0})
    if kind == "jsonl":
        lines = payload.split(b"\n")
        if lines and not lines[-1]:
            lines.pop()
        _jsonl(bundle, programs, options, lines, first, out)
    elif kind == "parquet_rg":
        _parquet(bundle, programs, options, read_group(*payload), first, out)
    else:
        _parquet(bundle, programs, options, payload, first, out)
    out.errors.sort(key=lambda r: r["rad"])
    errors = b"".join(orjson.dumps(r) + b"\n" for r in out.errors)
    tail = {"avvikelser": [], "regelverk_version": bundle.version, "regelverk_hash": bundle.hash}
    data = _table_bytes(out, tail) if options.parquet_out else _json_lines(out, tail)
    return ChunkResult(index, data, errors, out.counts)


def _json_lines(out: _Out, tail: dict[str, Any]) -> bytes:
    """Every result as a JSON line, in line order (the columnar ones written without a dict per row)."""
    lines: list[tuple[int, bytes]] = [(r["rad"], orjson.dumps(r)) for r in out.records]
    suffix = orjson.dumps(tail)[1:]  # ',"avvikelser":[],...}' after the amounts
    for table in out.tables:
        names = table.column_names[3:]
        head = "".join(f',"{n}":%d' for n in names).encode()
        fmt = b'{"rad":%d,"id":%s,"period":"%s"' + head + b"," + suffix
        rad = table.column("rad").to_pylist()
        ids = [orjson.dumps(v) for v in table.column("id").to_pylist()]
        periods = [p.encode() for p in table.column("period").to_pylist()]
        amounts = zip(*(table.column(n).to_pylist() for n in names), strict=True)
        lines.extend((r, fmt % (r, i, p, *a)) for r, i, p, a in zip(rad, ids, periods, amounts, strict=True))
    lines.sort(key=lambda x: x[0])
    return b"".join(line + b"\n" for _, line in lines)


def _table_bytes(out: _Out, tail: dict[str, Any]) -> bytes:
    """The chunk's results as one table in line order, in Arrow's IPC stream format: cheap to write
    here and to read where the parts are joined, which writes the Parquet file once."""
    tables = [_with_tail(t, tail) for t in out.tables]
    if out.records:
        tables.append(result_table(out.records))
    if tables:
        schema = result_table(out.records).schema if out.records else tables[0].schema
        table = pa.concat_tables([t.select(schema.names).cast(schema) for t in tables]).sort_by("rad")
    else:
        table = result_table([])
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return bytes(sink.getvalue().to_pybytes())


def read_table_bytes(data: bytes) -> pa.Table:
    """A part written by :func:`_table_bytes`."""
    return pa.ipc.open_stream(data).read_all()


def _with_tail(table: pa.Table, tail: dict[str, Any]) -> pa.Table:
    n = table.num_rows
    table = table.set_column(1, "id", pa.compute.cast(table.column("id"), pa.string()))
    table = table.append_column("avvikelser", pa.array([[]] * n, type=pa.list_(pa.string())))
    table = table.append_column("regelverk_version", pa.array([tail["regelverk_version"]] * n, type=pa.string()))
    return table.append_column("regelverk_hash", pa.array([tail["regelverk_hash"]] * n, type=pa.string()))


def result_table(records: list[dict[str, Any]]) -> pa.Table:
    """Records as a table: ids as text (a Parquet column has one type), deviations as a list."""
    names = [k for k in (records[0] if records else {}) if k not in ("avvikelser", "resultat")]
    cols: dict[str, Any] = {}
    for k in names:
        values = [r.get(k) for r in records]
        cols[k] = (
            pa.array([None if v is None else str(v) for v in values], type=pa.string())
            if k == "id"
            else pa.array(values)
        )
    if records:
        cols["avvikelser"] = pa.array([r["avvikelser"] for r in records], type=pa.list_(pa.string()))
        if "resultat" in records[0]:
            cols["resultat"] = pa.array([orjson.dumps(r["resultat"]).decode() for r in records])
    return pa.table(cols)


# -- JSON lines --------------------------------------------------------------------------------


def _jsonl(
    bundle: engine.RuleBundle, programs: Programs, options: Options, lines: Sequence[bytes], first: int, out: _Out
) -> None:
    numbered = [(first + i, raw) for i, raw in enumerate(lines) if raw.strip()]
    out.counts["rader"] = len(numbered)
    if options.trace:
        for no, raw in numbered:
            _engine_line(bundle, options, no, raw, out)
        return
    fast: list[tuple[int, bytes]] = []
    for no, raw in numbered:
        # An explicit null is read by the table reader as an absent field, which the contract does
        # not always allow; such lines, and anything that is not one object, go to the engine.
        if b"null" in raw or not raw.lstrip().startswith(b"{") or len(raw) > MAX_FIL:
            _engine_line(bundle, options, no, raw, out)
        else:
            fast.append((no, raw))
    if not fast:
        return
    tables, refused = read_tables(fast, _id_type(fast[0][1]))
    for block, table in tables:
        _columnar(bundle, programs, options, table, [no for no, _ in block], out, dict(block))
    for no, raw in refused:  # the engine reads them, and names what is wrong
        _engine_line(bundle, options, no, raw, out)


def _id_type(raw: bytes) -> pa.DataType:
    try:
        value = orjson.loads(raw).get(ID_FIELD)
    except (orjson.JSONDecodeError, AttributeError):
        return pa.string()
    return pa.int64() if isinstance(value, int) and not isinstance(value, bool) else pa.string()


Block = list[tuple[int, bytes]]


def read_tables(lines: Block, id_type: pa.DataType) -> tuple[list[tuple[Block, pa.Table]], Block]:
    """Read ``lines`` as tables; a block the reader refuses is halved until the bad lines are alone."""
    schema = application_schema(id_type)
    options = pj.ParseOptions(explicit_schema=schema, unexpected_field_behavior="error", newlines_in_values=False)
    out: list[tuple[Block, pa.Table]] = []
    refused: Block = []
    pending = [lines]
    while pending:
        block = pending.pop()
        try:
            data = b"\n".join(raw.strip() for _, raw in block)
            table = pj.read_json(io.BytesIO(data), parse_options=options, read_options=_READ)
            if table.num_rows != len(block):
                raise pa.ArrowInvalid("radantalet stämmer inte")
            out.append((block, table))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
            if len(block) <= SMALLEST_BLOCK:
                refused.extend(block)
            else:
                half = len(block) // 2
                pending.extend([block[half:], block[:half]])
    return out, refused


_READ = pj.ReadOptions(use_threads=False, block_size=1 << 24)


def _columnar(
    bundle: engine.RuleBundle,
    programs: Programs,
    options: Options,
    table: pa.Table,
    numbers: Sequence[int],
    out: _Out,
    raw: Mapping[int, bytes] | None = None,
) -> None:
    ids = table.column(ID_FIELD) if ID_FIELD in table.column_names else pa.nulls(table.num_rows, pa.string())
    apps = table.drop_columns([ID_FIELD]) if ID_FIELD in table.column_names else table
    result = evaluate_table(programs, apps)
    take = result.computed.copy()
    for i, ident in enumerate(ids.to_pylist()):
        if ident is not None and not _id_ok(ident):
            take[i] = False
    numbers_np = np.asarray(numbers, dtype=np.int64)
    keep = pa.array(take)
    columns: dict[str, Any] = {"rad": pa.array(numbers_np[take]), "id": ids.filter(keep)}
    columns["period"] = apps.column("period").filter(keep)
    for j, name in enumerate(result.outputs):
        columns[name] = pa.array(result.amounts[take, j])
    out.tables.append(pa.table(columns))
    out.counts["kolumnvis"] += int(take.sum())
    for i in np.flatnonzero(~take).tolist():
        no = int(numbers_np[i])
        if raw is not None:
            _engine_line(bundle, options, no, raw[no], out)
        else:
            _engine_app(bundle, options, no, _row(table, i), out)


def _id_ok(ident: Any) -> bool:
    if isinstance(ident, bool):
        return False
    if ident is None or isinstance(ident, int):
        return True
    return isinstance(ident, str) and 0 < len(ident) <= MAX_ID and ident.isprintable()


# -- Parquet -----------------------------------------------------------------------------------


def _parquet(
    bundle: engine.RuleBundle, programs: Programs, options: Options, table: pa.Table, first: int, out: _Out
) -> None:
    out.counts["rader"] = table.num_rows
    numbers = range(first, first + table.num_rows)
    if options.trace:
        for i, no in enumerate(numbers):
            _engine_app(bundle, options, no, _row(table, i), out)
        return
    _columnar(bundle, programs, options, table, numbers, out)


def _row(table: pa.Table, i: int) -> dict[str, Any]:
    """One row as the contract's mapping: a null in a table is an absent field."""
    value = _without_nulls(table.slice(i, 1).to_pylist()[0])
    assert isinstance(value, dict)
    return value


def _without_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


# -- the engine, one application at a time ---------------------------------------------------------


def _engine_line(bundle: engine.RuleBundle, options: Options, no: int, raw: bytes, out: _Out) -> None:
    if len(raw) > MAX_FIL:
        _error(out, no, None, "fel", "", f"raden är längre än {MAX_FIL} byte; en ansökan är några kilobyte")
        return
    try:
        data = engine.parse_json(raw, f"rad {no}")
    except engine.InputError as exc:
        _error(out, no, None, "fel", "", "; ".join(p.message for p in exc.problems))
        return
    if not isinstance(data, dict):
        _error(out, no, None, "avvisade", "", "raden ska vara ett JSON-objekt med en ansökan")
        return
    _engine_app(bundle, options, no, data, out)


def _engine_app(bundle: engine.RuleBundle, options: Options, no: int, data: dict[str, Any], out: _Out) -> None:
    ident = data.pop(ID_FIELD, None)
    if not _id_ok(ident):
        _error(out, no, None, "avvisade", "id", f"ska vara en text (1–{MAX_ID} tecken) eller ett heltal")
        return
    try:
        result = bundle.calculate(data, overrides=options.override_map())
    except engine.InputError as exc:
        out.counts["avvisade"] += 1
        out.errors.append(
            {
                "rad": no,
                "id": ident,
                "typ": "avvisad",
                "fel": [{"falt": p.field, "meddelande": p.message} for p in exc.problems],
            }
        )
        return
    except engine.EvaluationError as exc:
        _error(out, no, ident, "fel", "", f"fel i regelfilerna vid beräkningen: {exc}")
        return
    record: dict[str, Any] = {"rad": no, "id": ident, "period": result.period}
    record.update(result.values)
    record.update(
        avvikelser=[d["kod"] for d in result.avvikelser],
        regelverk_version=result.regelverk["version"],
        regelverk_hash=result.regelverk["hash"],
    )
    if options.trace:
        record["resultat"] = result.to_dict()
    out.records.append(record)
    out.counts["motorn"] += 1


def _error(out: _Out, no: int, ident: Any, kind: str, path: str, message: str) -> None:
    out.counts[kind] += 1
    out.errors.append(
        {
            "rad": no,
            "id": ident,
            "typ": "avvisad" if kind == "avvisade" else "fel",
            "fel": [{"falt": path, "meddelande": message}],
        }
    )
