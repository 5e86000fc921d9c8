"""The ``ekbist`` command: a thin face over the engine and the explanations.

Exit status: 0 done; 1 ``validera`` or ``testa`` found problems; 2 the input (application,
file, arguments, rule files) could not be used, with a message naming the field; 70 an
internal error, reported in one line (set EKBIST_DEBUG=1 for the traceback).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import engine
from ekbist import _agency as agency_data
from ekbist import golden
from ekbist._argparse_sv import install as install_swedish_argparse
from ekbist._batch_cli import register as register_batch
from ekbist._documents import read_document
from ekbist._errors import Unavailable, UsageError
from ekbist._jamfor_cli import register as register_jamfor
from ekbist._katalog_cli import register as register_katalog
from ekbist._kontrollkorning_cli import register as register_kontrollkorning
from ekbist._server_cli import register as register_server
from ekbist._ssbtek_cli import register as register_ssbtek
from ekbist._statistik_cli import register as register_statistik
from explain import render_text

EXIT_OK, EXIT_FAILED, EXIT_INPUT, EXIT_INTERNAL = 0, 1, 2, 70


def _print_problems(title: str, problems: Sequence[object]) -> None:
    print(title, file=sys.stderr)
    for p in problems:
        print(f"  - {p}", file=sys.stderr)


def _bundle(root: str | None) -> engine.RuleBundle:
    return engine.load_bundle(Path(root) if root else engine.default_root())


def cmd_berakna(args: argparse.Namespace) -> int:
    doc = read_document(args.fil)
    bundle = _bundle(args.regelrot)
    overrides: dict[str, Decimal] = {}
    if args.jamforelsetal is not None:
        overrides["jamforelsetal"] = engine.jamforelsetal(args.jamforelsetal, "--jamforelsetal")
    agency = None
    if args.ssbtek:
        agency = agency_data.from_files(doc.ansokan, args.ssbtek)
    elif args.hamta:
        agency = agency_data.from_soap(doc.ansokan, args.ssbtek_url, bundle)
    if args.anta:
        return _what_if(args, bundle, doc.ansokan, overrides, agency)
    result = bundle.calculate(doc.ansokan, overrides=overrides, agency=agency).to_dict()
    result["kontrafaktiskt"] = engine.counterfactual(bundle, doc.ansokan, overrides)
    if args.html:
        from explain import render_applicant_html, render_html

        page = render_applicant_html(result) if args.for_sokande else render_html(result)
        _write_page(Path(args.html), page)
        print(f"Förklaringen är skriven till {args.html}")
        return EXIT_OK
    if args.json:
        json.dump(result, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(render_text(result))
    return EXIT_OK


def _write_page(path: Path, page: str) -> None:
    if not path.parent.is_dir():
        raise UsageError(f"--html: katalogen {path.parent} finns inte")
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(page, encoding="utf-8")
    os.replace(tmp, path)


def _what_if(
    args: argparse.Namespace, bundle: engine.RuleBundle, application: Any, overrides: dict[str, Decimal], agency: Any
) -> int:
    """``--anta NAMN=VÄRDE``: the base and the alternative computed from the same application."""
    from explain.compare import render_comparison

    raw: dict[str, str] = {}
    for pair in args.anta:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise engine.InputError([engine.Problem("--anta", f"'{pair}' ska skrivas NAMN=VÄRDE")])
        raw[name.strip()] = value.strip()
    assumptions = engine.parse_assumptions(bundle, raw, "--anta")
    base = bundle.calculate(application, overrides=overrides, agency=agency).to_dict()
    alt = bundle.calculate(application, overrides=overrides, agency=agency, assumptions=assumptions).to_dict()
    if args.json:
        out = {"bas": base, "alternativ": alt, "antaganden": assumptions.listed()}
        json.dump(out, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(render_comparison(base, alt, assumptions.listed()))
    return EXIT_OK


def cmd_validera(args: argparse.Namespace) -> int:
    import aterkrav
    import underlag

    root = Path(args.root) if args.root else engine.default_root()
    problems = engine.check_bundle(root)
    if not problems:  # the other rooms' rule files, over the same bundle
        loaded = engine.load_bundle(root)
        problems = aterkrav.check(loaded.files, loaded.manifest.forfattningar)
        problems += underlag.check(loaded.files, loaded.manifest.forfattningar)
    if problems:
        print(f"{len(problems)} problem i regelfilerna under {root}:")
        for p in problems:
            print(f"  {p}")
        return EXIT_FAILED
    from ekbist import _versions

    bundle = engine.load_bundle(root)
    start, end = bundle.validity()
    print(
        f"Regelfilerna är giltiga: {bundle.id} version {bundle.version}, {len(bundle.rules)} regler, "
        f"{len(bundle.norms)} normer, {len(bundle.controls.controls) if bundle.controls else 0} kontroller.\n"
        f"Innehållshash: {bundle.hash}\n"
        f"Beräkningsregler från {start}{f' till {end}' if end else ''} (perioder utan inmatade belopp vägras)."
    )
    state = (_versions.establish if args.faststall else _versions.status)(root, bundle.version, bundle.hash)
    print(("VARNING: " if state.kind == "ändrad" else "") + state.message)
    return EXIT_FAILED if args.faststall and state.kind == "ändrad" else EXIT_OK


def cmd_testa(args: argparse.Namespace) -> int:
    dirs = args.katalog or [str(Path(engine.default_root()) / "tests" / "golden")]
    files = golden.case_files(dirs)
    if not files:
        raise UsageError(f"inga fallfiler (*.yaml, *.json) i {', '.join(dirs)}")
    compute = golden.default_compute(_bundle(args.regelrot))
    failed = 0
    updatable: list[tuple[Path, list[tuple[str, Any, Any]]]] = []
    for path in files:
        outcome = golden.run_case(path, compute)
        if outcome.ok:
            if args.verbose:
                print(f"ok    {path}")
            continue
        failed += 1
        print(f"FEL   {path}: {outcome.name}")
        if outcome.error:
            print(f"      {outcome.error}")
        for key, want, have in outcome.differences:
            print(f"      {key}: förväntat {want}, beräknat {have}")
        if (
            not outcome.error
            and outcome.differences
            and not any(k.startswith("forvantat_fel") for k, _, _ in outcome.differences)
        ):
            updatable.append((path, outcome.differences))
    print(f"{len(files)} fall: {len(files) - failed} godkända, {failed} fel.")
    if args.uppdatera and failed:
        return _update_cases(updatable, failed, args.ja)
    return EXIT_FAILED if failed else EXIT_OK


def _update_cases(updatable: list[tuple[Path, list[tuple[str, Any, Any]]]], failed: int, yes: bool) -> int:
    """``testa --uppdatera``: write the computed values into the case files, after asking."""
    manual = failed - len(updatable)
    if not updatable:
        print("Inga fall kan uppdateras automatiskt (fel som inte är belopp rättas för hand).")
        return EXIT_FAILED
    print(
        f"\n{len(updatable)} fall kan få de beräknade värdena som förväntade"
        + (f"; {manual} måste rättas för hand." if manual else ".")
        + " Kontrollera mot lagtexten att ändringen är avsedd, och rätta beskrivningarna."
    )
    if not yes:
        try:
            answer = input(f"Skriv de beräknade värdena i {len(updatable)} fallfiler? [j/N] ")
        except EOFError:
            answer = ""
        if answer.strip().lower() not in ("j", "ja", "y", "yes"):
            print("Inget ändrat.")
            return EXIT_FAILED
    for path, differences in updatable:
        golden.update_case(path, differences)
        print(f"uppdaterat {path}")
    return EXIT_FAILED if manual else EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    install_swedish_argparse()
    parser = argparse.ArgumentParser(
        prog="ekbist",
        description="Öppen regelmotor för ekonomiskt bistånd (försörjningsstöd).",
    )
    sub = parser.add_subparsers(dest="kommando", metavar="KOMMANDO")
    sub.required = True

    p = sub.add_parser("berakna", help="beräkna en ansökan och visa beräkningsunderlaget")
    p.add_argument("fil", metavar="FIL", help="ansökan som YAML eller JSON (eller ett fall med 'ansokan'); - för stdin")
    p.add_argument("--json", action="store_true", help="skriv resultatet som JSON med spår")
    p.add_argument("--regelrot", metavar="ROT", help="katalog med regelverk/ och normer/ (standard: de som används)")
    p.add_argument(
        "--jamforelsetal",
        metavar="TAL",
        help="förhandsberäkna med ett jämförelsetal som ännu inte är inmatat i normer/ (markeras i spåret)",
    )
    p.add_argument(
        "--ssbtek",
        metavar="PERSON_ID=SVAR.xml",
        action="append",
        default=[],
        help="ett sparat SSBTEK v10-svar för en person i ansökan (kan upprepas)",
    )
    p.add_argument("--hamta", action="store_true", help="hämta uppgifter för de vuxna från SSBTEK (EKBIST_SSBTEK_*)")
    p.add_argument(
        "--anta",
        metavar="NAMN=VÄRDE",
        action="append",
        default=[],
        help="vad händer om: räkna också med ett tillfälligt värde för en norm eller regel (kan upprepas)",
    )
    p.add_argument("--ssbtek-url", metavar="URL", help="SSBTEK-adress (annars EKBIST_SSBTEK_URL)")
    p.add_argument("--html", metavar="UT.html", help="skriv förklaringen som en HTML-sida i stället")
    p.add_argument("--for-sokande", action="store_true", help="med --html: förklaringen för den sökande, på klarspråk")
    p.set_defaults(func=cmd_berakna)

    p = sub.add_parser("validera", help="kontrollera regelfilerna; rapportera varje problem med fil och rad")
    p.add_argument("root", metavar="ROT", nargs="?", help="katalog med regelverk/ och normer/")
    p.add_argument(
        "--faststall",
        action="store_true",
        help="fastställ versionen: skriv version och innehållshash i regelverk/versioner.txt",
    )
    p.set_defaults(func=cmd_validera)

    p = sub.add_parser("testa", help="kör guldfall och visa förväntat mot beräknat för varje fel")
    p.add_argument(
        "katalog", metavar="KATALOG", nargs="*", help="kataloger eller filer med fall (standard: tests/golden)"
    )
    p.add_argument("--regelrot", metavar="ROT", help="katalog med regelverk/ och normer/")
    p.add_argument("-v", "--verbose", action="store_true", help="visa även godkända fall")
    p.add_argument(
        "--uppdatera",
        action="store_true",
        help="skriv beräknade värden som förväntade i fallen som skiljer sig (frågar)",
    )
    p.add_argument("--ja", action="store_true", help="med --uppdatera: fråga inte")
    p.set_defaults(func=cmd_testa)
    register_ssbtek(sub)
    register_server(sub)
    register_jamfor(sub)
    register_batch(sub)
    register_kontrollkorning(sub)
    register_statistik(sub)
    register_katalog(sub)
    _register_extensions(sub)
    return parser


_EXTENSIONS: list[Callable[[Any], None]] = []


def extension(register: Callable[[Any], None]) -> Callable[[Any], None]:
    """Let other faces (the API server, the agency sources) add their subcommands."""
    _EXTENSIONS.append(register)
    return register


def _register_extensions(sub: Any) -> None:
    for register in _EXTENSIONS:
        register(sub)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.func(args)
        return code
    except engine.InputError as exc:
        title = "Ansökan kan inte beräknas:" if args.kommando == "berakna" else f"ekbist {args.kommando}:"
        _print_problems(title, exc.problems)
        if any("'jamforelsetal'" in p.message for p in exc.problems):
            print(
                "Förhandsberäkning innan jämförelsetalet är inmatat: ekbist berakna FIL --jamforelsetal TAL "
                "(resultatet markeras som förhandsberäkning).",
                file=sys.stderr,
            )
        return EXIT_INPUT
    except engine.RuleFileError as exc:
        _print_problems("Regelfilerna kan inte läsas in (kör 'ekbist validera'):", exc.problems)
        return EXIT_INPUT
    except UsageError as exc:
        print(f"ekbist: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except Unavailable as exc:
        print(f"ekbist: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except engine.EvaluationError as exc:
        print(f"Fel i regelfilerna vid beräkningen: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:  # a bug: one clear line, never a traceback unless asked for
        if os.environ.get("EKBIST_DEBUG"):
            traceback.print_exc()
        print(f"ekbist: internt fel ({type(exc).__name__}): {exc}", file=sys.stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
