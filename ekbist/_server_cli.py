"""``ekbist serve``, ``token``, ``databas``, ``revision ...``, ``omprova`` and ``aterkrav``.

Every command that touches the decision log needs the log key (``EKBIST_LOGG_NYCKEL``): reading
is logged in the chain, and verifying checks MACs. ``--demo`` uses the keys kept in ``.ekbist/``
by ``ekbist serve --demo`` instead; it is never the default.
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import json
import os
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

from ekbist._errors import Unavailable, UsageError


def _keyring(args: argparse.Namespace) -> Any:
    from api._settings import DATA_DIR
    from beslutslogg import Keyring, LogKeyError

    try:
        keyring = Keyring.from_env(demo_dir=DATA_DIR if getattr(args, "demo", False) else None)
    except LogKeyError as exc:
        raise UsageError(str(exc)) from None
    if keyring is None:
        raise UsageError(
            "loggnyckeln saknas: ange EKBIST_LOGG_NYCKEL eller EKBIST_LOGG_NYCKELFIL (eller --demo för demonyckeln)"
        )
    return keyring


def _database_url(args: argparse.Namespace) -> str:
    from api._settings import DATA_DIR
    from beslutslogg import normalise_url

    url = getattr(args, "databas", None) or os.environ.get("EKBIST_DATABASE_URL")
    url = url or f"sqlite:///{(DATA_DIR / 'beslut.sqlite3').resolve()}"
    try:
        normalise_url(url)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    return url


@contextlib.contextmanager
def _database(args: argparse.Namespace, *, create: bool = False, url: str | None = None) -> Iterator[Any]:
    """The decision log, with an unreachable or missing one reported in one line (exit status 1)."""
    from sqlalchemy.exc import SQLAlchemyError

    from beslutslogg import DecisionLog, LogKeyError, shown_url

    url = url or _database_url(args)
    log = DecisionLog(url, _keyring(args))
    try:
        if not create and not log.exists():
            raise Unavailable(f"det finns ingen beslutslogg i {shown_url(url)}; den skapas när ekbist serve startar")
        yield log
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or type(exc).__name__).splitlines()[0]
        raise Unavailable(f"beslutsloggen nås inte ({shown_url(url)}): {reason}") from None
    except LogKeyError as exc:
        raise UsageError(str(exc)) from None
    finally:
        log.dispose()


def _cli_user() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # no user name in this environment (a container without passwd)
        return f"cli:uid{os.getuid()}"


def cmd_serve(args: argparse.Namespace) -> int:
    if args.workers < 1:
        raise UsageError("--workers ska vara minst 1")
    _metrics_dir(args.workers)  # before prometheus-client is imported, here or in a worker
    log_format = os.environ.get("EKBIST_LOGGFORMAT") or ("text" if args.demo else "json")  # the demo is read by people
    if log_format not in ("json", "text"):
        raise UsageError("EKBIST_LOGGFORMAT ska vara json eller text")

    import uvicorn

    from api import Settings
    from api._logging import config as logging_config
    from beslutslogg import shown_url
    from beslutslogg._url import normalise_url

    if not 0 < args.port < 65536:
        raise UsageError("--port ska vara ett portnummer 1–65535")
    try:
        settings = Settings.from_env(getattr(args, "databas", None), demo=args.demo)
        normalise_url(settings.database_url)
    except ValueError as exc:
        raise UsageError(f"servern startar inte:\n{exc}") from None
    migration_url = os.environ.get("EKBIST_MIGRERING_URL")
    app_role = _user_of(settings.database_url) if migration_url else None
    with _database(args, create=True, url=migration_url or settings.database_url) as log:
        # A new log is created; an existing one is upgraded only in the demo. A kommun's log is
        # upgraded as a step of its own, after a backup, by the tables' owner (ekbist databas migrera).
        if args.demo or not log.exists():
            log.migrate(app_role=app_role)
    with _database(args, url=settings.database_url) as log:
        problem = log.schema_problem()
        if problem:
            raise UsageError(f"servern startar inte: {problem}")
        too_much = log.owner_problem()
    if too_much and not args.demo:
        raise UsageError(
            f"servern ska köras som en roll som bara får läsa och lägga till i beslutsloggen, men {too_much}. "
            "Låt EKBIST_MIGRERING_URL peka på ägarrollen och EKBIST_DATABASE_URL på serverns roll "
            "(docs/beslutslogg.rst, Roller i PostgreSQL)."
        )
    # From here on the server speaks in its log format (JSON lines by default), as its workers will.
    import logging
    import logging.config

    config = logging_config(log_format)
    logging.config.dictConfig(config)
    say = logging.getLogger("ekbist.serve")
    if args.demo:
        say.warning("DEMOLÄGE: nycklarna ligger i .ekbist/ (jwt-nyckel, logg-nyckel); inga riktiga personuppgifter.")
        if too_much:
            say.warning("DEMOLÄGE: %s; i drift ska servern ha en egen roll.", too_much)
    os.environ["EKBIST_DEMO"] = "1" if args.demo else "0"
    os.environ.setdefault("EKBIST_PUBLIK_URL", f"http://{args.host}:{args.port}")
    say.info(
        "ekbist på http://%s:%s/ (OpenAPI: /docs), %s processer, beslutslogg: %s",
        args.host,
        args.port,
        args.workers,
        shown_url(settings.database_url),
    )
    uvicorn.run(
        "api._factory:app",
        host=args.host,
        port=args.port,
        workers=args.workers,
        access_log=False,
        log_config=config,  # applied in every worker process, not only this one
        factory=False,
        timeout_keep_alive=5,
    )
    return 0


def _metrics_dir(workers: int) -> None:
    """Several processes: prometheus-client's multiprocess mode, in a fresh directory of this server's own
    (figures of an earlier run must not be added to this one's)."""
    import shutil
    import tempfile

    os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)
    if workers > 1:
        path = tempfile.mkdtemp(prefix="ekbist-matvarden-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = path
        import atexit

        atexit.register(shutil.rmtree, path, ignore_errors=True)


def _user_of(url: str) -> str | None:
    from sqlalchemy import make_url

    if url.startswith("sqlite"):
        return None
    return make_url(url).username


def cmd_token(args: argparse.Namespace) -> int:
    from api import Settings
    from api._auth import issue

    try:
        settings = Settings.from_env(demo=args.demo)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    try:
        token = issue(settings, anvandare=args.anvandare, roll=args.roll, kommun=args.kommun, hours=args.timmar)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    print(token)
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    with _database(args, create=True) as log:
        log.migrate(app_role=args.app_roll)
        revision = log.schema_revision()
    print(
        f"Beslutsloggen har schemaversion {revision}"
        + (f"; rollen {args.app_roll} får läsa och lägga till." if args.app_roll else ".")
    )
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from beslutslogg import AnchorError, read_anchor

    keyring = _keyring(args)
    try:
        anchors = [read_anchor(a, keyring) for a in args.ankare]
    except AnchorError as exc:
        raise UsageError(f"--ankare: {exc}") from None
    with _database(args) as log:
        v = log.verify(anchors)
        log.log_access(anvandare=_cli_user(), roll="cli", kommun="", beslut_id="*", handling="verifiera")
    counts = f"{v.beslut} beslut, {v.regelverk} regelverk, {v.atkomst} rader i åtkomstloggen, {v.lankar} länkar"
    if v.problem:
        print(f"Beslutsloggen är INTE intakt ({counts} kontrollerade):")
        for p in v.problem:
            print(f"  - {p}")
        return 1
    print(f"Beslutsloggen är intakt: {counts}; kedjan och nyckeln stämmer.")
    if v.forseglade:
        print("  Poster skrivna före den nyckelbundna kedjan förseglades när loggen uppgraderades.")
    if v.ankare:
        print(f"  {v.ankare} ankare finns kvar i loggen.")
    else:
        print("  Utan ankare kan ett avkortat eller utbytt slut inte upptäckas: spara ekbist revision ankare utanför.")
    return 0


def cmd_anchor(args: argparse.Namespace) -> int:
    with _database(args) as log:
        try:
            anchor = log.anchor()
        except ValueError as exc:
            raise Unavailable(str(exc)) from None
    text = json.dumps(anchor, ensure_ascii=False, indent=2) + "\n"
    if args.ut:
        path = Path(args.ut)
        if path.exists():
            raise UsageError(f"--ut: {path} finns redan")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        print(f"Ankare för länk nr {anchor['position']} sparat i {path}; förvara det utanför databasservern.")
    else:
        sys.stdout.write(text)
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    period = args.period
    if period is not None:
        import re

        if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", period):
            raise UsageError(f"--period: '{period}' är ingen månad ÅÅÅÅ-MM")
    if args.kommun is not None and not (len(args.kommun) == 4 and args.kommun.isdigit()):
        raise UsageError(f"--kommun: '{args.kommun}' är ingen fyrsiffrig kommunkod")
    fran, till = _day(args.fran, "--fran"), _day(args.till, "--till")
    if args.sida < 1 or not 1 <= args.per_sida <= 500:
        raise UsageError("--sida ska vara minst 1 och --per-sida 1–500")
    with _database(args) as log:
        page = log.list_decisions(
            kommun=args.kommun, period=period, fran=fran, till=till, sida=args.sida, per_sida=args.per_sida
        )
        log.log_access(
            anvandare=_cli_user(),
            roll="cli",
            kommun=args.kommun or "",
            beslut_id="*",
            handling="lista",
            detalj=f"period={period} fran={fran} till={till} sida={args.sida}",
        )
    if args.json:
        body = {
            "beslut": [s.to_dict() for s in page.items],
            "sida": page.sida,
            "sidor": page.sidor,
            "totalt": page.totalt,
        }
        print(json.dumps(body, ensure_ascii=False, indent=2))
        return 0
    print(f"{page.totalt} beslut; sida {page.sida} av {page.sidor}")
    print(f"{'nr':>6}  {'registrerat':19}  {'kommun':6}  {'månad':7}  {'utfall':9}  {'belopp':>9}  {'beräknat':>9}  id")
    for s in page.items:
        print(
            f"{s.seq:>6}  {s.tidpunkt[:19].replace('T', ' '):19}  {s.kommun:6}  {s.period or '':7}  "
            f"{s.utfall or '':9}  {_num(s.belopp):>9}  {_num(s.forsorjningsstod):>9}  {s.id}"
        )
    return 0


def cmd_access(args: argparse.Namespace) -> int:
    with _database(args) as log:
        record = log.get(args.id)
        if record is None:
            raise UsageError(f"beslutet {args.id} finns inte i beslutsloggen")
        rows = log.access_log(record.id)
        log.log_access(anvandare=_cli_user(), roll="cli", kommun=record.kommun, beslut_id=record.id, handling="atkomst")
    keys = ("tidpunkt", "anvandare", "roll", "kommun", "handling", "utfall", "adress", "lank_id", "detalj")
    if args.json:
        print(json.dumps([{k: r.get(k) for k in keys} for r in rows], ensure_ascii=False, indent=2))
        return 0
    print(f"Åtkomst till beslut {record.id} (kommun {record.kommun}, registrerat {record.tidpunkt[:10]}):")
    for r in rows:
        extra = ", ".join(
            x for x in (r.get("adress"), r.get("lank_id") and f"länk {r['lank_id']}", r.get("detalj")) if x
        )
        print(
            f"  {r['tidpunkt'][:19].replace('T', ' ')}  {r['handling']:12} {r['utfall']:6} {r['anvandare']} "
            f"({r['roll']}, {r['kommun'] or '–'})" + (f"  [{extra}]" if extra else "")
        )
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from beslutslogg import ExportError, export

    with _database(args) as log:
        log.log_access(
            anvandare=_cli_user(), roll="cli", kommun="", beslut_id="*", handling="export", detalj=Path(args.fil).name
        )
        try:
            done = export(log, Path(args.fil))
        except ExportError as exc:
            raise Unavailable(f"exporten misslyckades: {exc}") from None
    v = done.verification
    print(
        f"Kopia ({done.format}) i {done.path}: {v.beslut} beslut, {v.regelverk} regelverk, {v.atkomst} "
        f"rader i åtkomstloggen, verifierad.\nAnkare i {done.anchor_path}: "
        f"ekbist revision verifiera --databas ... --ankare {done.anchor_path}"
    )
    return 0


def cmd_new_key(args: argparse.Namespace) -> int:
    from beslutslogg import new_secret

    print(new_secret())
    return 0


def cmd_replay(args: argparse.Namespace) -> int:
    import engine
    from beslutslogg.omprovning import BundleUnavailable, replay, stored_bundle, summary_lines

    with _database(args) as log:
        record = log.get(args.id)
        if record is None:
            raise UsageError(f"beslutet {args.id} finns inte i beslutsloggen")
        log.log_access(anvandare=_cli_user(), roll="cli", kommun=record.kommun, beslut_id=record.id, handling="omprova")
        try:
            decided_with = stored_bundle(log, record.regelverk_hash)
        except BundleUnavailable as exc:
            raise Unavailable(f"omprövningen kan inte göras: {exc}") from None
        root = os.environ.get("EKBIST_REGELROT")
        today = engine.load_bundle(Path(root) if root else engine.default_root())
        out = replay(record, decided_with, today)
    if args.json:
        print(json.dumps(out, ensure_ascii=False, indent=2))
    else:
        when = record.tidpunkt[:10]
        print(f"Omprövning av beslut {record.id} (kommun {record.kommun}, {record.period}, registrerat {when})")
        for line in summary_lines(out):
            print(f"  {line}")
    return 0 if out["godkand"] else 1


def cmd_aterkrav(args: argparse.Namespace) -> int:
    import engine
    from aterkrav import CorrectionError, basis, render_text
    from beslutslogg.omprovning import BundleUnavailable, stored_bundle
    from ekbist._documents import read_document

    correction = read_document(args.rattelse).ansokan
    paid_on = _day(args.utbetald, "--utbetald")
    with _database(args) as log:
        record = log.get(args.id)
        if record is None:
            raise UsageError(f"beslutet {args.id} finns inte i beslutsloggen")
        log.log_access(
            anvandare=_cli_user(), roll="cli", kommun=record.kommun, beslut_id=record.id, handling="aterkrav"
        )
        try:
            decided_with = stored_bundle(log, record.regelverk_hash)
        except BundleUnavailable as exc:
            raise Unavailable(f"återkravet kan inte beräknas: {exc}") from None
        root = os.environ.get("EKBIST_REGELROT")
        today = engine.load_bundle(Path(root) if root else engine.default_root())
        try:
            out = basis(record, decided_with, today, correction, paid_on=paid_on)
        except CorrectionError as exc:
            raise engine.InputError(
                [engine.Problem(exc.field.replace("rattelse", "--rattelse", 1), exc.message)]
            ) from None
    if args.json:
        print(json.dumps(out, ensure_ascii=False, indent=2))
    else:
        sys.stdout.write(render_text(out))
    return 0


def _day(text: str | None, flag: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"{flag}: '{text}' är inget datum ÅÅÅÅ-MM-DD") from None


def _num(value: int | None) -> str:
    return "" if value is None else f"{value:,}".replace(",", " ")


def _log_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--databas", metavar="URL", help="sqlite:///... eller postgresql://... (annars EKBIST_DATABASE_URL)")
    p.add_argument("--demo", action="store_true", help="använd demonycklarna i .ekbist/ (aldrig för riktiga uppgifter)")


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
    _log_args(p)
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("token", help="skriv ut en signerad token (JWT) för test och maskinklienter")
    p.add_argument("--roll", required=True, help="handlaggare, revisor eller regelforvaltare")
    p.add_argument("--kommun", required=True, help="fyrsiffrig kommunkod")
    p.add_argument("--anvandare", default="demo", help="användarens namn eller id")
    p.add_argument("--timmar", type=float, default=8, help="giltighet i timmar (högst EKBIST_TOKEN_MAX_TIMMAR, 12)")
    p.add_argument("--demo", action="store_true", help="signera med demonyckeln i .ekbist/")
    p.set_defaults(func=cmd_token)

    p = sub.add_parser("databas", help="beslutsloggens databas: skapa, uppgradera, ge serverns roll rättigheter")
    dsub = p.add_subparsers(dest="databas_kommando", metavar="KOMMANDO")
    dsub.required = True
    m = dsub.add_parser("migrera", help="skapa eller uppgradera tabellerna (kör som tabellernas ägare)")
    _log_args(m)
    m.add_argument("--app-roll", metavar="ROLL", help="PostgreSQL: serverns roll, som får SELECT och INSERT")
    m.set_defaults(func=cmd_migrate)

    p = sub.add_parser("revision", help="revisorns verktyg för beslutsloggen")
    rsub = p.add_subparsers(dest="revision", metavar="KOMMANDO")
    rsub.required = True
    v = rsub.add_parser("verifiera", help="gå igenom kedjan och rapportera varje ändrad, borttagen eller tillagd post")
    _log_args(v)
    v.add_argument(
        "--ankare",
        metavar="FIL|MAC",
        action="append",
        default=[],
        help="ett sparat ankare, kvitto eller huvud-MAC som loggen måste innehålla (kan upprepas)",
    )
    v.set_defaults(func=cmd_verify)
    a = rsub.add_parser("ankare", help="skriv ut kedjans huvud, signerat, att spara utanför databasen")
    _log_args(a)
    a.add_argument("--ut", metavar="FIL", help="spara i en ny fil (läsbar bara för ägaren)")
    a.set_defaults(func=cmd_anchor)
    ls = rsub.add_parser("lista", help="lista beslut per kommun, månad och registreringsdag")
    _log_args(ls)
    ls.add_argument("--kommun", metavar="KOD")
    ls.add_argument("--period", metavar="ÅÅÅÅ-MM", help="månaden biståndet avser")
    ls.add_argument("--fran", metavar="ÅÅÅÅ-MM-DD", help="registrerade från och med")
    ls.add_argument("--till", metavar="ÅÅÅÅ-MM-DD", help="registrerade till och med")
    ls.add_argument("--sida", type=int, default=1)
    ls.add_argument("--per-sida", type=int, default=50)
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(func=cmd_list)
    at = rsub.add_parser("atkomst", help="vem som har läst ett beslut, när och hur")
    at.add_argument("id", metavar="ID")
    _log_args(at)
    at.add_argument("--json", action="store_true")
    at.set_defaults(func=cmd_access)
    ex = rsub.add_parser("export", help="en verifierad, konsistent kopia av hela loggen, med ankare")
    ex.add_argument("fil", metavar="FIL")
    _log_args(ex)
    ex.set_defaults(func=cmd_export)
    k = rsub.add_parser("nyckel", help="skriv ut en ny slumpad nyckel (för EKBIST_LOGG_NYCKEL eller EKBIST_JWT_KEY)")
    k.set_defaults(func=cmd_new_key)

    p = sub.add_parser("omprova", help="räkna om ett beslut med dess regler och med dagens; jämför med beslutet")
    p.add_argument("id", metavar="ID")
    _log_args(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_replay)

    p = sub.add_parser("aterkrav", help="underlag för återkrav: räkna om ett beslut med rättade uppgifter")
    p.add_argument("id", metavar="ID")
    p.add_argument("--rattelse", required=True, metavar="FIL", help="hela den rättade ansökan (YAML eller JSON)")
    p.add_argument("--utbetald", metavar="ÅÅÅÅ-MM-DD", help="dagen biståndet betalades ut (annars beslutsdagen)")
    _log_args(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_aterkrav)
