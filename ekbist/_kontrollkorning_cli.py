"""``ekbist kontrollkorning --manad ÅÅÅÅ-MM``: the monthly control run (see :mod:`kontrollkorning`)."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import orjson

from ekbist._errors import UsageError


def _share(text: str) -> Decimal:
    try:
        value = Decimal(text.replace(",", "."))
    except InvalidOperation:
        raise UsageError(f"--andel ska vara ett tal mellan 0 och 1, inte {text!r}") from None
    if not value.is_finite() or not 0 <= value <= 1:
        raise UsageError(f"--andel ska vara ett tal mellan 0 och 1, inte {text!r}")
    return value


def _write(path: Path, data: bytes) -> None:
    """Atomically, readable by the owner only (the report names cases and what registers show)."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def cmd_kontrollkorning(args: argparse.Namespace) -> int:
    import engine
    import kontrollkorning as kk
    from ekbist._jamfor_cli import _progress
    from ekbist._server_cli import _cli_user, _database
    from ssbtek.source import SoapConfig, SoapSource

    try:
        month = engine.Month.parse(args.manad)
    except ValueError as exc:
        raise UsageError(f"--manad: {exc}") from None
    if args.kommun is not None and not (len(args.kommun) == 4 and args.kommun.isdigit()):
        raise UsageError("--kommun ska vara en fyrsiffrig kommunkod, t.ex. 0180")
    if args.tradar is not None and not 1 <= args.tradar <= 64:
        raise UsageError("--tradar ska vara 1–64")
    if args.seed is not None and not 0 <= args.seed < 2**63:
        raise UsageError("--seed ska vara ett icke-negativt heltal")
    share = _share(args.andel) if args.andel is not None else kk.DEFAULT_SHARE
    target = Path(args.ut)
    if target.suffix.lower() != ".json":
        raise UsageError("--ut ska vara en .json-fil (HTML och CSV skrivs bredvid)")
    if not target.parent.is_dir():
        raise UsageError(f"{target.parent}: katalogen finns inte")
    try:
        config = SoapConfig.from_env(args.ssbtek_url)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    bundle = engine.load_bundle(Path(args.regelrot) if args.regelrot else engine.default_root())
    user = _cli_user()
    with _database(args, url=args.databas) as log:
        ids = log.latest_per_household(str(month - 1), args.kommun)
        plan = kk.new_plan(bundle, month, args.kommun, ids, share, args.seed)
        folder = target.with_name(target.name + ".delar")
        try:
            plan, done = kk.open_workdir(folder, plan, args.fortsatt)
        except kk.RunError as exc:
            raise UsageError(str(exc)) from None
        todo = [i for i in plan.case_ids if i not in done]

        def cases() -> Iterator[dict[str, Any]]:
            for case in log.case_inputs(todo):
                log.log_access(
                    anvandare=user,
                    roll="cli",
                    kommun=case["kommun"],
                    beslut_id=case["id"],
                    handling="kontrollkorning",
                    detalj=f"kontrollkörning {plan.run_id} för {plan.month}",
                )
                yield case

        source = SoapSource(config)
        try:
            with _progress(len(todo)) as advance:
                kk.run_cases(bundle, cases(), source, folder / kk.DONE, threads=args.tradar or 8, report=advance)
        finally:
            source.close()
        finished = list(kk.finished_cases(folder / kk.DONE).values())
        meta = {
            "anvandare": user,
            "klar": datetime.now(UTC).isoformat(timespec="seconds"),
            "fortsatt_med_klara": len(done),
            "ssbtek": _shown(config.url),
        }
        report = kk.build_report(plan, finished, meta)
        _write(target, orjson.dumps(report, option=orjson.OPT_INDENT_2))
        _write(target.with_suffix(".html"), kk.render_html(report).encode("utf-8"))
        _write(target.with_suffix(".csv"), kk.render_csv(report).encode("utf-8"))
        log.log_access(
            anvandare=user,
            roll="cli",
            kommun=args.kommun or "",
            beslut_id=plan.run_id,
            handling="kontrollkorning",
            detalj=(
                f"{plan.month}: {len(plan.case_ids)} ärenden, regelverk {plan.bundle_version}, "
                f"urval {report['urval']['antal']} (seed {plan.seed})"
            )[:200],
        )
    shutil.rmtree(folder)
    s = report["summering"]
    print(
        f"Kontrollkörning {plan.month}: {len(plan.case_ids)} aktiva ärenden, {s['arenden_med_avvikelser']} med "
        f"avvikelser, {s['uppgift_saknas']} där uppgift saknas, {s['arenden_som_inte_kunde_kontrolleras']} kunde inte "
        f"kontrolleras; slumpmässigt urval {report['urval']['antal']} (seed {plan.seed})."
    )
    if done:
        print(f"Fortsatt körning: {len(done)} ärenden var redan kontrollerade och frågades inte om igen.")
    print(f"Rapport: {target} (och {target.with_suffix('.html').name}, {target.with_suffix('.csv').name})")
    sys.stdout.flush()
    return 0


def _shown(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}{':' + str(parts.port) if parts.port else ''}{parts.path}"


def register(sub: Any) -> None:
    p = sub.add_parser(
        "kontrollkorning",
        help="månadens kontrollkörning: varje aktivt ärende mot färska SSBTEK-uppgifter, med rapport och urval",
        description=(
            "Tar varje aktivt ärende ur beslutsloggen (hushållets senaste beslut för månaden före --manad), "
            "hämtar SSBTEK-uppgifter för de vuxna, kör kontrollreglerna och skriver en rapport (JSON, HTML, CSV) "
            "med avvikelser per ärende och kod, ärenden att utreda först och ett slumpmässigt urval."
        ),
    )
    p.add_argument("--manad", required=True, metavar="ÅÅÅÅ-MM", help="kontrollmånaden")
    p.add_argument("--ut", required=True, metavar="RAPPORT.json", help="rapportfil (HTML och CSV skrivs bredvid)")
    p.add_argument("--kommun", metavar="KOD", help="bara ärenden i kommunen")
    p.add_argument("--andel", metavar="TAL", help="andel ärenden i det slumpmässiga urvalet (standard 0,05)")
    p.add_argument("--seed", type=int, metavar="N", help="seed för urvalet (standard: slumpas och skrivs i rapporten)")
    p.add_argument("--fortsatt", action="store_true", help="fortsätt en avbruten körning")
    p.add_argument("--tradar", type=int, metavar="N", help="samtidiga ärenden mot SSBTEK (standard 8)")
    p.add_argument("--ssbtek-url", metavar="URL", help="SSBTEK-adress (annars EKBIST_SSBTEK_URL)")
    p.add_argument("--databas", metavar="URL", help="beslutsloggen (annars EKBIST_DATABASE_URL eller SQLite)")
    p.add_argument("--demo", action="store_true", help="demonyckeln för beslutsloggen")
    p.add_argument("--regelrot", metavar="ROT", help="katalog med regelverk/ och normer/")
    p.set_defaults(func=cmd_kontrollkorning)
