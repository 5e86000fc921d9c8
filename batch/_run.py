"""``ekbist batch``: a file of applications in, one result per line out, on every core or on Dask.

The input is read as a stream of chunks (at most ``chunk`` lines or rows in memory per chunk, and at
most two chunks per worker in flight), so memory stays constant whatever the file's size. Each
finished chunk is written as its own part file under ``UT.delar/`` (written to a temporary name and
renamed, so a part exists whole or not at all); when every chunk is done the parts are joined into
``UT`` and the error file, in input order, and the folder is removed. A run that is killed leaves
its parts: ``--fortsatt`` computes only the chunks that have none, so every result is written exactly
once.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import shutil
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from batch._chunk import ChunkResult, Options, process, read_table_bytes, result_table
from batch._parquet_in import BatchError, conform, open_file, row_groups
from engine._limits import MAX_FIL

CHUNK = 25_000
CHUNK_BYTES = 64 << 20
STATE = "korning.json"
PART_FORMAT = "arrow-ipc"  # of the parts of a run with Parquet out; a resumed run must find the same
MAX_WORKERS = 256
JOIN_WAITING_BYTES = 256 << 20  # results that finished ahead of an earlier chunk, held for the output


@dataclass
class Summary:
    rader: int = 0
    kolumnvis: int = 0
    motorn: int = 0
    avvisade: int = 0
    fel: int = 0
    sekunder: float = 0.0
    delar: int = 0
    atertagna: int = 0  # chunks already done before a --fortsatt
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def beraknade(self) -> int:
        return self.kolumnvis + self.motorn

    def add(self, counts: Mapping[str, int]) -> None:
        for k, v in counts.items():
            setattr(self, k, getattr(self, k) + v)

    def to_dict(self) -> dict[str, Any]:
        return {
            "rader": self.rader,
            "beraknade": self.beraknade,
            "kolumnvis": self.kolumnvis,
            "motorn": self.motorn,
            "avvisade": self.avvisade,
            "fel": self.fel,
            "sekunder": round(self.sekunder, 3),
            "per_sekund": round(self.rader / self.sekunder) if self.sekunder else None,
            "delar": self.delar,
            "atertagna_delar": self.atertagna,
            **self.extra,
        }


@dataclass
class Job:
    source: Path
    target: Path
    errors: Path
    options: Options
    files: dict[str, str]
    parquet_in: bool
    workers: int = 1
    chunk: int = CHUNK
    resume: bool = False
    dask: str | None = None
    progress: bool = True
    bundle: Any = None  # the bundle, when the caller has loaded it already (saves loading it again)


def input_format(path: Path, given: str | None) -> bool:
    """True for Parquet: by ``--format``, else by the file's name, else by its magic bytes."""
    if given:
        return given == "parquet"
    if path.suffix.lower() in (".parquet", ".pq"):
        return True
    try:
        with path.open("rb") as f:
            return f.read(4) == b"PAR1"
    except OSError as exc:
        raise BatchError(f"{path}: kan inte läsas ({exc.strerror or exc})") from None


# -- reading ------------------------------------------------------------------------------------


def _lines(path: Path) -> Iterator[bytes]:
    """The file's lines; a line longer than MAX_FIL is cut (the rest skipped), never read whole."""
    with path.open("rb") as f:
        while True:
            line = f.readline(MAX_FIL + 1)
            if not line:
                return
            if len(line) > MAX_FIL and not line.endswith(b"\n"):
                while True:  # skip the rest of an over-long line without holding it
                    rest = f.readline(1 << 20)
                    if not rest or rest.endswith(b"\n"):
                        break
            yield line if line.endswith(b"\n") else line + b"\n"


def _jsonl_chunks(path: Path, size: int) -> Iterator[tuple[int, str, Any, int, int]]:
    """(index, kind, lines, first line number, bytes) per chunk: at most ``size`` lines and, whatever
    the lines' length, about CHUNK_BYTES (a file of long lines is not a chunk of gigabytes)."""
    index, first, block, nbytes = 0, 1, [], 0
    for line in _lines(path):
        block.append(line)
        nbytes += len(line)
        if len(block) == size or nbytes >= CHUNK_BYTES:
            yield index, "jsonl", b"".join(block), first, nbytes
            index, first, block, nbytes = index + 1, first + len(block), [], 0
    if block:
        yield index, "jsonl", b"".join(block), first, nbytes


