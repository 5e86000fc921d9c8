"""``ekbist serve``, ``ekbist token``, ``ekbist revision verifiera`` and ``ekbist omprova``."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from typing import Any

from engine import InputError, Problem


def _settings(args: argparse.Namespace) -> Any:
    from api import Settings

    try:
        return Settings.from_env(getattr(args, "databas", None))
    except ValueError as exc:
        raise InputError([Problem("miljö", str(exc))]) from None


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from beslutslogg import DecisionLog

    settings = _settings(args)
    log = DecisionLog(settings.database_url)
    log.migrate()
    log.dispose()
    if settings.dev_key:
        print("OBS: EKBIST_JWT_KEY saknas; en lokal demonyckel i .ekbist/jwt-nyckel används.", file=sys.stderr)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    for noisy in ("sqlalchemy", "alembic", "httpx", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    print(
        f"ekbist på http://{args.host}:{args.port}/ (OpenAPI: /docs), beslutslogg: "
        f"{settings.database_url.split('@')[-1]}",
        flush=True,
    )
    uvicorn.run(
        "api._factory:app",
        host=args.host,
        port=args.port,
        workers=args.workers,
        access_log=False,
        log_level="warning",
        factory=False,
    )
    return 0


def cmd_token(args: argparse.Namespace) -> int:
    from api._auth import issue

    settings = _settings(args)
    try:
        token = issue(settings, anvandare=args.anvandare, roll=args.roll, kommun=args.kommun, hours=args.timmar)
    except ValueError as exc:
        raise InputError([Problem("--roll", str(exc))]) from None
    print(token)
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from beslutslogg import DecisionLog

    log = DecisionLog(_settings(args).database_url)
    count, problems = log.verify()
    if problems:
        print(f"Beslutsloggen är INTE intakt ({count} beslut kontrollerade):")
        for p in problems:
            print(f"  - {p}")
        return 1
    print(f"Beslutsloggen är intakt: {count} beslut, kedjan stämmer.")
    return 0


def cmd_replay(args: argparse.Namespace) -> int:

    from api._rules import BundleProvider
    from api.app import HttpError, replay
    from beslutslogg import DecisionLog

    settings = _settings(args)
    log = DecisionLog(settings.database_url)
    record = log.get(args.id)
    if record is None:
        raise InputError([Problem("ID", f"beslutet {args.id} finns inte i beslutsloggen")])
    rules = BundleProvider(settings.rule_root, log)

    def compute(bundle: Any, indata: Any) -> dict[str, Any]:
        from decimal import Decimal

        from ssbtek import parse_response

        overrides = {"jamforelsetal": Decimal(str(indata["jamforelsetal"]))} if indata.get("jamforelsetal") else {}
        agency = {p: parse_response(x.encode(), p) for p, x in (indata.get("ssbtek") or {}).items()} or None
        result: dict[str, Any] = bundle.calculate(indata["ansokan"], overrides=overrides, agency=agency).to_dict()
        return result

    try:
        out = replay(record, rules, compute)
    except HttpError as exc:
        print(f"ekbist: {exc.body}", file=sys.stderr)
        return 1
    log.log_access(anvandare="cli", roll="revisor", kommun=record.kommun, beslut_id=record.id, handling="omprova")
    if args.json:
        print(json.dumps(out, ensure_ascii=False, indent=2))
        return 0
    print(f"Omprövning av beslut {record.id} (kommun {record.kommun}, {record.tidpunkt[:10]})")
    print(
        f"  Med beslutets regler ({out['regelverk']['hash']}): "
        + ("identiskt resultat" if out["identisk"] else "AVVIKER")
    )
    for d in out["skillnader"]:
        print(f"    {d['falt']}: lagrat {d['lagrat']}, omräknat {d['omraknat']}")
    today = out["dagens_regler"]
    print(f"  Med dagens regler ({today['regelverk']['hash']}):")
    if "fel" in today:
        print("    kan inte beräknas: " + "; ".join(today["fel"]))
    elif not today["skillnader_mot_beslutet"]:
        print("    samma belopp som i beslutet")
    for d in today.get("skillnader_mot_beslutet", []):
        print(f"    {d['falt']}: i beslutet {d['beslut']}, i dag {d['idag']}")
    return 0


def register(sub: Any) -> None:
    p = sub.add_parser("serve", help="starta API:t (OpenAPI på /docs)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--workers", type=int, default=1, help="antal processer (standard 1)")
    p.add_argument("--databas", metavar="URL", help="sqlite:///... eller postgresql://... (annars EKBIST_DATABASE_URL)")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("token", help="skriv ut en signerad token (JWT) för demo och test")
    p.add_argument("--roll", required=True, help="handlaggare, revisor eller regelforvaltare")
    p.add_argument("--kommun", required=True, help="fyrsiffrig kommunkod")
    p.add_argument("--anvandare", default="demo", help="användarens namn eller id")
    p.add_argument("--timmar", type=float, default=8, help="giltighet i timmar")
    p.set_defaults(func=cmd_token)

    p = sub.add_parser("revision", help="revisorns verktyg för beslutsloggen")
    rsub = p.add_subparsers(dest="revision", metavar="KOMMANDO")
    rsub.required = True
    v = rsub.add_parser("verifiera", help="gå igenom hashkedjan och rapportera ändrade eller borttagna beslut")
    v.add_argument("--databas", metavar="URL")
    v.set_defaults(func=cmd_verify)

    p = sub.add_parser("omprova", help="räkna om ett beslut med dess regler och med dagens regler")
    p.add_argument("id", metavar="ID")
    p.add_argument("--databas", metavar="URL")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_replay)
