"""Reading a real SSBTEK v10 answer (``hamtaBastjanstInformationResponse``) for one person.

Every source is validated on its own against the shipped XSDs, so that one malformed source
becomes a clear error about that source while the others are still read. Payloads follow each
agency's format: FK/PM as base64 LEFI JSON, CSN as base64 XML (validated against CSN's own
schema), SKV as an XML string, AF, SO, TNS and MIV inline.
"""

from __future__ import annotations

import base64
import binascii
import copy
import dataclasses
import json
import re
from collections.abc import Callable, Iterable
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from lxml import etree

from engine import SOURCES, PersonAgencyData, SourceAnswer
from engine._agency import CapitalIncome, PartAnswer, Payment, Permit, StudySupport, Suspension, Vehicle
from ssbtek._schemas import (
    NS_AF,
    NS_CSN,
    NS_CSN_PERSON,
    NS_CSN_SM,
    NS_CSN_TYPES,
    NS_FORDON,
    NS_SO,
    NS_SOAP,
    NS_SSBT,
    NS_TNS,
    csn_schema,
    last_error,
    safe_parser,
    ssbt_schema,
)

ELEMENT_ORDER = ("AF", "CSN", "FK", "SKV", "SO", "TNS", "MIV")  # as in SammansattBastjanstSvarData


class PayloadError(ValueError):
    """A source's payload cannot be read; the message is for a caseworker."""


def _q(ns: str, name: str) -> str:
    return f"{{{ns}}}{name}"


def _local(tag: Any) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else str(tag)


def parse_response(data: bytes | str, person: str, personnummer: str | None) -> PersonAgencyData:
    """Read an answer about ``personnummer``, attached to the application's ``person``.

    Never raises for bad agency data: a bad source is marked ``ogiltigt``, and a source whose
    payload is about someone else (or cannot be tied to the person) is refused (``fel``,
    :data:`OTHER_PERSON`), so that another person's income can never become this person's.
    """
    raw = data.encode("utf-8") if isinstance(data, str) else data
    try:
        root = _safe_parse(raw)
    except PayloadError as exc:
        return _all(person, "ogiltigt", "XML", f"svaret från SSBTEK kan inte läsas: {exc}")
    out = _parse_root(root, person)
    return bind(out, personnummer, _asked(root))


OTHER_PERSON = "ANNAN_PERSON"
UNBOUND = "OIDENTIFIERAD"


def _asked(root: Any) -> list[str]:
    """The identity SSBTEK echoes from the question (``fraga``), when the answer carries it."""
    response = root
    if root.tag == _q(NS_SOAP, "Envelope"):
        body = root.find(_q(NS_SOAP, "Body"))
        response = body[0] if body is not None and len(body) else root
    path = f"{_q(NS_SSBT, 'fraga')}/{_q(NS_SSBT, 'generellaFrageparametrar')}/{_q(NS_SSBT, 'personidentitet')}"
    return [(e.text or "").strip() for e in response.findall(path)]


def same_person(found: str, personnummer: str) -> bool:
    """A 10-digit number (CSN, some LEFI fields) is compared without the century."""
    digits = "".join(c for c in found if c.isdigit())
    return digits == personnummer if len(digits) == 12 else len(digits) == 10 and digits == personnummer[2:]


def bind(data: PersonAgencyData, personnummer: str | None, asked: list[str]) -> PersonAgencyData:
    """Keep only what is shown to be about ``personnummer``; refuse the rest per source, saying why."""
    if personnummer is None:
        why = "personnummer saknas i ansökan; svaret kan inte knytas till personen"
        return _refuse(data, lambda _: ("PERSONNUMMER", why))
    other = "svaret gäller en annan person än den det är angivet för (personnumret i svaret stämmer inte)"
    if any(not same_person(a, personnummer) for a in asked):
        return _refuse(data, lambda _: (OTHER_PERSON, other))
    answered = {k: a for k, a in data.sources.items() if a.answered}
    wrong = {k for k, a in answered.items() if any(not same_person(i, personnummer) for i in a.identiteter)}
    shown = bool(asked) or any(a.identiteter and k not in wrong for k, a in answered.items())

    def verdict(a: SourceAnswer) -> tuple[str, str] | None:
        if a.kalla in wrong:
            return OTHER_PERSON, other
        if not a.identiteter and wrong:  # the answer names someone else elsewhere: this part goes with it
            return OTHER_PERSON, "svaret gäller en annan person (andra delar av samma svar namnger någon annan)"
        if not a.identiteter and not shown:
            return UNBOUND, "svaret visar inte vems uppgifterna är och kan inte knytas till personen"
        return None

    return _refuse(data, verdict)


