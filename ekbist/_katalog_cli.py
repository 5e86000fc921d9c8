"""``ekbist katalog``: the rule catalogue without a server – the law in force on a day, or what changed."""

from __future__ import annotations

import argparse
import errno
from datetime import date
from pathlib import Path
from typing import Any

from ekbist._errors import UsageError


def _day(flag: str, text: str) -> date:
    try:
        if len(text) != 10:
            raise ValueError
        return date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"{flag}: '{text[:20]}' är inget datum på formen ÅÅÅÅ-MM-DD") from None


def _write(path: str, html: str) -> None:
    target = Path(path)
    tmp = target.with_name(target.name + ".tmp")
    try:
        tmp.write_text(html, encoding="utf-8")
        tmp.replace(target)  # never a half-written page
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        why = {errno.ENOENT: "katalogen finns inte", errno.EACCES: "behörighet saknas"}.get(exc.errno or 0, "skrivfel")
        raise UsageError(f"--html: {path} kan inte skrivas ({why})") from None
    print(f"Skrev {path}")


def cmd_katalog(args: argparse.Namespace) -> int:
    import engine
    import katalog

    if (args.fran is None) != (args.till is None):
        raise UsageError("--fran och --till anges tillsammans")
    if args.datum is not None and args.fran is not None:
        raise UsageError("ange antingen --datum eller --fran och --till")
    root = Path(args.regelrot) if args.regelrot else engine.default_root()
    bundle = engine.load_bundle(root)
    try:
        cat = katalog.build(bundle, katalog.load_lagtexter(katalog.lagtext_dir(root)))
    except katalog.LagtextError as exc:
        raise UsageError(str(exc)) from None
    print(f"{cat.namn}, version {cat.version} ({cat.hash})")
    if args.fran is not None:
        a, b = _day("--fran", args.fran), _day("--till", args.till)
        changes = katalog.between(cat, a, b)
        if args.html:
            _write(args.html, katalog.render_changes(cat, a, b, changes))
            return 0
        print(f"Skillnader mellan {a} och {b}: {len(changes) or 'inga'}")
        for c in changes:
            before = (c.fore or "–").replace("\n", " ")
            after = (c.efter or "–").replace("\n", " ")
            short = 160
            before = before if len(before) <= short else before[:short] + "…"
            after = after if len(after) <= short else after[:short] + "…"
            print(f"  {c.typ} {c.id} ({c.vad}): {before} → {after}")
        return 0
    day = _day("--datum", args.datum) if args.datum else date.today()
    view = cat.on(day)
    if args.html:
        _write(args.html, katalog.render_day(view, cat))
        return 0
    rules = view.rules
    print(f"I kraft {day}: {len(rules)} regler, {len(view.norms)} belopp och tal, {len(view.controls)} kontroller")
    for n in view.norms:
        for v in n.values or ():
            shown = v.varde if v.varde is not None else ("tabell" if v.rader else f"saknas: {v.saknas}")
            unit = f" {n.enhet}" if n.enhet and v.varde is not None else ""
            print(f"  {n.id}: {shown}{unit} ({v.giltig_fran}–{v.giltig_till or ''}; {v.kalla})")
        if not n.values:
            print(f"  {n.id}: inget värde inmatat")
    for r in rules:
        refs = "; ".join(c.text for basis in r.lagrum for c in basis.citations) or "konvention"
        print(f"  regel {r.id}: {r.namn} – {refs}")
    return 0


def register(sub: Any) -> None:
    p = sub.add_parser(
        "katalog", help="regelkatalogen: regler och belopp i kraft en dag, eller vad som ändras mellan två dagar"
    )
    p.add_argument("--datum", metavar="ÅÅÅÅ-MM-DD", help="dagen vars regler visas (standard: i dag)")
    p.add_argument("--fran", metavar="ÅÅÅÅ-MM-DD", help="jämför regelverket i kraft denna dag ...")
    p.add_argument("--till", metavar="ÅÅÅÅ-MM-DD", help="... med det i kraft denna dag")
    p.add_argument("--regelrot", metavar="ROT", help="katalog med regelverk/ och normer/ (och gärna lagtext/)")
    p.add_argument("--html", metavar="FIL", help="skriv sidan som HTML, samma som serverns /regelverk")
    p.set_defaults(func=cmd_katalog)