def _parquet_chunks(path: Path, size: int, *, in_workers: bool) -> Iterator[tuple[int, str, Any, int, int]]:
    """Chunks of a Parquet file: row groups the workers read themselves (``in_workers`` and a file in
    row groups of at most ``size`` rows), else tables read here as a stream of batches."""
    pf, schema = open_file(path)
    groups = row_groups(pf, size) if in_workers else None
    first = 1
    if groups is not None:
        for index, (group, rows) in enumerate(groups):
            yield index, "parquet_rg", (str(path), group), first, rows
            first += rows
        return
    for index, rb in enumerate(pf.iter_batches(batch_size=size)):
        table = conform(pa.Table.from_batches([rb]), schema, path)
        yield index, "parquet", table, first, table.num_rows
        first += table.num_rows


# -- writing ------------------------------------------------------------------------------------


def _part_paths(parts: Path, index: int, parquet: bool) -> tuple[Path, Path]:
    stem = parts / f"del-{index:07d}"
    return stem.with_suffix(".arrow" if parquet else ".jsonl"), stem.with_suffix(".fel.jsonl")


def _write_part(parts: Path, result: ChunkResult, parquet: bool) -> None:
    out, err = _part_paths(parts, result.index, parquet)
    done = parts / f"del-{result.index:07d}.klar"
    for path, data in ((out, result.data), (err, result.errors), (done, orjson.dumps(result.counts))):
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)  # the .klar file last: the chunk counts as done only when all are there


class _Joiner:
    """The output and the error file, written in input order as the chunks finish, while the run goes
    on (the parts on disk stay the record a resumed run joins from). Chunks that finish ahead of an
    earlier one wait here, at most ``limit`` bytes of them; past that the joiner gives up and the
    parts are joined at the end instead, so memory stays bounded whatever order the chunks finish in
    and however many workers there are."""

    def __init__(self, job: Job, limit: int = JOIN_WAITING_BYTES) -> None:
        self.job, self.limit = job, limit
        self.waiting_bytes = 0
        self.parquet = job.options.parquet_out
        self.tmp = job.target.with_name(job.target.name + ".tmp")
        self.err_tmp = job.errors.with_name(job.errors.name + ".tmp")
        self.next = 0
        self.waiting: dict[int, ChunkResult] = {}
        self.writer: pq.ParquetWriter | None = None
        self.out: Any = None if self.parquet else self.tmp.open("wb")
        self.err: Any = self.err_tmp.open("wb")
        self.ok = True

    def add(self, result: ChunkResult) -> None:
        if not self.ok:
            return
        self.waiting[result.index] = result
        self.waiting_bytes += len(result.data) + len(result.errors)
        while self.next in self.waiting:
            done = self.waiting.pop(self.next)
            self.waiting_bytes -= len(done.data) + len(done.errors)
            self._write(done)
            self.next += 1
        if self.waiting_bytes > self.limit:
            self.abandon()

    def _write(self, result: ChunkResult) -> None:
        if self.parquet:
            self.writer = _append(self.writer, self.tmp, read_table_bytes(result.data))
        else:
            self.out.write(result.data)
        self.err.write(result.errors)

    def finish(self, count: int) -> bool:
        """True when every chunk ``0..count-1`` is written: the files are put in place."""
        if not self.ok or self.next != count:
            self.abandon()
            return False
        if self.parquet and self.writer is None:
            pq.write_table(result_table([]), self.tmp)
        self._close()
        os.replace(self.tmp, self.job.target)
        os.replace(self.err_tmp, self.job.errors)
        return True

    def abandon(self) -> None:
        self.ok = False
        self.waiting.clear()
        self._close()
        self.tmp.unlink(missing_ok=True)
        self.err_tmp.unlink(missing_ok=True)

    def _close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None
        for f in (self.out, self.err):
            if f is not None and not f.closed:
                f.close()


