"""``ekbist batch IN --ut UT``: many applications at once (see :mod:`batch`)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from ekbist._errors import UsageError


def _workers(value: int | None) -> int:
    if value is None:
        return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    if not 1 <= value <= 256:
        raise UsageError("--arbetare ska vara 1–256")
    return value


class _Progress:
    """A progress bar with the time left, on a terminal only (Rich)."""

    def __init__(self, total: int, unit_bytes: bool, enabled: bool) -> None:
        self.total, self.unit_bytes, self.enabled = total, unit_bytes, enabled and sys.stderr.isatty()
        self.bar: Any = None
        self.task: Any = None
        self.lines = 0

    def __enter__(self) -> _Progress:
        return self

    def _start(self) -> None:
        # Started at the first report, after the worker processes exist (they are forked threadless).
        if self.enabled and self.bar is None:
            from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

            self.bar = Progress(
                TextColumn("Beräknar"),
                BarColumn(),
                TextColumn("{task.percentage:>3.0f} %"),
                TextColumn("{task.fields[rader]} rader"),
                TextColumn("kvar"),
                TimeRemainingColumn(),
                transient=True,
            )
            self.bar.start()
            self.task = self.bar.add_task("batch", total=self.total, rader="0")

    def __call__(self, lines: int, nbytes: int) -> None:
        self._start()
        self.lines += lines
        if self.bar is not None:
            self.bar.update(
                self.task, advance=nbytes if self.unit_bytes else lines, rader=f"{self.lines:,}".replace(",", " ")
            )

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()


def cmd_batch(args: argparse.Namespace) -> int:
    import pyarrow.parquet as pq

    import batch
    import engine
    from batch import BatchError
    from batch._run import Job, input_format, options_for

    source, target = Path(args.indata), Path(args.ut)
    if args.del_ is not None and not 100 <= args.del_ <= 1_000_000:
        raise UsageError("--del ska vara 100–1 000 000 rader")
    overrides = {}
    if args.jamforelsetal is not None:
        overrides["jamforelsetal"] = engine.jamforelsetal(args.jamforelsetal, "--jamforelsetal")
    root = Path(args.regelrot) if args.regelrot else engine.default_root()
    files = engine.read_rule_files(root)
    bundle = engine.load_bundle_from_files(files)
    if not source.is_file():
        raise UsageError(f"{source}: filen finns inte")
    parquet_in = input_format(source, args.format)
    parquet_out = (
        args.ut_format or ("parquet" if target.suffix.lower() in (".parquet", ".pq") else "jsonl")
    ) == "parquet"
    errors = Path(args.fel) if args.fel else target.with_name(target.stem + ".fel.jsonl")
    job = Job(
        source=source,
        target=target,
        errors=errors,
        options=options_for(bundle.hash, overrides, args.trace, parquet_out),
        files=dict(files),
        parquet_in=parquet_in,
        workers=_workers(args.arbetare),
        chunk=args.del_ or batch.CHUNK,
        resume=args.fortsatt,
        dask=args.dask,
        bundle=bundle,
    )
    total = source.stat().st_size
    if parquet_in:
        try:
            total = pq.ParquetFile(source).metadata.num_rows
        except Exception:
            total = 0
    try:
        with _Progress(total, not parquet_in, not args.tyst) as progress:
            summary = batch.run(job, progress)
    except BatchError as exc:
        raise UsageError(str(exc)) from None
    if args.json:
        json.dump(summary.to_dict(), sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        s = summary
        rate = f" ({s.rader / s.sekunder:,.0f} rader/s)".replace(",", " ") if s.sekunder else ""
        print(
            f"Klart: {s.rader} rader på {s.sekunder:.1f} s{rate}: {s.beraknade} beräknade "
            f"({s.kolumnvis} kolumnvis, {s.motorn} av motorn), {s.avvisade} avvisade, {s.fel} fel."
        )
        if s.atertagna:
            print(f"Fortsatt körning: {s.atertagna} delar var redan klara och räknades inte om.")
        print(f"Resultat: {target}")
        if s.avvisade or s.fel:
            print(f"Avvisade rader och fel, med radnummer och fält: {errors}")
    return 1 if summary.avvisade or summary.fel else 0


def register(sub: Any) -> None:
    p = sub.add_parser(
        "batch",
        help="beräkna många ansökningar: JSON Lines eller Parquet in, ett resultat per rad ut",
        description=(
            "Beräknar varje ansökan i IN (JSON Lines: en ansökan per rad med valfritt 'id'; eller Parquet) "
            "och skriver ett resultat per rad i UT (JSON Lines, eller Parquet om namnet slutar på .parquet). "
            "Rader som inte kan beräknas skrivs med radnummer och fält i felfilen, och körningen fortsätter. "
            "Slutstatus 0: alla rader beräknade; 1: några avvisade eller fel; 2: körningen kunde inte göras."
        ),
    )
    p.add_argument("indata", metavar="IN", help="ansökningar som JSON Lines (.jsonl) eller Parquet (.parquet)")
    p.add_argument("--ut", required=True, metavar="UT", help="resultatfil (.jsonl eller .parquet)")
    p.add_argument("--fel", metavar="FIL", help="felfil (standard: UT:s namn med .fel.jsonl)")
    p.add_argument("--format", choices=("jsonl", "parquet"), help="indatas format (standard: efter filen)")
    p.add_argument("--ut-format", choices=("jsonl", "parquet"), help="resultatets format (standard: efter namnet)")
    p.add_argument("--trace", action="store_true", help="ta med hela beräkningsunderlaget (spåret) för varje rad")
    p.add_argument("--arbetare", type=int, metavar="N", help="antal processer (standard: alla kärnor)")
    p.add_argument("--dask", metavar="ADRESS", help="kör på ett Dask-kluster (tcp://värd:8786), eller 'lokal'")
    p.add_argument("--fortsatt", action="store_true", help="fortsätt en avbruten körning där den slutade")
    p.add_argument("--jamforelsetal", metavar="TAL", help="jämförelsetal för månader där det inte är inmatat")
    p.add_argument("--regelrot", metavar="ROT", help="katalog med regelverk/ och normer/")
    p.add_argument("--del", dest="del_", type=int, metavar="N", help="rader per del (standard 25 000)")
    p.add_argument("--tyst", action="store_true", help="ingen förloppsindikator")
    p.add_argument("--json", action="store_true", help="skriv sammanfattningen som JSON")
    p.set_defaults(func=cmd_batch)