def _refuse(data: PersonAgencyData, verdict: Callable[[SourceAnswer], tuple[str, str] | None]) -> PersonAgencyData:
    out = PersonAgencyData(data.person)
    for kalla, a in data.sources.items():
        v = verdict(a) if a.answered else None
        out.sources[kalla] = a if v is None else SourceAnswer(kalla, "fel", v[0], v[1])
    return out


def _safe_parse(raw: bytes) -> Any:
    """XML without DOCTYPE or entities (refused before parsing, and checked after)."""
    if b"<!DOCTYPE" in raw or b"<!ENTITY" in raw:
        raise PayloadError("svaret innehåller en DOCTYPE eller entitetsdeklaration, vilket aldrig tas emot")
    try:
        root = etree.fromstring(raw, parser=safe_parser())
    except etree.XMLSyntaxError as exc:
        raise PayloadError(f"inte giltig XML: {exc.msg} (rad {exc.lineno})") from None
    docinfo: Any = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or any(isinstance(e, etree._Entity) for e in root.iter()):
        raise PayloadError("svaret innehåller en DOCTYPE eller entitetsreferens, vilket aldrig tas emot")
    return root


def _parse_root(root: Any, person: str) -> PersonAgencyData:
    if root.tag == _q(NS_SOAP, "Envelope"):
        body = root.find(_q(NS_SOAP, "Body"))
        if body is None or len(body) == 0:
            return _all(person, "ogiltigt", "SOAP", "SOAP-meddelandet saknar Body")
        root = body[0]
        if root.tag == _q(NS_SOAP, "Fault"):
            text = root.findtext("faultstring") or "okänt fel"
            return _all(person, "fel", "SOAP-FAULT", f"SSBTEK svarade med ett fel: {text}")
    expected = _q(NS_SSBT, "hamtaBastjanstInformationResponse")
    if root.tag != expected:
        qn = etree.QName(root.tag) if isinstance(root.tag, str) else etree.QName("okänd")
        return _all(
            person,
            "ogiltigt",
            "NAMNRYMD",
            f"väntade elementet hamtaBastjanstInformationResponse i namnrymden {NS_SSBT}, "
            f"fick {qn.localname} i namnrymden {qn.namespace or '(ingen)'}",
        )
    svarsdata = root.find(_q(NS_SSBT, "svarsdata"))
    if svarsdata is None:
        return _all(person, "ogiltigt", "XSD", "svaret saknar elementet svarsdata")

    skeleton = copy.deepcopy(root)
    skel_data = skeleton.find(_q(NS_SSBT, "svarsdata"))
    assert skel_data is not None
    for child in list(skel_data):
        skel_data.remove(child)
    problem = _validate(skeleton)
    if problem:
        return _all(person, "ogiltigt", "XSD", f"svaret följer inte SSBTEK v10-schemat: {problem}")

    out = PersonAgencyData(person)
    for element in svarsdata:
        if not isinstance(element.tag, str):
            continue  # comments
        name = _local(element.tag)
        if etree.QName(element).namespace != NS_SSBT or name not in ELEMENT_ORDER:
            return _all(person, "ogiltigt", "XSD", f"okänt element {name} i svarsdata")
        skel_data.append(copy.deepcopy(element))
        problem = _validate(skeleton)
        skel_data.remove(skel_data[-1])
        targets = ("FK", "PM") if name == "FK" else (name,)
        skipped: list[str] = []
        if problem and name in ROW_CHECKS:
            # One bad row must not void the source: drop the rows whose values break the schema, say which
            # and why, and take the rest if it is valid then.
            pruned = copy.deepcopy(element)
            skipped = _prune_rows(pruned, ROW_CHECKS[name])
            if skipped:
                skel_data.append(pruned)
                problem = _validate(skeleton)
                skel_data.remove(skel_data[-1])
                element = pruned
        if problem:
            for t in targets:
                out.sources[t] = SourceAnswer(t, "ogiltigt", "XSD", f"svaret följer inte schemat: {problem}")
            continue
        for answer in _read_source(name, element):
            if skipped and answer.answered:
                answer = dataclasses.replace(answer, radfel=(*skipped, *answer.radfel))
            out.sources[answer.kalla] = answer
    for s in SOURCES:
        out.sources.setdefault(s, SourceAnswer(s, "saknas", "", "källan finns inte med i svaret"))
    return out