def _append(writer: pq.ParquetWriter | None, path: Path, table: pa.Table) -> pq.ParquetWriter | None:
    """``table`` added to the Parquet file at ``path`` (opened with the first table that has rows)."""
    if table.num_rows == 0:
        return writer
    if writer is None:
        writer = pq.ParquetWriter(path, table.schema)
    writer.write_table(table.cast(writer.schema) if table.schema != writer.schema else table)
    return writer


def _join(job: Job, parts: Path, count: int) -> None:
    """The parts, in input order, into the output and the error file (each atomically)."""
    parquet = job.options.parquet_out
    tmp = job.target.with_name(job.target.name + ".tmp")
    if parquet:
        writer: pq.ParquetWriter | None = None
        for i in range(count):
            part, _ = _part_paths(parts, i, True)
            writer = _append(writer, tmp, read_table_bytes(part.read_bytes()))
        if writer is None:
            pq.write_table(result_table([]), tmp)
        else:
            writer.close()
    else:
        with tmp.open("wb") as out:
            for i in range(count):
                part, _ = _part_paths(parts, i, False)
                with part.open("rb") as f:
                    shutil.copyfileobj(f, out)
    err_tmp = job.errors.with_name(job.errors.name + ".tmp")
    with err_tmp.open("wb") as out:
        for i in range(count):
            _, err = _part_paths(parts, i, parquet)
            with err.open("rb") as f:
                shutil.copyfileobj(f, out)
    os.replace(tmp, job.target)
    os.replace(err_tmp, job.errors)


# -- the run ------------------------------------------------------------------------------------


def _identity(job: Job) -> dict[str, Any]:
    st = job.source.stat()
    return {
        "indata": str(job.source.resolve()),
        "storlek": st.st_size,
        "andrad_ns": st.st_mtime_ns,
        "parquet": job.parquet_in,
        "del": job.chunk,
        "regelverk_hash": job.options.bundle_hash,
        "antaganden": [list(x) for x in job.options.overrides],
        "trace": job.options.trace,
        "parquet_ut": job.options.parquet_out,
        "delar_format": PART_FORMAT,
        # row groups read by the workers, or a stream read here: the chunks differ between the two
        "radgrupper": _in_workers(job),
    }


def _in_workers(job: Job) -> bool:
    if not job.parquet_in or job.dask is not None:
        return False
    pf, _ = open_file(job.source)
    return row_groups(pf, job.chunk) is not None


def _prepare(job: Job) -> Path:
    parts = job.target.with_name(job.target.name + ".delar")
    identity = _identity(job)
    state = parts / STATE
    if parts.exists():
        if not job.resume:
            raise BatchError(
                f"en avbruten körning finns i {parts}; fortsätt den med --fortsatt eller ta bort katalogen"
            )
        try:
            saved = orjson.loads(state.read_bytes())
        except (OSError, orjson.JSONDecodeError):
            raise BatchError(f"{state} kan inte läsas; ta bort {parts} och börja om") from None
        if saved != identity:
            changed = sorted(k for k in identity if saved.get(k) != identity[k])
            raise BatchError(
                f"--fortsatt: körningen i {parts} gjordes med annat ({', '.join(changed)}); "
                "ta bort katalogen och börja om"
            )
        for tmp in parts.glob("*.tmp"):
            tmp.unlink()
        return parts
    parts.mkdir()
    state.write_bytes(orjson.dumps(identity))
    return parts


