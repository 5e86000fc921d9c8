"""``ekbist hamta`` and ``ekbist ssbtek-fake``: the SSBTEK faces of the command line."""

from __future__ import annotations

import argparse
import sys
import threading
from pathlib import Path
from typing import Any

from engine import SOURCE_NAMES, InputError, Month, Problem
from engine._personnummer import mask
from engine._personnummer import problem as personnummer_problem
from ssbtek._parse import parse_response
from ssbtek.source import SoapConfig, SoapSource, TransportFailure


def cmd_hamta(args: argparse.Namespace) -> int:
    why = personnummer_problem(args.personnummer)
    if why:
        raise InputError([Problem("PERSONNUMMER", why)])
    try:
        month = Month.parse(args.period)
    except ValueError as exc:
        raise InputError([Problem("--period", str(exc))]) from None
    try:
        config = SoapConfig.from_env(args.url)
    except ValueError as exc:
        raise InputError([Problem("--url", str(exc))]) from None
    import engine

    root = Path(args.regelrot) if args.regelrot else engine.default_root()
    start = engine.load_bundle(root).ssbtek_start(month)  # the months the control rules compare with
    source = SoapSource(config)
    try:
        raw = source.fetch_raw(args.personnummer, month, start=start)
    except TransportFailure as exc:
        print(f"SSBTEK svarade inte: {exc}", file=sys.stderr)
        return 1
    finally:
        source.close()
    if args.xml:
        sys.stdout.write(raw.decode("utf-8", errors="replace"))
        return 0
    data = parse_response(raw, "person", args.personnummer)
    print(f"SSBTEK v10 för {mask(args.personnummer)}, period {month} ({month.name_sv()})")
    for kalla, answer in data.sources.items():
        line = f"  {SOURCE_NAMES[kalla]:<24} {answer.status}"
        if answer.status != "svar":
            line += f": {answer.meddelande}"
        else:
            parts = []
            if answer.payments:
                parts.append(f"{len(answer.payments)} utbetalningar, {sum(p.netto for p in answer.payments)} kr")
            if answer.job_seeker is not None and kalla == "AF":
                parts.append("inskriven som arbetssökande" if answer.job_seeker else "inte inskriven som arbetssökande")
            for label, items in (
                ("avstängningar", answer.suspensions),
                ("ärenden", answer.studies),
                ("fordon", answer.vehicles),
                ("kapitaluppgifter", answer.capital),
                ("tillstånd", answer.permits),
            ):
                if items:
                    parts.append(f"{len(items)} {label}")
            if answer.protected:
                parts.append("skyddad identitet")
            line += ": " + (", ".join(parts) if parts else "inga uppgifter")
        print(line)
    return 0


def cmd_fake(args: argparse.Namespace) -> int:
    from ssbtek.fake import serve

    folder = Path(args.katalog)
    if not folder.is_dir():
        raise InputError([Problem("--katalog", f"{folder} är ingen katalog")])
    if args.skriv:
        from ssbtek._build import build_response
        from ssbtek.fake import FakeSsbtek

        if not args.period:
            raise InputError([Problem("--period", "krävs tillsammans med --skriv")])
        person = FakeSsbtek.load_person(folder, args.skriv)
        sys.stdout.write(build_response(person, Month.parse(args.period)).decode("utf-8"))
        return 0
    server = serve(folder, args.host, args.port, cert=args.tls_cert, key=args.tls_key, client_ca=args.klient_ca)
    host, port = str(server.server_address[0]), server.server_address[1]
    scheme = "https" if args.tls_cert else "http"
    print(f"Fejkad SSBTEK v10 på {scheme}://{host}:{port}/ (personer i {folder}); avsluta med Ctrl-C", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        server.shutdown()
    return 0


def register(sub: Any) -> None:
    p = sub.add_parser("hamta", help="fråga SSBTEK om en person och visa vad som kom tillbaka")
    p.add_argument("personnummer", metavar="PERSONNUMMER", help="12 siffror")
    p.add_argument("--period", required=True, metavar="ÅÅÅÅ-MM", help="månaden som söks")
    p.add_argument("--url", help="SSBTEK-adress (annars EKBIST_SSBTEK_URL)")
    p.add_argument("--xml", action="store_true", help="skriv svaret som det kom (XML)")
    p.add_argument(
        "--regelrot", metavar="ROT", help="regelfilerna som anger frågans första månad (standard: projektets)"
    )
    p.set_defaults(func=cmd_hamta)

    p = sub.add_parser("ssbtek-fake", help="starta en lokal fejkad SSBTEK-tjänst för test och demo")
    p.add_argument("--katalog", required=True, help="katalog med syntetiska personer (<personnummer>.yaml)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8089)
    p.add_argument("--tls-cert", help="serverns certifikat (PEM); aktiverar https")
    p.add_argument("--tls-key", help="serverns nyckel (PEM)")
    p.add_argument("--klient-ca", help="kräv klientcertifikat utfärdade av denna CA (ömsesidig TLS)")
    p.add_argument("--skriv", metavar="PERSONNUMMER", help="skriv personens svar som XML i stället för att starta")
    p.add_argument("--period", metavar="ÅÅÅÅ-MM", help="månaden svaret gäller (med --skriv)")
    p.set_defaults(func=cmd_fake)
