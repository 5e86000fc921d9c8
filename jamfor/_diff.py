"""What changed between two bundles, value by value and date by date, never file lines.

Norms are compared per dated value (``riksnorm.vuxna.ensamstaende 2026-01-01: 3 940 → 3 990``),
tables per row and column, rules per version (formula, validity) and legal reference; the other
rule files (controls, återkrav, the manifest) per entry where they have ids, else per file.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import engine
from engine._money import format_kr
from engine._yamlsrc import YamlSyntaxError, load_yaml


def _show(value: Any, typ: str = "") -> str:
    if value is None:
        return "(inget)"
    if isinstance(value, bool):
        return "ja" if value else "nej"
    if isinstance(value, int):
        return format_kr(value).replace("\u00a0", " ")
    return str(value).replace(".", ",") if typ == "tal" else str(value)


def _day(d: date | None) -> str:
    return d.isoformat() if d else "tills vidare"


def changes(a: engine.RuleBundle, b: engine.RuleBundle) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    out += _norms(a, b)
    out += _rules(a, b)
    out += _other_files(a.files, b.files)
    return out


def _item(typ: str, ident: str, text: str, **extra: Any) -> dict[str, Any]:
    return {"typ": typ, "id": ident, **extra, "text": text}


def _norms(a: engine.RuleBundle, b: engine.RuleBundle) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for nid in sorted(set(a.norms) | set(b.norms)):
        na, nb = a.norms.get(nid), b.norms.get(nid)
        if na is None or nb is None:
            nd = nb or na
            assert nd is not None
            what = "ny norm" if na is None else "borttagen norm"
            out.append(_item("norm", nid, f"{nid}: {what} ({nd.spec.namn})"))
            continue
        typ = nb.spec.typ
        ea = {e.spec.giltig_fran: e for e in na.entries}
        eb = {e.spec.giltig_fran: e for e in nb.entries}
        for day in sorted(set(ea) | set(eb)):
            x, y = ea.get(day), eb.get(day)
            where = f"{nid} {day}"
            if x is None or y is None:
                shown = _entry_value(y if x is None else x, typ)
                verb = "nytt värde" if x is None else "borttaget värde"
                out.append(_item("norm", nid, f"{where}: {verb} {shown}", giltig_fran=day.isoformat()))
                continue
            out += _entry_changes(nid, typ, day, x, y, list(nb.spec.kolumner or ()))
    return out


def _entry_value(e: Any, typ: str) -> str:
    if e.spec.harleds is not None:
        return f"härlett: {' '.join(e.spec.harleds.formel.split())}"
    if e.spec.rader is not None:
        return f"tabell med {len(e.spec.rader)} rader"
    return _show(_plain(e.spec.varde), typ)


def _entry_changes(nid: str, typ: str, day: date, x: Any, y: Any, columns: list[str]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    base = {"giltig_fran": day.isoformat()}
    where = f"{nid} {day}"
    if x.spec.varde != y.spec.varde:
        fore, efter = _plain(x.spec.varde), _plain(y.spec.varde)
        text = f"{where}: {_show(fore, typ)} → {_show(efter, typ)}"
        out.append(_item("norm", nid, text, **base, falt="varde", fore=fore, efter=efter))
    if x.spec.rader != y.spec.rader and x.spec.rader is not None and y.spec.rader is not None:
        key = columns[0] if columns else None
        rows_x = {str(r.get(key)): r for r in x.spec.rader} if key else {}
        rows_y = {str(r.get(key)): r for r in y.spec.rader} if key else {}
        for k in sorted(set(rows_x) | set(rows_y), key=lambda s: (len(s), s)):
            rx, ry = rows_x.get(k), rows_y.get(k)
            if rx is None or ry is None:
                verb = "ny rad" if rx is None else "borttagen rad"
                out.append(_item("norm", nid, f"{where}: {verb} {key}={k}", **base, falt="rader"))
                continue
            for c in columns[1:]:
                if rx.get(c) != ry.get(c):
                    fore, efter = _plain(rx.get(c)), _plain(ry.get(c))
                    text = f"{where}, rad {key}={k}, {c}: {_show(fore, 'belopp')} → {_show(efter, 'belopp')}"
                    out.append(_item("norm", nid, text, **base, falt=f"rader[{key}={k}].{c}", fore=fore, efter=efter))
    if (x.spec.harleds is None) != (y.spec.harleds is None) or (
        x.spec.harleds is not None and y.spec.harleds is not None and x.spec.harleds.formel != y.spec.harleds.formel
    ):
        text = f"{where}: {_entry_value(x, typ)} → {_entry_value(y, typ)}"
        out.append(_item("norm", nid, text, **base, falt="harleds"))
    if x.spec.giltig_till != y.spec.giltig_till:
        text = f"{where}: giltig till {_day(x.spec.giltig_till)} → {_day(y.spec.giltig_till)}"
        out.append(_item("norm", nid, text, **base, falt="giltig_till"))
    if x.source_text != y.source_text:
        text = f"{where}: källa {x.source_text} → {y.source_text}"
        out.append(_item("norm", nid, text, **base, falt="kalla"))
    return out


def _rules(a: engine.RuleBundle, b: engine.RuleBundle) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for rid in sorted(set(a.rules) | set(b.rules)):
        ra, rb = a.rules.get(rid), b.rules.get(rid)
        if ra is None or rb is None:
            rd = rb or ra
            assert rd is not None
            out.append(
                _item("regel", rid, f"{rid}: {'ny regel' if ra is None else 'borttagen regel'} ({rd.spec.namn})")
            )
            continue
        va = {v.giltig_fran: v for v in ra.spec.versioner}
        vb = {v.giltig_fran: v for v in rb.spec.versioner}
        for day in sorted(set(va) | set(vb)):
            x, y = va.get(day), vb.get(day)
            where = f"{rid} version {day}"
            if x is None or y is None:
                v = y if x is None else x
                assert v is not None
                verb = "ny version" if x is None else "borttagen version"
                out.append(_item("regel", rid, f"{where}: {verb}: {' '.join(v.formel.split())}", giltig_fran=str(day)))
                continue
            if " ".join(x.formel.split()) != " ".join(y.formel.split()):
                text = f"{where}: formeln {' '.join(x.formel.split())} → {' '.join(y.formel.split())}"
                out.append(_item("regel", rid, text, giltig_fran=str(day), falt="formel"))
            if x.giltig_till != y.giltig_till:
                text = f"{where}: giltig till {_day(x.giltig_till)} → {_day(y.giltig_till)}"
                out.append(_item("regel", rid, text, giltig_fran=str(day), falt="giltig_till"))
        if ra.spec.lagrum != rb.spec.lagrum:
            out.append(_item("regel", rid, f"{rid}: lagrummet har ändrats", falt="lagrum"))
    return out


def _other_files(fa: Mapping[str, str], fb: Mapping[str, str]) -> list[dict[str, Any]]:
    """Control rules, återkrav rules and the manifest: per entry with an id, else per file."""
    out: list[dict[str, Any]] = []
    names = sorted(
        n for n in set(fa) | set(fb) if not n.startswith("regelverk/berakning/") and not n.startswith("normer/")
    )
    for name in names:
        if fa.get(name) == fb.get(name):
            continue
        if name not in fa or name not in fb:
            out.append(_item("fil", name, f"{name}: {'ny fil' if name not in fa else 'borttagen fil'}"))
            continue
        da, db = _parsed(name, fa[name]), _parsed(name, fb[name])
        if da == db:
            continue  # comments or layout only
        if name == "regelverk/regelverk.yaml" and isinstance(da, dict) and isinstance(db, dict):
            for key in sorted(set(da) | set(db)):
                x, y = da.get(key), db.get(key)
                if x != y:
                    simple = all(isinstance(v, str | int | float | type(None)) for v in (x, y))
                    text = f"{name}: {key} {x} → {y}" if simple else f"{name}: {key} ändrad"
                    out.append(_item("manifest", key, text, fore=x if simple else None, efter=y if simple else None))
            continue
        entries = _by_id(da), _by_id(db)
        if entries[0] is None or entries[1] is None:
            out.append(_item("fil", name, f"{name}: ändrad"))
            continue
        for ident in sorted(set(entries[0]) | set(entries[1])):
            x, y = entries[0].get(ident), entries[1].get(ident)
            if x == y:
                continue
            verb = "ny" if x is None else "borttagen" if y is None else "ändrad"
            fields = sorted(k for k in set(x or {}) | set(y or {}) if (x or {}).get(k) != (y or {}).get(k))
            detail = f" ({', '.join(fields)})" if x is not None and y is not None else ""
            out.append(_item("kontroll" if "kontroll" in name else "fil", ident, f"{name}: {ident} {verb}{detail}"))
    return out


def _parsed(name: str, text: str) -> Any:
    try:
        return load_yaml(text, name).data
    except YamlSyntaxError:
        return text


def _by_id(data: Any) -> dict[str, Any] | None:
    if isinstance(data, dict):
        for key in ("kontroller", "formaner", "grunder"):
            items = data.get(key)
            if isinstance(items, list) and all(isinstance(i, dict) for i in items):
                out = {str(i.get("id") or i.get("kod") or n): i for n, i in enumerate(items)}
                rest = {k: v for k, v in data.items() if k != key}
                if rest:
                    out["(övrigt)"] = rest
                return out
    return None


def _plain(v: Any) -> Any:
    from decimal import Decimal

    if isinstance(v, Decimal):
        i = int(v)
        return i if i == v else float(v)
    return v
