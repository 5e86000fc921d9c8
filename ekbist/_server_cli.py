"""``ekbist serve``, ``ekbist token``, ``ekbist revision verifiera`` and ``ekbist omprova``."""

from __future__ import annotations

import argparse
import contextlib
import getpass
import json
import os
import sys
from collections.abc import Iterator
from typing import Any

from ekbist._errors import Unavailable, UsageError


def _settings(args: argparse.Namespace) -> Any:
    from api import Settings
    from beslutslogg import normalise_url

    try:
        settings = Settings.from_env(getattr(args, "databas", None))
        normalise_url(settings.database_url)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    return settings


@contextlib.contextmanager
def _database(args: argparse.Namespace, *, create: bool = False) -> Iterator[Any]:
    """The decision log, with an unreachable or missing one reported in one line (exit status 1)."""
    from sqlalchemy.exc import SQLAlchemyError

    from beslutslogg import DecisionLog, shown_url

    url = _settings(args).database_url
    log = DecisionLog(url)
    try:
        if not create and not log.exists():
            raise Unavailable(f"det finns ingen beslutslogg i {shown_url(url)}; den skapas när ekbist serve startar")
        yield log
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or type(exc).__name__).splitlines()[0]
        raise Unavailable(f"beslutsloggen nås inte ({shown_url(url)}): {reason}") from None
    finally:
        log.dispose()


# One line per request from api (method, path without query, status, time; never bodies or tokens),
# warnings and errors from the rest. SQL is never logged at INFO: parameters are personal data.
LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"rad": {"format": "%(asctime)s %(process)d %(name)s %(levelname)s %(message)s"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "rad", "stream": "ext://sys.stderr"}},
    "root": {"handlers": ["stderr"], "level": "WARNING"},
    "loggers": {"ekbist": {"level": "INFO"}, "uvicorn.error": {"level": "INFO"}},
}


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    if args.workers < 1:
        raise UsageError("--workers ska vara minst 1")
    if not 0 < args.port < 65536:
        raise UsageError("--port ska vara ett portnummer 1–65535")
    settings = _settings(args)
    with _database(args, create=True) as log:
        log.migrate()
    if settings.dev_key:
        print("OBS: EKBIST_JWT_KEY saknas; en lokal demonyckel i .ekbist/jwt-nyckel används.", file=sys.stderr)
    from beslutslogg import shown_url

    print(
        f"ekbist på http://{args.host}:{args.port}/ (OpenAPI: /docs), {args.workers} processer, "
        f"beslutslogg: {shown_url(settings.database_url)}",
        flush=True,
    )
    uvicorn.run(
        "api._factory:app",
        host=args.host,
        port=args.port,
        workers=args.workers,
        access_log=False,
        log_config=LOGGING,  # applied in every worker process, not only this one
        factory=False,
    )
    return 0


def cmd_token(args: argparse.Namespace) -> int:
    from api._auth import issue

    settings = _settings(args)
    try:
        token = issue(settings, anvandare=args.anvandare, roll=args.roll, kommun=args.kommun, hours=args.timmar)
    except ValueError as exc:
        raise UsageError(f"--roll: {exc}") from None
    print(token)
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    with _database(args) as log:
        count, problems = log.verify()
    if problems:
        print(f"Beslutsloggen är INTE intakt ({count} beslut kontrollerade):")
        for p in problems:
            print(f"  - {p}")
        return 1
    print(f"Beslutsloggen är intakt: {count} beslut, kedjan stämmer.")
    return 0


def cmd_replay(args: argparse.Namespace) -> int:
    import engine
    from beslutslogg.omprovning import replay

    settings = _settings(args)
    with _database(args) as log:
        record = log.get(args.id)
        if record is None:
            raise UsageError(f"beslutet {args.id} finns inte i beslutsloggen")
        files = log.bundle_files(record.regelverk_hash)
        if files is None:
            raise Unavailable(
                f"regelverket {record.regelverk_hash} saknas i beslutsloggen (kör ekbist revision verifiera)"
            )
        today = engine.load_bundle(settings.rule_root or engine.default_root())
        out = replay(record, engine.load_bundle_from_files(files), today)
        log.log_access(
            anvandare=f"cli:{getpass.getuser()}",
            roll="revisor",
            kommun=record.kommun,
            beslut_id=record.id,
            handling="omprova",
        )
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
    p.add_argument(
        "--workers",
        type=int,
        default=min(len(os.sched_getaffinity(0)), 8),
        help="antal serverprocesser (standard: en per processorkärna, högst 8)",
    )
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