# -- rows whose values break the schema ---------------------------------------------------------

_XS_DATE = re.compile(r"^-?\d{4,}-\d{2}-\d{2}(Z|[+-]\d{2}:\d{2})?$")
_XS_DECIMAL = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_CSN_DATE = re.compile(r"^[0-9]{1,8}$")
_CSN_AMOUNT = re.compile(r"^-?[0-9]{1,7}$")
MAX_PRUNED = 200  # more bad rows than that and the source is not worth reading row by row


def _xs_date(text: str) -> bool:
    if not _XS_DATE.match(text):
        return False
    try:
        date.fromisoformat(text.lstrip("-")[:10])
    except ValueError:
        return False
    return True


@dataclasses.dataclass(frozen=True)
class RowCheck:
    """Which elements are rows, the name of the group a row belongs to, and each value's check."""

    row: str
    group: str
    group_name: str  # child of the group that names it (an a-kassa's name), or "" to use the group's tag
    fields: tuple[tuple[str, Callable[[str], bool], str], ...]  # element, check, what it must be


ROW_CHECKS = {
    "SO": RowCheck(
        "Utbetalningar",
        "Arbetsloshetsersattning",
        "SvarandeOrganisation",
        (
            ("Utbetalningsdatum", _xs_date, "ett datum"),
            ("NettoEfterSkatt", lambda t: bool(_XS_DECIMAL.match(t)), "ett belopp"),
            ("NettoEfterAvdrag", lambda t: bool(_XS_DECIMAL.match(t)), "ett belopp"),
            ("Ersattningsdagar", lambda t: bool(_XS_DECIMAL.match(t)), "ett tal"),
            ("AvserFrom", _xs_date, "ett datum"),
            ("AvserTom", _xs_date, "ett datum"),
        ),
    )
}
CSN_ROW = RowCheck(
    "Utbetalning",
    "Arende",
    "",
    (
        ("utbetdatum", lambda t: bool(_CSN_DATE.match(t)), "ett datum (ååååmmdd) eller 0"),
        ("utbetstatus", lambda t: bool(t), "en status"),
        ("totbelopp", lambda t: bool(_CSN_AMOUNT.match(t)), "ett belopp i hela kronor"),
    ),
)


def _prune_rows(root: Any, check: RowCheck) -> list[str]:
    """Remove the rows with a missing or malformed value; what was removed, for the caseworker.

    Only the rows' own values are judged; anything else wrong stays for the schema to refuse.
    """
    found: list[str] = []
    groups = [e for e in root.iter() if isinstance(e.tag, str) and _local(e.tag) == check.group]
    counts: dict[str, int] = {}
    for group in groups:
        label = _group_label(group, check, counts)
        rows = [e for e in group.iter() if isinstance(e.tag, str) and _local(e.tag) == check.row]
        for n, row in enumerate(rows, 1):
            why = next(
                (
                    f"{name} {'saknas' if value is None else repr(value.strip()) + ' är inte ' + what}"
                    for name, ok, what in check.fields
                    for value in [_child_text(row, name)]
                    if value is None or not ok(value.strip())
                ),
                None,
            )
            if why is None:
                continue
            if len(found) >= MAX_PRUNED:
                return []
            found.append(f"{label} utbetalning {n}: {why}; raden räknades inte")
            parent = row.getparent()
            if parent is not None:
                parent.remove(row)
    return found


def _group_label(group: Any, check: RowCheck, counts: dict[str, int]) -> str:
    """An a-kassa by its name; a CSN ärende as the reader numbers it (``Studiemedel ärende 2``)."""
    if check.group_name:
        return _text(group, check.group_name) or "a-kassa"
    holder = group.getparent()
    tree = holder.getparent() if holder is not None else None
    name = _local(tree.tag) if tree is not None else "CSN"
    counts[name] = counts.get(name, 0) + 1
    return f"{name} ärende {counts[name]}"


def _child_text(element: Any, name: str) -> str | None:
    for child in element:
        if isinstance(child.tag, str) and _local(child.tag) == name:
            return child.text or ""
    return None


def _all(person: str, status: Any, code: str, message: str) -> PersonAgencyData:
    return PersonAgencyData(person, {s: SourceAnswer(s, status, code, message) for s in SOURCES})


def _validate(doc: Any) -> str | None:
    schema = ssbt_schema()
    if schema.validate(doc):
        return None
    return _clean(last_error(schema))


