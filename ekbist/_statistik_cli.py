"""``ekbist statistik --manad ÅÅÅÅ-MM`` and ``--ar ÅÅÅÅ``: the delivery to Socialstyrelsen (see :mod:`statistik`)."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

import orjson

from ekbist._errors import UsageError

EXIT_OK, EXIT_PROBLEMS = 0, 1


def _write(path: Path, data: bytes) -> None:
    """Atomically and readable by the owner only: the delivery holds personnummer."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def _log_reads(log: Any, user: str, delivery: Any, what: str) -> None:
    for ident, kommun in delivery.decisions_read:
        log.log_access(anvandare=user, roll="cli", kommun=kommun, beslut_id=ident, handling="statistik", detalj=what)


def _month(text: str) -> str:
    import engine

    try:
        return str(engine.Month.parse(text))
    except ValueError as exc:
        raise UsageError(f"--manad: {exc}") from None


def cmd_statistik(args: argparse.Namespace) -> int:
    import engine
    import statistik
    from ekbist._server_cli import _cli_user, _database

    if (args.manad is None) == (args.ar is None):
        raise UsageError("ange antingen --manad ÅÅÅÅ-MM eller --ar ÅÅÅÅ")
    if args.kommun is not None and not (len(args.kommun) == 4 and args.kommun.isdigit()):
        raise UsageError("--kommun ska vara en fyrsiffrig kommunkod, t.ex. 0180")
    if args.ar is not None and not 2000 <= args.ar <= 2100:
        raise UsageError("--ar ska vara ett år, t.ex. 2026")
    folder = Path(args.ut)
    if not folder.is_dir():
        raise UsageError(f"{folder}: katalogen finns inte")
    bundle = engine.load_bundle(Path(args.regelrot) if args.regelrot else engine.default_root())
    if bundle.statistik is None:
        raise UsageError("regelverket saknar regelverk/statistik/ (listan över försörjningshinder)")
    user = _cli_user()
    name = args.kommun or "alla"
    with _database(args, url=args.databas) as log:
        if args.manad is not None:
            month = _month(args.manad)
            delivery = statistik.build_month(log, bundle, month, args.kommun)
            _log_reads(log, user, delivery, f"statistik för {month}")
            return _deliver(delivery, folder / f"ekonomiskt-bistand-{name}-{month}")
        months = [statistik.build_month(log, bundle, f"{args.ar}-{m:02d}", args.kommun) for m in range(1, 13)]
        for d in months:
            _log_reads(log, user, d, f"årsstatistik {args.ar}")
    codes = bundle.statistik.codes_on(engine.Month.of(args.ar, 12).first_day)
    labels = {k: c.text for k, c in codes.items()}
    figures = statistik.year_figures(args.ar, months, labels)
    stem = folder / f"ekonomiskt-bistand-{name}-{args.ar}"
    _write(stem.with_suffix(".json"), orjson.dumps(figures, option=orjson.OPT_INDENT_2))
    _write(stem.with_suffix(".html"), statistik.render_year_html(figures).encode("utf-8"))
    print(
        f"År {args.ar}: {figures['hushall_under_aret']} hushåll, {figures['vuxna_under_aret']} vuxna, "
        f"{figures['kronor']} kr."
    )
    incomplete = sum(m["ofullstandiga_beslut"] for m in figures["manader"])
    if incomplete:
        print(
            f"{incomplete} beviljade beslut under året är ofullständiga och räknas inte (se ekbist statistik --manad)."
        )
    print(f"Översikt: {stem.with_suffix('.html')} (och {stem.with_suffix('.json').name})")
    return EXIT_OK


def _deliver(delivery: Any, stem: Path) -> int:
    import statistik

    if delivery.problems:
        print(f"Leveransen för {delivery.month} kan inte skapas: {len(delivery.problems)} problem i besluten.")
        for p in delivery.problems:
            print(f"  - beslut {p['beslut_id']}: {p['falt']}: {p['meddelande']}")
        print(
            "Komplettera försörjningshindren med POST /v1/beslut/{id}/forsorjningshinder och kör igen; "
            "inget har skrivits."
        )
        return EXIT_PROBLEMS
    data = delivery.to_dict()
    _write(stem.with_suffix(".json"), orjson.dumps(data, option=orjson.OPT_INDENT_2))
    hh = stem.with_name(stem.name + "-hushall.csv")
    pp = stem.with_name(stem.name + "-personer.csv")
    _write(hh, statistik.to_csv(delivery.households, statistik.HOUSEHOLD_FIELDS).encode("utf-8"))
    _write(pp, statistik.to_csv(delivery.persons, statistik.PERSON_FIELDS).encode("utf-8"))
    t = data["summering"]
    print(
        f"Månad {delivery.month}: {t['hushall']} hushåll, {t['personer']} personer ({t['vuxna']} vuxna, "
        f"{t['barn']} barn under 18), {t['kronor']} kr; {t['ej_beviljade']} beslut utan bistånd räknas inte."
    )
    print(
        "Vuxna per försörjningshinder: " + ", ".join(f"{k}: {n}" for k, n in t["vuxna_per_forsorjningshinder"].items())
    )
    a = t["aktivitetskrav"]
    undantag = ", ".join(f"{k}: {n}" for k, n in a["undantagna"].items()) or "inga"
    print(f"Aktivitetskrav: ställs för {a['krav_stalls']} vuxna; undantagna: {undantag}.")
    print(f"Leverans: {stem.with_suffix('.json')}, {hh.name}, {pp.name}")
    return EXIT_OK


def register(sub: Any) -> None:
    p = sub.add_parser(
        "statistik",
        help="månadens leverans till Socialstyrelsen (försörjningshinder, hushåll, belopp) eller årets översikt",
        description=(
            "--manad: kontrollerar månadens beviljade beslut (försörjningshinder för varje vuxen, personnummer, "
            "månad) och skriver leveransen som JSON och CSV; slutstatus 1 och inget skrivet om något saknas. "
            "--ar: årets siffror och en sida med diagram (HTML)."
        ),
    )
    p.add_argument("--manad", metavar="ÅÅÅÅ-MM", help="månaden biståndet avser")
    p.add_argument("--ar", type=int, metavar="ÅÅÅÅ", help="årets översikt")
    p.add_argument("--kommun", metavar="KOD", help="bara beslut i kommunen")
    p.add_argument("--ut", default=".", metavar="KATALOG", help="katalog att skriva i (standard: den aktuella)")
    p.add_argument("--databas", metavar="URL", help="beslutsloggen (annars EKBIST_DATABASE_URL eller SQLite)")
    p.add_argument("--demo", action="store_true", help="demonyckeln för beslutsloggen")
    p.add_argument("--regelrot", metavar="ROT", help="katalog med regelverk/ och normer/")
    p.set_defaults(func=cmd_statistik)
