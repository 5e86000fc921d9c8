"""SOAP 1.1 messages of SSBTEK v10: the question (``hamtaBastjanstInformation``) and faults.

The client builds the question and validates it against the XSD before sending; the fake server
validates every question it receives the same way, so both sides keep each other honest.
"""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from lxml import etree

from engine import Month
from ssbtek._schemas import NS_SOAP, NS_SSBT, last_error, safe_parser, ssbt_schema

SOURCES_IN_QUESTION = ("AF", "CSN", "FK", "SKV", "SO", "TNS", "MIV")
LEFI_GROUPS = ["FK:ABB", "FK:BOB", "FK:FP", "FK:SJP", "FK:US"]


@dataclass(frozen=True)
class Asker:
    """Who asks, and on what legal ground: every SSBTEK question carries this."""

    organisationsnummer: str
    namn: str
    handlaggare: str = "system"
    syfte: str = "Beslut om eller kontroll av ekonomiskt bistånd"
    lagtext: str = (
        "11 kap. 11 a § socialtjänstlagen (2001:453), 5 § förordning (2008:975) om uppgiftsskyldighet "
        "i vissa fall enligt socialtjänstlagen."
    )
    aktorsid: str = ""
    lefi_version: str = "v9"
    lefi_groups: tuple[str, ...] = field(default_factory=lambda: tuple(LEFI_GROUPS))


class RequestError(ValueError):
    """A question that does not follow the SSBTEK v10 schema."""


def _e(parent: Any, name: str, text: Any = None, **attrs: str) -> Any:
    el = etree.SubElement(parent, f"{{{NS_SSBT}}}{name}", attrib=attrs)
    if text is not None:
        el.text = str(text)
    return el


def question_period(period: Month, start: Month | None = None) -> tuple[str, str]:
    """From the first day of ``start`` to the last day of the month applied for. ``start`` comes from the
    rule files (``RuleBundle.ssbtek_start``: the comparison month M−2, or June for the seasonal
    studiehjälp check in October); without it, M−2."""
    first = start if start is not None and start.index <= period.index else period - 2
    return first.first_day.isoformat(), period.last_day.isoformat()


def build_request(
    personnummer: str,
    period: Month,
    asker: Asker,
    *,
    korrelationsid: str | None = None,
    start: Month | None = None,
) -> bytes:
    env = etree.Element(f"{{{NS_SOAP}}}Envelope", nsmap={"soap": NS_SOAP, "ssbt": NS_SSBT})
    etree.SubElement(env, f"{{{NS_SOAP}}}Header")
    body = etree.SubElement(env, f"{{{NS_SOAP}}}Body")
    q = etree.SubElement(body, f"{{{NS_SSBT}}}hamtaBastjanstInformation")
    gen = _e(q, "generellaFrageparametrar")
    _e(gen, "frageTidpunkt", datetime.now(UTC).replace(microsecond=0).isoformat())
    _e(gen, "korrelationsid", korrelationsid or str(uuid.uuid4()))
    _e(gen, "fraganSkallInkluderasISvaret", "true")  # the answer then names whom it is about
    ing = _e(gen, "ingivare")
    _e(ing, "organisationsnummer", asker.organisationsnummer)
    _e(ing, "namn", asker.namn)
    _e(ing, "handlaggare", asker.handlaggare)
    _e(gen, "personidentitet", personnummer)
    _e(gen, "arendeidentitet", str(uuid.uuid4()))
    start_day, end = question_period(period, start)
    tp = _e(gen, "tidsperiod")
    _e(tp, "fromDatum", start_day)
    _e(tp, "tomDatum", end)
    _e(gen, "syfte", asker.syfte)
    _e(gen, "lagtext", asker.lagtext)
    spec = _e(q, "specifikaFrageparametrar")
    for name in SOURCES_IN_QUESTION:
        s = _e(spec, name, inkludera="true")
        if name == "FK":
            lefi = {
                "personnummer": personnummer,
                "period": {"from": start_day, "tom": end},
                "formansinformation": list(asker.lefi_groups),
                "utbetalningar": [*asker.lefi_groups, "PM:AP", "PM:EF", "PM:BTI"],
                "preliminaraUtbetalningar": list(asker.lefi_groups),
                "ovrigInformation": ["FK:GEPI"],
            }
            fr = _e(s, "fraga")
            _e(fr, "version", asker.lefi_version)
            _e(fr, "aktorsid", asker.aktorsid or "ej-angivet")
            _e(fr, "lefiJsonFraga", base64.b64encode(json.dumps(lefi).encode()).decode())
    if not ssbt_schema().validate(q):
        raise RequestError(f"frågan följer inte SSBTEK v10: {last_error(ssbt_schema())}")
    return bytes(etree.tostring(env, xml_declaration=True, encoding="UTF-8"))


@dataclass(frozen=True)
class Question:
    personnummer: str
    fran: str
    tom: str
    korrelationsid: str | None
    echo: Any = None  # the question's element, when it asks to have it back in the answer


def parse_request(data: bytes) -> Question:
    """Read and validate a question (used by the fake server)."""
    try:
        root = etree.fromstring(data, parser=safe_parser())
    except etree.XMLSyntaxError as exc:
        raise RequestError(f"frågan är inte giltig XML: {exc.msg}") from None
    if root.tag != f"{{{NS_SOAP}}}Envelope":
        raise RequestError("frågan är inget SOAP 1.1-kuvert")
    body = root.find(f"{{{NS_SOAP}}}Body")
    if body is None or len(body) == 0:
        raise RequestError("SOAP-kuvertet saknar Body")
    q = body[0]
    if q.tag != f"{{{NS_SSBT}}}hamtaBastjanstInformation":
        raise RequestError(f"okänd operation {etree.QName(q).localname}; väntade hamtaBastjanstInformation")
    if not ssbt_schema().validate(q):
        raise RequestError(f"frågan följer inte SSBTEK v10: {last_error(ssbt_schema())}")
    ns = f"{{{NS_SSBT}}}"
    gen = q.find(f"{ns}generellaFrageparametrar")
    assert gen is not None
    echo = (gen.findtext(f"{ns}fraganSkallInkluderasISvaret") or "").strip() in ("true", "1")
    return Question(
        personnummer=gen.findtext(f"{ns}personidentitet") or "",
        fran=gen.findtext(f"{ns}tidsperiod/{ns}fromDatum") or "",
        tom=gen.findtext(f"{ns}tidsperiod/{ns}tomDatum") or "",
        korrelationsid=gen.findtext(f"{ns}korrelationsid"),
        echo=q if echo else None,
    )


def fault(code: str, message: str) -> bytes:
    """A SOAP 1.1 Fault with SSBTEK's fault detail."""
    env = etree.Element(f"{{{NS_SOAP}}}Envelope", nsmap={"soap": NS_SOAP, "ssbt": NS_SSBT})
    body = etree.SubElement(env, f"{{{NS_SOAP}}}Body")
    f = etree.SubElement(body, f"{{{NS_SOAP}}}Fault")
    etree.SubElement(f, "faultcode").text = "soap:Client" if code.startswith("4") else "soap:Server"
    etree.SubElement(f, "faultstring").text = message
    detail = etree.SubElement(f, "detail")
    d = etree.SubElement(detail, f"{{{NS_SSBT}}}hamtaBastjanstInformationFault")
    etree.SubElement(d, f"{{{NS_SSBT}}}felkod").text = code
    etree.SubElement(d, f"{{{NS_SSBT}}}felmeddelande").text = message
    return bytes(etree.tostring(env, xml_declaration=True, encoding="UTF-8"))