def _clean(message: str) -> str:
    for ns in (NS_SSBT, NS_AF, NS_SO, NS_TNS, NS_FORDON, NS_CSN, NS_CSN_PERSON, NS_CSN_TYPES, NS_CSN_SM):
        message = message.replace("{" + ns + "}", "")
    return message


def _read_source(name: str, element: Any) -> Iterable[SourceAnswer]:
    error = element.find(_q(NS_SSBT, "error"))
    targets = ("FK", "PM") if name == "FK" else (name,)
    if error is not None:
        kalla = error.findtext(_q(NS_SSBT, "kalla")) or ""
        code = error.findtext(_q(NS_SSBT, "felkod")) or ""
        texts = [t.text or "" for t in error.findall(_q(NS_SSBT, "felmeddelande"))]
        origin = "den sammansatta tjänsten (t.ex. tidsgräns)" if kalla == "SSBT" else "myndighetens tjänst"
        message = f"fel från {origin}, felkod {code}: {'; '.join(t for t in texts if t)}"
        return [SourceAnswer(t, "fel", code, message) for t in targets]
    data = element.find(_q(NS_SSBT, "data"))
    assert data is not None  # guaranteed by the schema choice
    try:
        return READERS[name](data)
    except PayloadError as exc:
        return [SourceAnswer(t, "ogiltigt", "INNEHALL", str(exc)) for t in targets]
    except Exception as exc:  # agency data never stops a calculation: the source is unreadable
        why = f"svaret kunde inte läsas ({type(exc).__name__})"
        return [SourceAnswer(t, "ogiltigt", "INNEHALL", why) for t in targets]


# -- helpers ---------------------------------------------------------------------------------


def _date(text: str | None, what: str) -> date:
    if not text:
        raise PayloadError(f"{what} saknas")
    t = text.strip()
    try:
        if len(t) == 8 and t.isdigit():
            return date(int(t[:4]), int(t[4:6]), int(t[6:]))
        return date.fromisoformat(t[:10])
    except ValueError:
        raise PayloadError(f"{what}: '{text}' är inget datum") from None


def _opt_date(text: str | None) -> date | None:
    try:
        return _date(text, "datum") if text and text.strip() not in ("", "0") else None
    except PayloadError:
        return None


