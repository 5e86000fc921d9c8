"""What the text and HTML renderings share: which trace entries to show, and how to say amounts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine import Month


def period_sv(period: str) -> str:
    """``2026-03`` as ``mars 2026``, in the engine's words."""
    return Month.parse(period).name_sv()


ROLE_SV = {"sokande": "sökande", "medsokande": "medsökande", "barn": "barn"}
SEVERITY_SV = {"info": "information", "kontrollera": "kontrollera", "utred": "utred"}


def kr(value: Any) -> str:
    """``12 345 kr`` with a non-breaking thousands separator."""
    n = int(value)
    sign = "−" if n < 0 else ""
    return f"{sign}{abs(n):,}".replace(",", "\u00a0") + "\u00a0kr"


def amount(entry: Mapping[str, Any]) -> str:
    v = entry.get("varde")
    if isinstance(v, bool):
        return "ja" if v else "nej"
    if entry.get("enhet"):
        return f"{v} {entry['enhet']}"
    if isinstance(v, int):
        return kr(-v if entry.get("avdrag") else v)
    return str(v)


def person_line(p: Mapping[str, Any]) -> str:
    return f"{p['id']} ({ROLE_SV.get(str(p['roll']), p['roll'])}, {p['alder']} år)"


def severity_sv(value: str) -> str:
    return SEVERITY_SV.get(value, value)


OWN_BLOCKS = frozenset({"avvikelser", "statistik"})  # deviations and the suggested hinder have their own blocks


def hinder_lines(result: Mapping[str, Any]) -> list[dict[str, str]]:
    """The suggested försörjningshinder per adult, for the explanation (a suggestion, never a decision)."""
    out = []
    for pid, s in (result.get("forsorjningshinder_forslag") or {}).items():
        code = f"{s['kod']} {s['text']}" if s.get("kod") else "Ingen säker bedömning"
        out.append({"person": str(pid), "kod": code, "skal": str(s.get("skal") or "")})
    return out


def source_sv(code: str) -> str:
    """An agency's abbreviation spelled out (the result keeps the code)."""
    from engine import SOURCE_NAMES

    names = {**SOURCE_NAMES, "ansokan": "ansökan", "berakning": "beräkningen", "foregaende": "föregående beslut"}
    return names.get(code, code)


def deviation_heading(d: Mapping[str, Any]) -> str:
    """``Inte inskriven hos Arbetsförmedlingen (EJ_INSKRIVEN_AF)``: the heading, with the code after it."""
    title = str(d.get("rubrik") or "").strip()
    return f"{title} ({d['kod']})" if title else str(d["kod"])


def change_lines(result: Mapping[str, Any]) -> list[str]:
    """What would change the result (``kontrafaktiskt``), as sentences for the caseworker."""
    cf = result.get("kontrafaktiskt") or {}
    out = []
    zero = cf.get("inkomst_till_noll") or {}
    if zero.get("lon") is not None:
        out.append(f"Försörjningsstödet upphör om sökandens lön ökar med {kr(zero['lon'])} i månaden.")
    if zero.get("ovrig") is not None:
        out.append(f"Det upphör om andra inkomster ökar med {kr(zero['ovrig'])} i månaden.")
    if cf.get("kostnad_utan_andring"):
        out.append(
            f"Boendekostnaden kan öka med {kr(cf['kostnad_utan_andring'])} innan hushållet får försörjningsstöd."
        )
    nxt = cf.get("nasta_manad") or {}
    if "kan_inte_beraknas" in nxt:
        out.append(f"Nästa månad ({nxt['period']}) kan inte beräknas än: {nxt['kan_inte_beraknas']}.")
    elif nxt:
        diff = int(nxt["forsorjningsstod"]) - int(result["forsorjningsstod"])
        if diff:
            what = ", ".join(sorted({c["regel"].lower() for c in nxt.get("andras", [])})[:5])
            sign = "+" if diff > 0 else "−"
            out.append(
                f"Med samma uppgifter blir försörjningsstödet nästa månad ({nxt['period']}) "
                f"{kr(nxt['forsorjningsstod'])} ({sign}{kr(abs(diff))})"
                + (f"; det som ändras: {what}." if what else ".")
            )
        else:
            out.append(f"Med samma uppgifter blir försörjningsstödet detsamma nästa månad ({nxt['period']}).")
    return out


def sections_in_order(result: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Sections as the rule bundle lists them, then any others found in the trace."""
    listed = result.get("avsnitt") or []
    if isinstance(listed, Mapping):  # results stored before the list form
        listed = [{"id": k, "titel": v} for k, v in listed.items()]
    titles = {str(s["id"]): str(s["titel"]) for s in listed}
    order = list(titles)
    for e in result.get("trace", []):
        s = e.get("avsnitt")
        if s and s not in order and s not in OWN_BLOCKS:
            order.append(s)
    return [(s, titles.get(s, s.capitalize())) for s in order]


def visible_entries(result: Mapping[str, Any], section: str) -> list[Mapping[str, Any]]:
    """Entries of a section worth a line: hidden rules and zero amounts for persons are left out."""
    out = []
    for e in result.get("trace", []):
        if e.get("avsnitt") != section or e.get("visas") is False:
            continue
        if e.get("person") is not None and not e.get("varde") and not e.get("visa_noll"):
            continue
        out.append(e)
    return out


def norm_sources(entry: Mapping[str, Any], norms: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """The dated amounts an entry used, with their source: scalars only where actually read."""
    reads = entry.get("indata") or {}
    out = []
    for nid in entry.get("normer", []) or []:
        info = norms.get(nid)
        if info is None:
            continue
        if "varde" in info and f"norm.{nid}" not in reads:
            continue
        text = f"{info['namn']}"
        if "varde" in info and not isinstance(info["varde"], float):
            text += f" {kr(info['varde'])}" if _is_kr(nid) else f" {info['varde']}"
        text += f" – {info['kalla']}"
        if info.get("harledning"):
            text += f"; härlett: {info['harledning']}"
        if info.get("forhandsvisning"):
            text += " (FÖRHANDSVÄRDE)"
        out.append(text)
    return out


def _is_kr(norm_id: str) -> bool:
    return norm_id.startswith("riksnorm") or norm_id == "prisbasbelopp"


def cost_note(post: Mapping[str, Any]) -> str:
    """Why a cost counts with another amount than applied for: a kommun's cap, a second-hand let."""
    notes = []
    if post.get("utan_samtycke"):
        notes.append(f"{kr(post['utan_samtycke'])} för bostad i andra hand utan samtycke räknas inte")
    if "tak" in post:
        if post.get("godkand"):
            notes.append(f"över kommunens tak {kr(post['tak'])}, godkänd efter skälighetsbedömning")
        else:
            notes.append(f"kommunens tak {kr(post['tak'])}")
    if not notes:
        return ""
    return f" (ansökt {kr(post['ansokt'])}; " + "; ".join(notes) + ")"
