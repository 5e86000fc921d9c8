"""Reading Parquet input: the contract's columns and types, and row groups as chunks.

A file written in row groups no larger than a chunk (``ekbist batch`` writes and recommends
25 000 rows or fewer) is read by the workers themselves, each its own row groups, in parallel:
the parent reads only the file's footer. Any other file is read by the parent as a stream of
batches and the tables sent to the workers (on Dask always so: a worker there may not see the file).
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from batch._schema import ID_FIELD, application_schema


class BatchError(Exception):
    """The run cannot start or go on (a file that cannot be read, a resume that does not match)."""


def open_file(path: Path) -> tuple[pq.ParquetFile, pa.Schema]:
    """The file and the schema its rows are read into; BatchError (Swedish) for a file ekbist will not read."""
    try:
        pf = pq.ParquetFile(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise BatchError(f"{path}: ingen läsbar Parquet-fil ({exc})") from None
    return pf, parquet_schema(pf.schema_arrow, path)


def parquet_schema(found: pa.Schema, path: Path) -> pa.Schema:
    id_field = found.field(ID_FIELD) if ID_FIELD in found.names else None
    id_type = pa.int64() if id_field is not None and pa.types.is_integer(id_field.type) else pa.string()
    schema = application_schema(id_type)
    unknown = [n for n in found.names if n not in schema.names]
    if unknown:
        raise BatchError(
            f"{path}: okänd kolumn {', '.join(unknown)}; kolumner som inte finns i kontraktet tas inte emot"
        )
    return schema


def conform(table: pa.Table, schema: pa.Schema, path: Path) -> pa.Table:
    """The table with the contract's columns and types (absent columns as nulls)."""
    columns = []
    for f in schema:
        if f.name in table.column_names:
            col = table.column(f.name)
            if col.type != f.type:
                try:
                    col = col.cast(f.type, safe=True)
                except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError) as exc:
                    raise BatchError(
                        f"{path}: kolumnen '{f.name}' har typen {col.type}, kontraktet {f.type} ({exc})"
                    ) from None
            columns.append(col)
        else:
            columns.append(pa.nulls(table.num_rows, f.type))
    return pa.Table.from_arrays(columns, schema=schema)


def row_groups(pf: pq.ParquetFile, size: int) -> list[tuple[int, int]] | None:
    """(row group, rows) for each row group, when every one fits in a chunk and there are several;
    else None (the parent streams the file)."""
    meta = pf.metadata
    groups = [(i, meta.row_group(i).num_rows) for i in range(meta.num_row_groups)]
    if len(groups) < 2 or any(n > size for _, n in groups):
        return None
    return groups


_OPEN: dict[tuple[str, int, int], tuple[pq.ParquetFile, pa.Schema]] = {}


def read_group(path: str, group: int) -> pa.Table:
    """One row group, conformed to the contract (in a worker, which keeps the file open for its next
    row groups: the footer is read and the schema checked once). Read, not memory-mapped: a file cut
    short while the run reads it is then an error, never a crashed worker."""
    try:
        st = Path(path).stat()
    except OSError as exc:
        raise BatchError(f"{path}: kan inte läsas ({exc.strerror or exc})") from None
    key = (path, st.st_size, st.st_mtime_ns)
    found = _OPEN.get(key)
    if found is None:
        found = open_file(Path(path))
        _OPEN.clear()
        _OPEN[key] = found
    pf, schema = found
    try:
        table = pf.read_row_group(group, use_threads=False)
    except (pa.ArrowInvalid, OSError) as exc:
        raise BatchError(f"{path}: radgrupp {group} kan inte läsas ({exc})") from None
    return conform(table, schema, Path(path))


def months(path: Path) -> set[str]:
    """The months a file's applications are for (its ``period`` column alone), to compile before forking."""
    column = pq.read_table(path, columns=["period"]).column("period")
    return {str(m) for m in column.unique().to_pylist() if m}