def _kr(value: Any, what: str) -> int:
    try:
        return int(Decimal(str(value)).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    except (InvalidOperation, ValueError):
        raise PayloadError(f"{what}: '{value}' är inget belopp") from None


def _bool(text: str | None) -> bool | None:
    if text is None:
        return None
    return text.strip().lower() in ("true", "1")


# -- FK and PM: LEFI JSON ------------------------------------------------------------------------


def _read_fk(data: Any) -> list[SourceAnswer]:
    encoded = data.findtext(_q(NS_SSBT, "lefiJsonSvar")) or ""
    try:
        obj = json.loads(base64.b64decode(encoded, validate=True))
    except (binascii.Error, ValueError) as exc:
        raise PayloadError(f"LEFI-svaret (base64-kodad JSON) går inte att läsa: {exc}") from None
    if not isinstance(obj, dict):
        raise PayloadError("LEFI-svaret är inte ett JSON-objekt")
    states: dict[str, tuple[str, str]] = {}
    for u in obj.get("utlamnare") or []:
        kod = ((u or {}).get("utlamnare") or {}).get("kod")
        till = (u or {}).get("tillstand") or {}
        if kod in ("FK", "PM"):
            states[kod] = (str(till.get("kod", "")), str(till.get("beskrivning", "")))
    deviations = _lefi_deviations(obj.get("avvikelser"))
    fi = obj.get("formansinformation") or {}
    if not isinstance(fi, dict):
        raise PayloadError("formansinformation är inte ett objekt")
    skipped: dict[str, list[str]] = {"FK": [], "PM": []}
    fk_pay: list[Payment] = []
    for key, prelim in (("utbetalningsuppgift", False), ("preliminarautbetalningar", True)):
        fk_pay.extend(_rows(fi.get(key), f"formansinformation.{key}", skipped["FK"], _fk_row, prelim))
    pm_pay: list[Payment] = []
    for key, prelim in (("utbetalningar", False), ("preliminaraUtbetalningar", True)):
        pm_pay.extend(_rows(obj.get(key), key, skipped["PM"], _pm_row, prelim))
    people = [p for p in fi.get("generellPersoninformation") or [] if isinstance(p, dict)]
    protected = any(bool(p.get("skyddad")) for p in people)
    ids = tuple(str(p["personnummer"]) for p in people if p.get("personnummer"))
    out = []
    for kalla, pays in (
        ("FK", [p for p in fk_pay if p.kalla == "FK"]),
        ("PM", pm_pay + [p for p in fk_pay if p.kalla == "PM"]),
    ):
        state = states.get(kalla)
        if state is not None and state[0] != "OK":
            out.append(
                SourceAnswer(kalla, "fel", state[0], f"{kalla} är inte tillgänglig i LEFI: {state[1] or state[0]}")
            )
            continue
        if deviations:
            out.append(
                SourceAnswer(
                    kalla,
                    "fel",
                    "AVVIKELSE",
                    "LEFI-svaret är ofullständigt: " + deviations,
                    payments=tuple(pays),
                    protected=protected,
                    identiteter=ids,
                )
            )
            continue
        out.append(
            SourceAnswer(
                kalla,
                "svar",
                payments=tuple(pays),
                radfel=tuple(skipped[kalla]),
                protected=protected,
                identiteter=ids,
            )
        )
    return out


def _rows(
    items: Any, where: str, skipped: list[str], read: Callable[[Any, bool], list[Payment]], prelim: bool
) -> list[Payment]:
    """Every readable row of a list; a bad row is skipped and reported (which row, why), the rest kept."""
    if items is None:
        return []
    if not isinstance(items, list):
        skipped.append(f"{where}: är inte en lista och kan inte läsas")
        return []
    out: list[Payment] = []
    for i, item in enumerate(items, 1):
        try:
            if not isinstance(item, dict):
                raise PayloadError("raden är inte ett objekt")
            out.extend(read(item, prelim))
        except PayloadError as exc:
            skipped.append(f"{where} rad {i}: {exc}")
    return out


def _code(value: Any) -> str:
    """A LEFI code object's code (``kod`` or ``id``); a bare string is its own code."""
    if isinstance(value, dict):
        return str(value.get("kod") or value.get("id") or "").strip()
    return str(value or "").strip()


def _label(value: Any) -> str:
    if isinstance(value, dict):
        return str(value.get("beskrivning") or "").strip() or _code(value)
    return _code(value)


def _fk_row(u: dict[str, Any], prelim: bool) -> list[Payment]:
    fam = u.get("formansfamilj") or {}
    ident = _code(fam).removeprefix("FK:")
    code = f"FK:{ident or '?'}"
    details = u.get("utbetalningsdetalj") or []
    one = details[0] if isinstance(details, list) and len(details) == 1 and isinstance(details[0], dict) else {}
    net = u.get("nettobelopp")
    if not isinstance(net, dict) or net.get("summa") in (None, ""):
        raise PayloadError("nettobelopp saknas")
    return [
        Payment(
            kalla="PM" if str(u.get("foretag")) == "1003" else "FK",
            kod=code,
            text=str(fam.get("beskrivning") or "").strip() or code if isinstance(fam, dict) else code,
            datum=_date(u.get("datum"), "datum"),
            netto=_kr(net.get("summa"), "nettobelopp"),
            preliminar=prelim,
            delforman=_label(one.get("forman")),
            beloppstyp=_code(one.get("beloppstyp")),
        )
    ]


def _pm_row(u: dict[str, Any], prelim: bool) -> list[Payment]:
    """A Pensionsmyndigheten payment; one over several benefits is split by its rows (convention).

    The net amount is shared in proportion to the rows' gross amounts (``belopp``), whole kronor,
    the last benefit taking the rounding, so the parts add up to what was paid. A payment whose
    rows cannot be weighed stays whole under ``PM`` and is named so.
    """
    if u.get("nettobelopp") in (None, ""):
        raise PayloadError("nettobelopp saknas")
    net = _kr(u.get("nettobelopp"), "nettobelopp")
    when = _date(u.get("utbetalningsdatum"), "utbetalningsdatum")
    raw_rows = u.get("utbetalningsrader") or []
    rows = [r for r in raw_rows if isinstance(r, dict)] if isinstance(raw_rows, list) else []
    groups: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        key = _code(r.get("formansgrupp")) or _code(r.get("utbetalningsforman")) or "PM"
        groups.setdefault(key, []).append(r)
    if len(groups) <= 1:
        r0 = rows[0] if rows else {}
        key = next(iter(groups), "PM")
        label = _label(r0.get("formansgrupp")) or _label(r0.get("utbetalningsforman")) or "Pensionsmyndigheten"
        return [
            Payment(
                "PM",
                key,
                label,
                when,
                net,
                preliminar=prelim,
                delforman=_code(r0.get("utbetalningsforman")) if len(rows) == 1 else "",
                beloppstyp=_code(r0.get("beloppstyp")) if len(rows) == 1 else "",
            )
        ]
    weights: dict[str, int] = {}
    for key, part in groups.items():
        try:
            weights[key] = sum(int(Decimal(str(r.get("belopp")))) for r in part)
        except (InvalidOperation, ValueError):
            weights = {}
            break
    total = sum(weights.values())
    if not weights or total <= 0:
        names = ", ".join(groups)
        return [Payment("PM", "PM", f"Pensionsmyndigheten, flera förmåner ({names})", when, net, preliminar=prelim)]
    out: list[Payment] = []
    left = net
    for n, (key, part) in enumerate(groups.items()):
        exact = Decimal(net) * weights[key] / total
        share = left if n == len(groups) - 1 else int(exact.to_integral_value(ROUND_HALF_UP))
        left -= share
        first = part[0]
        label = _label(first.get("formansgrupp")) or _label(first.get("utbetalningsforman")) or key
        delforman = {_code(r.get("utbetalningsforman")) for r in part}
        out.append(
            Payment(
                "PM",
                key,
                label,
                when,
                share,
                preliminar=prelim,
                delforman=delforman.pop() if len(delforman) == 1 else "",
            )
        )
    return out


def _lefi_deviations(value: Any) -> str:
    """LEFI's `avvikelser` is a list in the example and an object of lists in the schema: accept both."""
    items: list[Any] = []
    if isinstance(value, list):
        items = value
    elif isinstance(value, dict):
        for v in value.values():
            items.extend(v if isinstance(v, list) else [v])
    return "; ".join(json.dumps(i, ensure_ascii=False)[:200] for i in items if i)


# -- CSN: base64 XML ------------------------------------------------------------------------------


def _read_csn(data: Any) -> list[SourceAnswer]:
    encoded = data.findtext(_q(NS_SSBT, "svar")) or ""
    try:
        raw = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise PayloadError(f"CSN:s svar (base64-kodad XML) går inte att läsa: {exc}") from None
    doc = _safe_parse(raw)
    schema = csn_schema()
    pruned: list[str] = []
    if not schema.validate(doc):
        pruned = _prune_rows(doc, CSN_ROW)  # a bad payment row is dropped and named, not the whole answer
        if not pruned or not schema.validate(doc):
            raise PayloadError(f"CSN:s svar följer inte CSN:s schema: {_clean(last_error(schema))}")
    studies: list[StudySupport] = []
    payments: list[Payment] = []
    skipped: list[str] = list(pruned)
    protected = False
    ids: list[str] = []
    for person in doc.iter(_q(NS_CSN, "Person")):
        if (person.get("sekretess") or "").strip():
            protected = True
        if person.get("personnummer"):
            ids.append((person.get("sekel") or "").strip() + person.get("personnummer", "").strip())
        for tree in person:
            family = CSN_FAMILIES.get(_local(tree.tag))
            if family is None:
                continue
            for n, arende in enumerate(_descendants(tree, "Arende"), 1):
                _read_csn_case(arende, family, f"{_local(tree.tag)} ärende {n}", studies, payments, skipped)
    return [
        SourceAnswer(
            "CSN",
            "svar",
            payments=tuple(payments),
            studies=tuple(studies),
            radfel=tuple(skipped),
            protected=protected,
            identiteter=tuple(ids),
        )
    ]


# CSN's support trees under Person, and the benefit each is (the name is the tree's, not a guess at a code).
CSN_FAMILIES = {
    "Studiemedel": "Studiemedel",
    "Studiehjalp": "Studiehjälp",
    "Studiestartsstod": "Studiestartsstöd",
    "Omstallningsstudiestod": "Omställningsstudiestöd",
    "HemutrustningsLan": "Hemutrustningslån",
}


def _read_csn_case(
    arende: Any, family: str, where: str, studies: list[StudySupport], payments: list[Payment], skipped: list[str]
) -> None:
    form = _text(arende, "stodform")
    text = _text(arende, "klartext") or form
    status = _text(arende, "status")
    granted = [
        (_week_start(_text(t, "starttid")), _week_end(_text(t, "sluttid")), _text(t, "takt"))
        for t in _descendants(arende, "BeviljadTid")
    ] or [(None, None, "")]
    for start, end, takt in granted:
        studies.append(
            StudySupport(form, text, status, start, end, int(takt) if takt.isdigit() else None, familj=family)
        )
    for n, u in enumerate(_descendants(arende, "Utbetalning"), 1):
        try:
            payments.append(_csn_payment(u, form, family, text))
        except PayloadError as exc:
            skipped.append(f"{where} utbetalning {n}: {exc}")


def _csn_payment(u: Any, form: str, family: str, text: str) -> Payment:
    """A planned or paid CSN payment; one not yet scheduled (``utbetdatum`` 0) is placed by its first week."""
    total = _text(u, "totbelopp")
    if not total:
        raise PayloadError("totbelopp saknas")
    raw = _text(u, "utbetdatum")
    weeks = [w for w in _descendants(u, "Utbetaldtid")]
    amounts = [b for w in weeks for b in _descendants(w, "Belopp")]
    if raw in ("", "0"):
        starts = [d for d in (_week_start(_text(w, "startvecka")) for w in weeks) if d is not None]
        if not starts:
            raise PayloadError("utbetalningen har inget utbetalningsdatum och inga veckor att placeras efter")
        when = min(starts)
    else:
        when = _date(raw, "utbetdatum")
    return Payment(
        "CSN",
        f"CSN:{form}",
        family,
        when,
        _kr(total, "totbelopp"),
        preliminar=_text(u, "utbetstatus").lower() == "planerad",
        delforman=text,
        beloppstyp=_text(amounts[0], "beloppstyp") if len(amounts) == 1 else "",
    )


def _descendants(element: Any, name: str) -> list[Any]:
    """Elements by local name: CSN's types put children in several namespaces."""
    return [e for e in element.iter() if isinstance(e.tag, str) and _local(e.tag) == name]


def _text(element: Any, name: str) -> str:
    for child in element:
        if isinstance(child.tag, str) and _local(child.tag) == name:
            return (child.text or "").strip()
    return ""


def _week_start(text: str | None) -> date | None:
    """CSN weeks are yyyyWW; the Monday of that ISO week."""
    if not text or len(text.strip()) != 6:
        return None
    try:
        return date.fromisocalendar(int(text[:4]), int(text[4:]), 1)
    except ValueError:
        return None


def _week_end(text: str | None) -> date | None:
    if not text or len(text.strip()) != 6:
        return None
    try:
        return date.fromisocalendar(int(text[:4]), int(text[4:]), 7)
    except ValueError:
        return None


# -- SKV: an XML document in a string -------------------------------------------------------------


def _read_skv(data: Any) -> list[SourceAnswer]:
    text = data.findtext("svar")
    if text is None:
        raise PayloadError("Skatteverkets svar saknar elementet svar")
    try:
        doc = _safe_parse(text.strip().encode("utf-8"))
    except PayloadError as exc:
        raise PayloadError(f"Skatteverkets svar: {exc}") from None
    ids = tuple((e.text or "").strip() for e in doc.iter() if _local(e.tag) == "IdentitetsbeteckningFysiskPerson")
    capital = []
    for cap in doc.iter():
        if _local(cap.tag) != "Kapitaluppgift":
            continue
        values = {_local(c.tag): (c.text or "").strip() for c in cap}
        year = values.get("Taxeringsar", "")
        if not year.isdigit():
            raise PayloadError(f"Skatteverket: Taxeringsar '{year}' är inget år")
        capital.append(
            CapitalIncome(
                int(year),
                _kr(values.get("SummaIntakterPaKapital") or 0, "SummaIntakterPaKapital"),
                _kr(values.get("OverskottPaKapital") or 0, "OverskottPaKapital"),
            )
        )
    return [SourceAnswer("SKV", "svar", capital=tuple(capital), identiteter=ids)]


# -- AF, SO, TNS, MIV inline -----------------------------------------------------------------------


def _read_af(data: Any) -> list[SourceAnswer]:
    svar = data.find(_q(NS_AF, "Svar"))
    assert svar is not None
    info = svar.find(_q(NS_AF, "ArbetssokandeInfo"))
    seeker = None
    until = None
    if info is not None:
        seeker = _bool(info.findtext(_q(NS_AF, "Arbetssokande")))
        until = _opt_date(info.findtext(_q(NS_AF, "ArbetssokandeAvaktualiserad")))
    protected = bool(_bool(svar.findtext(_q(NS_AF, "Sekretessmarkering"))))
    ids = tuple((e.text or "").strip() for e in data.iter(_q(NS_AF, "IdentitetsbeteckningFysiskPerson")))
    return [SourceAnswer("AF", "svar", job_seeker=seeker, job_seeker_until=until, protected=protected, identiteter=ids)]


def _read_so(data: Any) -> list[SourceAnswer]:
    """One entry per a-kassa: its payments, suspensions and its own status (``StatusSvarandeOrganisation``)."""
    payments: list[Payment] = []
    suspensions: list[Suspension] = []
    parts: list[PartAnswer] = []
    skipped: list[str] = []
    for kassa in data.iter(_q(NS_SO, "Arbetsloshetsersattning")):
        name = (kassa.findtext(_q(NS_SO, "SvarandeOrganisation")) or "a-kassa").strip()
        status = (kassa.findtext(_q(NS_SO, "StatusSvarandeOrganisation")) or "").strip()
        rows = kassa.findall(_q(NS_SO, "Utbetalningar"))
        for n, u in enumerate(rows, 1):
            try:
                payments.append(
                    Payment(
                        "SO",
                        "SO",
                        "Arbetslöshetsersättning",
                        _date(u.findtext(_q(NS_SO, "Utbetalningsdatum")), "Utbetalningsdatum"),
                        _kr(u.findtext(_q(NS_SO, "NettoEfterSkatt")), "NettoEfterSkatt"),
                        avsandare=name,
                    )
                )
            except PayloadError as exc:
                skipped.append(f"{name} utbetalning {n}: {exc}")
        for a in kassa.findall(_q(NS_SO, "Avstangningar")):
            suspensions.append(
                Suspension(
                    name,
                    _date(a.findtext(_q(NS_SO, "AvstangdFrom")), "AvstangdFrom"),
                    _date(a.findtext(_q(NS_SO, "AvstangdTom")), "AvstangdTom"),
                )
            )
        parts.append(PartAnswer(name, status, bool(rows)))
    ids = tuple((e.text or "").strip() for e in data.iter(_q(NS_SO, "IdentificationNumber")))
    return [
        SourceAnswer(
            "SO",
            "svar",
            payments=tuple(payments),
            suspensions=tuple(suspensions),
            delsvar=tuple(parts),
            radfel=tuple(skipped),
            identiteter=ids,
        )
    ]


def _read_tns(data: Any) -> list[SourceAnswer]:
    result = (data.findtext(_q(NS_TNS, "resultat")) or "").strip()
    if result == "FEL":
        errors = [
            f"{f.findtext(_q(NS_TNS, 'felkod'))}: {f.findtext(_q(NS_TNS, 'feltext'))}"
            for f in data.findall(_q(NS_TNS, "felresultat"))
        ]
        return [SourceAnswer("TNS", "fel", "FEL", "Transportstyrelsen svarade FEL: " + "; ".join(errors))]
    vehicles = [
        Vehicle(
            (v.findtext(_q(NS_FORDON, "regnr")) or "").strip(),
            (v.findtext(_q(NS_FORDON, "fabrikat")) or "").strip(),
            (v.findtext(_q(NS_FORDON, "fordonsar")) or "").strip(),
            (v.findtext(_q(NS_FORDON, "fordonsslag")) or "").strip(),
        )
        for v in data.iter(_q(NS_FORDON, "fordon"))
    ]
    return [SourceAnswer("TNS", "svar", vehicles=tuple(vehicles))]


def _read_miv(data: Any) -> list[SourceAnswer]:
    permits = []
    for svar in data.iter("svar"):
        if svar.get("{http://www.w3.org/2001/XMLSchema-instance}nil") == "true":
            continue
        permits.append(
            Permit(
                (svar.findtext("arendeTyp") or "").strip(),
                (svar.findtext("beslutsKod") or "").strip(),
                (svar.findtext("beslutsTyp") or "").strip(),
                (svar.findtext("giltighetstid") or "").strip(),
                _opt_date(svar.findtext("fromDatum")),
                _opt_date(svar.findtext("tomDatum")),
            )
        )
    ids = tuple((e.text or "").strip() for e in data.iter("personnummer"))
    return [SourceAnswer("MIV", "svar", permits=tuple(permits), identiteter=ids)]


READERS: dict[str, Callable[[Any], list[SourceAnswer]]] = {
    "FK": _read_fk,
    "CSN": _read_csn,
    "SKV": _read_skv,
    "AF": _read_af,
    "SO": _read_so,
    "TNS": _read_tns,
    "MIV": _read_miv,
}
