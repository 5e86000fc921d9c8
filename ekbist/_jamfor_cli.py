"""``ekbist jamfor A B``: the impact of a rule change, before it goes live."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from itertools import chain
from pathlib import Path
from typing import Any

from ekbist._errors import UsageError

PROJECT = Path(__file__).resolve().parent.parent


def _periods(text: str | None) -> list[str] | None:
    if not text:
        return None
    from engine import Month

    first, _, last = text.partition(":")
    try:
        a, b = Month.parse(first.strip()), Month.parse((last or first).strip())
    except ValueError as exc:
        raise UsageError(f"--perioder: {exc}; skriv t.ex. 2026-01:2026-12") from None
    if b < a or b.index - a.index > 600:
        raise UsageError("--perioder: den sista månaden ska komma efter den första, och högst 50 år senare")
    return [str(a + i) for i in range(b.index - a.index + 1)]


def cmd_jamfor(args: argparse.Namespace) -> int:
    import jamfor

    if args.population < 0 or args.population > 10_000_000:
        raise UsageError("--population ska vara 0–10 000 000")
    if args.arbetare is not None and not 1 <= args.arbetare <= 64:
        raise UsageError("--arbetare ska vara 1–64")
    periods = _periods(args.perioder)
    try:
        a, b = jamfor.load_root(args.a, PROJECT), jamfor.load_root(args.b, PROJECT)
    except jamfor.RootError as exc:
        raise UsageError(str(exc)) from None
    sources: list[Iterator[jamfor.Case]] = []
    total = 0
    if not args.utan_guldfall:
        golden = list(jamfor.golden([PROJECT / "tests" / "golden"]))
        sources.append(iter(golden))
        total += len(golden)
    if args.fall:
        listed = list(jamfor.files([Path(f) for f in args.fall]))
        sources.append(iter(listed))
        total += len(listed)
    if args.databas:
        from ekbist._server_cli import _cli_user, _database

        with _database(args, url=args.databas) as log:
            stored = list(jamfor.decisions(log))
            log.log_access(
                anvandare=_cli_user(),
                roll="cli",
                kommun="",
                beslut_id="*",
                handling="jamfor",
                detalj=f"{len(stored)} beslut i en jämförelse av regelverk",
            )
        sources.append(iter(stored))
        total += len(stored)
    if args.population:
        sources.append(jamfor.population(args.population, args.seed, periods))
        total += args.population
    tally = jamfor.Tally(keep=args.visa)
    with _progress(total) as advance:
        for outcome in jamfor.run(
            a.files, b.files, chain(*sources), total=total, workers=args.arbetare, advance=advance
        ):
            tally.add(outcome)
    report: dict[str, Any] = {"a": a.ref(), "b": b.ref(), "andringar": jamfor.changes(a.bundle, b.bundle)}
    if a.bundle.version == b.bundle.version and a.bundle.hash != b.bundle.hash:
        report["versionsvarning"] = (
            f"B har samma version ({b.bundle.version}) som A men annat innehåll; ange en ny version i "
            "regelverk/regelverk.yaml innan ändringen sätts i kraft"
        )
    report["fall"] = tally.result()
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        sys.stdout.write(jamfor.render_text(report))
    return 0


class _progress:
    """A progress bar with time left on standard error (Rich), only on a terminal and for long runs."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.bar: Any = None

    def __enter__(self) -> Any:
        if self.total >= 1000 and sys.stderr.isatty():
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            self.bar = Progress(
                TextColumn("Jämför"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("kvar"),
                TimeRemainingColumn(),
                transient=True,
            )
            self.bar.start()
            task = self.bar.add_task("fall", total=self.total)
            return lambda n: self.bar.advance(task, n)
        return lambda n: None

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()


def register(sub: Any) -> None:
    p = sub.add_parser(
        "jamfor",
        help="vad en ändring av regelverket gör: ändrade värden och hur mycket fall ändras, innan den sätts i kraft",
    )
    p.add_argument(
        "a", metavar="A", help="regelrot (katalog med regelverk/ och normer/) eller git-revision, t.ex. HEAD"
    )
    p.add_argument("b", metavar="B", help="regelrot eller git-revision att jämföra med")
    p.add_argument("--population", type=int, default=0, metavar="N", help="N genererade ansökningar (reproducerbart)")
    p.add_argument("--seed", type=int, default=2026, help="frö för populationen (standard 2026)")
    p.add_argument("--perioder", metavar="FRÅN:TILL", help="populationens månader, t.ex. 2026-01:2026-12")
    p.add_argument("--fall", metavar="FIL", action="append", default=[], help="ansökningar: .jsonl eller en katalog")
    p.add_argument("--databas", metavar="URL", help="räkna om de registrerade besluten i en beslutslogg")
    p.add_argument("--demo", action="store_true", help="demonyckeln för beslutsloggen (med --databas)")
    p.add_argument("--utan-guldfall", action="store_true", help="hoppa över guldfallen i tests/golden")
    p.add_argument("--arbetare", type=int, metavar="N", help="processer (standard: en per kärna)")
    p.add_argument("--visa", type=int, default=10, metavar="N", help="antal största ändringar som visas")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_jamfor)
