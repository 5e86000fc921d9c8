"""What differs in the law in force between two days of one bundle: rules, amounts, controls, statute text.

Both days are read from the same catalogue (:meth:`Catalogue.on`), so a change shows exactly where the
pages for the two days differ: a rule's formula or legal basis, an amount's value or its source, a
control coming into or going out of force, a new wording of a cited paragraph.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from katalog._lagtext import Wording
from katalog._model import Basis, Catalogue, NormView, ValueView, control_anchor, norm_anchor, rule_anchor


@dataclass(frozen=True)
class Change:
    """One difference: what it concerns (``regel``, ``belopp``, ``kontroll``, ``lagtext``), before and after."""

    typ: str
    id: str
    namn: str
    ankare: str  # where it is on the page for the later day
    vad: str
    fore: str | None
    efter: str | None


def _basis_text(bases: tuple[Basis, ...]) -> str | None:
    parts: list[str] = []
    for b in bases:
        parts.extend(c.text for c in b.citations)
        if b.konvention:
            parts.append(f"Konvention: {b.konvention}")
    return "; ".join(parts) or None


def _value_text(n: NormView) -> str | None:
    if not n.values:
        return None
    v: ValueView = n.values[0]
    if v.saknas:
        return "värde saknas"
    if v.rader:
        return "; ".join(", ".join(f"{c} {x}" for c, x in zip(v.kolumner, row, strict=True)) for row in v.rader)
    unit = f" {n.enhet}" if n.enhet else ""
    return f"{v.varde}{unit}" if v.varde is not None else None


def _wording_text(ws: list[Wording]) -> str | None:
    return "\n\n".join(b.text for w in ws for b in w.stycken) or None


def between(catalogue: Catalogue, fran: date, till: date) -> list[Change]:
    """Every difference between the law in force on ``fran`` and on ``till``."""
    a, b = catalogue.on(fran), catalogue.on(till)
    out: list[Change] = []
    rules_a = {r.id: r for r in a.rules}
    rules_b = {r.id: r for r in b.rules}
    for rid in [r.id for r in catalogue.rules if r.id in rules_a or r.id in rules_b]:
        ra, rb = rules_a.get(rid), rules_b.get(rid)
        r = rb or ra
        assert r is not None
        anchor = rule_anchor(rid)
        if ra is None or rb is None:
            what = "gäller inte" if rb is None else "börjar gälla"
            out.append(Change("regel", rid, r.namn, anchor, what, None if ra is None else "gäller", what))
            continue
        fa, fb = ra.versions[0].formel.text, rb.versions[0].formel.text
        if fa != fb:
            out.append(Change("regel", rid, r.namn, anchor, "formel", fa, fb))
        la, lb = _basis_text(ra.lagrum), _basis_text(rb.lagrum)
        if la != lb:
            out.append(Change("regel", rid, r.namn, anchor, "lagrum", la, lb))
    norms_a = {n.id: n for n in a.norms}
    norms_b = {n.id: n for n in b.norms}
    for nid in sorted(set(norms_a) | set(norms_b)):
        na, nb = norms_a.get(nid), norms_b.get(nid)
        n = nb or na
        assert n is not None
        va = _value_text(na) if na else None
        vb = _value_text(nb) if nb else None
        if va != vb:
            out.append(Change("belopp", nid, n.namn, norm_anchor(nid), "värde", va, vb))
        ka = na.values[0].kalla if na and na.values else None
        kb = nb.values[0].kalla if nb and nb.values else None
        if ka != kb and va == vb:
            out.append(Change("belopp", nid, n.namn, norm_anchor(nid), "källa", ka, kb))
    controls_a = {c.id: c for c in a.controls}
    controls_b = {c.id: c for c in b.controls}
    for cid in [c.id for c in catalogue.controls if c.id in controls_a or c.id in controls_b]:
        ca, cb = controls_a.get(cid), controls_b.get(cid)
        if (ca is None) != (cb is None):
            c = cb or ca
            assert c is not None
            what = "börjar gälla" if ca is None else "gäller inte"
            out.append(Change("kontroll", cid, f"{c.kod}: {c.namn}", control_anchor(cid), what, None, what))
        elif ca is not None and cb is not None and _basis_text(ca.lagrum) != _basis_text(cb.lagrum):
            out.append(
                Change(
                    "kontroll",
                    cid,
                    f"{ca.kod}: {ca.namn}",
                    control_anchor(cid),
                    "lagrum",
                    _basis_text(ca.lagrum),
                    _basis_text(cb.lagrum),
                )
            )
    out += _statute_changes(catalogue, a, b)
    return out


def _statute_changes(catalogue: Catalogue, a: Catalogue, b: Catalogue) -> list[Change]:
    """Paragraphs cited on either day whose wording in force differs between the two days."""
    texts = catalogue.lagtexter
    if texts is None or a.dag is None or b.dag is None:
        return []
    cited: dict[tuple[str, int | None, str], None] = {}
    for cat in (a, b):
        for w, _ in cat.wordings():
            cited[(w.sfs, w.kapitel, w.paragraf)] = None
    out: list[Change] = []
    for sfs, kapitel, paragraf in sorted(cited, key=lambda k: (k[0], k[1] or 0)):
        wa = texts.in_force(sfs, kapitel, paragraf, a.dag)
        wb = texts.in_force(sfs, kapitel, paragraf, b.dag)
        if [w.anchor for w in wa] == [w.anchor for w in wb]:
            continue
        w = (wb or wa)[0]
        what = "ny lydelse" if wa and wb else ("träder i kraft" if wb else "upphör att gälla")
        out.append(
            Change(
                "lagtext",
                f"{sfs} {w.label}",
                f"{w.label} ({sfs})",
                w.anchor,
                what,
                _wording_text(wa),
                _wording_text(wb),
            )
        )
    return out