def run(job: Job, report: Callable[[int, int], None] | None = None) -> Summary:
    """Run ``job``; ``report(lines, bytes)`` is called as chunks finish (a progress bar)."""
    if not job.source.is_file():
        raise BatchError(f"{job.source}: filen finns inte")
    if not job.target.parent.is_dir():
        raise BatchError(f"{job.target.parent}: katalogen finns inte")
    start = time.perf_counter()
    parts = _prepare(job)
    summary = Summary()
    chunks = (
        _parquet_chunks(job.source, job.chunk, in_workers=job.dask is None)
        if job.parquet_in
        else _jsonl_chunks(job.source, job.chunk)
    )
    done_before = {int(p.name[4:11]) for p in parts.glob("del-*.klar")}
    count = 0
    # a fresh run writes the output as it goes; a resumed one joins its parts at the end
    joiner = None if done_before else _Joiner(job)

    def finished(result: ChunkResult, nbytes: int) -> None:
        _write_part(parts, result, job.options.parquet_out)
        if joiner is not None:
            joiner.add(result)
        summary.add(result.counts)
        summary.delar += 1
        if report:
            report(result.counts.get("rader", 0), nbytes)

    def pending() -> Iterator[tuple[int, str, Any, int, int]]:
        nonlocal count
        for item in chunks:
            count = item[0] + 1
            if item[0] in done_before:
                counts = orjson.loads((parts / f"del-{item[0]:07d}.klar").read_bytes())
                summary.add(counts)
                summary.delar += 1
                summary.atertagna += 1
                if report:
                    report(counts.get("rader", 0), item[4])
                continue
            yield item

    try:
        if job.dask:
            from batch._dask import run_on_dask

            run_on_dask(job, pending(), finished)
        elif job.workers <= 1:
            from batch._chunk import state

            state(job.files, job.options, job.bundle)  # the bundle the caller loaded, not a second one
            for index, kind, payload, first, nbytes in pending():
                finished(process(job.files, job.options, index, kind, payload, first), nbytes)
        else:
            _run_pool(job, pending(), finished)
    except BaseException:
        if joiner is not None:
            joiner.abandon()
        raise
    if joiner is None or not joiner.finish(count):
        _join(job, parts, count)
    shutil.rmtree(parts)
    summary.sekunder = time.perf_counter() - start
    return summary


def _init_worker(files: dict[str, str], options: Options) -> None:
    from batch._chunk import state

    state(files, options)


def _run_pool(
    job: Job, items: Iterator[tuple[int, str, Any, int, int]], finished: Callable[[ChunkResult, int], None]
) -> None:
    import multiprocessing
    import threading

    from batch._chunk import state, warm

    # Forked workers start at once with the bundle and the column programs already loaded; fork is
    # used only while this process has no other thread (a progress bar's, say), else forkserver.
    method = "fork" if sys.platform == "linux" and threading.active_count() == 1 else "forkserver"
    if method == "fork":
        # One process per core already: Arrow's own thread pool in each would only compete with them.
        pa.set_cpu_count(1)
        state(job.files, job.options, job.bundle)
        head = next(items, None)
        if head is None:
            return
        warm(job.options, head[1], head[2])
        items = itertools.chain([head], items)
    context = multiprocessing.get_context(method)
    with ProcessPoolExecutor(
        job.workers, mp_context=context, initializer=_init_worker, initargs=(job.files, job.options)
    ) as pool:
        running: dict[Future[ChunkResult], int] = {}
        for index, kind, payload, first, nbytes in items:
            while len(running) >= 2 * job.workers:
                _drain(running, finished, FIRST_COMPLETED)
            running[pool.submit(process, None, job.options, index, kind, payload, first)] = nbytes
        while running:
            _drain(running, finished, FIRST_COMPLETED)


def _drain(running: dict[Future[ChunkResult], int], finished: Callable[[ChunkResult, int], None], how: str) -> None:
    done, _ = wait(list(running), return_when=how)
    for fut in done:
        nbytes = running.pop(fut)
        finished(fut.result(), nbytes)


def options_for(bundle_hash: str, overrides: Mapping[str, Any], trace: bool, parquet_out: bool) -> Options:
    return Options(
        bundle_hash=bundle_hash,
        overrides=tuple(sorted((k, str(v)) for k, v in overrides.items())),
        trace=trace,
        parquet_out=parquet_out,
    )


def fingerprint(path: Path) -> str:
    """SHA-256 of a file (the output of a run, to show two runs gave the same)."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
