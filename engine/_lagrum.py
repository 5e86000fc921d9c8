"""Legal references rendered the way Swedish decisions cite them."""

from __future__ import annotations

from collections.abc import Mapping

from engine._rulefiles import Forfattning, Hanvisning, Kalla

_ORDINALS = ("första", "andra", "tredje", "fjärde", "femte", "sjätte", "sjunde", "åttonde", "nionde", "tionde")


def _paragraph(par: str) -> str:
    many = any(sep in par for sep in ("–", "-", ",", " och "))
    return f"{par.replace('-', '–')} {'§§' if many else '§'}"


def _statute(sfs: str, statutes: Mapping[str, Forfattning]) -> str:
    f = statutes.get(sfs)
    return f"{f.namn} ({sfs})" if f else f"SFS {sfs}"


def render_reference(ref: Hanvisning, statutes: Mapping[str, Forfattning]) -> str:
    """``12 kap. 7 § första stycket 1 socialtjänstlagen (2025:400)``."""
    parts: list[str] = []
    if ref.kapitel is not None:
        parts.append(f"{ref.kapitel} kap.")
    parts.append(_paragraph(ref.paragraf))
    if ref.stycke is not None:
        parts.append(f"{_ORDINALS[ref.stycke - 1]} stycket")
    if ref.punkt is not None:
        parts.append(str(ref.punkt))
    parts.append(_statute(ref.sfs, statutes))
    text = " ".join(parts)
    if ref.lydelse:
        text += f", i lydelse enligt {ref.lydelse}"
    return text


def render_references(refs: list[Hanvisning], statutes: Mapping[str, Forfattning]) -> list[str]:
    """Cite several paragraphs of one chapter together: ``12 kap. 1, 8 och 9 §§ socialtjänstlagen``."""
    out: list[str] = []
    group: list[Hanvisning] = []

    def flush() -> None:
        if not group:
            return
        if len(group) == 1:
            out.append(render_reference(group[0], statutes))
        else:
            pars = [g.paragraf for g in group]
            joined = ", ".join(pars[:-1]) + " och " + pars[-1]
            chapter = f"{group[0].kapitel} kap. " if group[0].kapitel is not None else ""
            out.append(f"{chapter}{joined} §§ {_statute(group[0].sfs, statutes)}")
        group.clear()

    for ref in refs:
        simple = ref.stycke is None and ref.punkt is None and ref.lydelse is None
        if simple and group and (group[0].sfs, group[0].kapitel) == (ref.sfs, ref.kapitel):
            group.append(ref)
            continue
        flush()
        if simple:
            group.append(ref)
        else:
            out.append(render_reference(ref, statutes))
    flush()
    return out


def render_source(src: Kalla, statutes: Mapping[str, Forfattning]) -> str:
    """A norm value's source: statute paragraph, publication, or both."""
    parts: list[str] = []
    if src.sfs:
        ref = ""
        if src.kapitel is not None:
            ref += f"{src.kapitel} kap. "
        if src.paragraf:
            ref += _paragraph(src.paragraf) + " "
        ref += _statute(src.sfs, statutes)
        if src.lydelse:
            ref += f", i lydelse enligt {src.lydelse}"
        parts.append(ref)
    if src.titel:
        parts.append(src.titel)
    if src.url:
        parts.append(src.url)
    return "; ".join(parts)
