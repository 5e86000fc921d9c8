"""The shipped SSBTEK v10 and agency schemas, loaded once."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from lxml import etree

SCHEMA_DIR = Path(__file__).resolve().parent / "schema"
SSBT_XSD = SCHEMA_DIR / "se/forsakringskassan/schema/integration/ssbt/_10/sammansatt_bastjanst_v10.xsd"
CSN_XSD = SCHEMA_DIR / "se/csn/schema/v4_0/kommunfraga/kommunfraga.xsd"

NS_SSBT = "http://schema.forsakringskassan.se/integration/ssbt/10"
NS_SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
NS_AF = "http://api.arbetsformedlingen.se/arbetssokande/ersattningsstod/v2"
NS_SO = "http://INT014.UBPService.Schemas"
NS_TNS = "http://schema.transportstyrelsen.se/ssbtek/hamtauppgifterresponder/1"
NS_FORDON = "http://schema.transportstyrelsen.se/ssbtek/fordon/1"
NS_MIV = "http://schema.migrationsverket.se/ssbtek/1/"
NS_SKV = "http://beskattningws.ws.service.bs.zg.rsv.se/"
NS_CSN = "http://schema.csn.se/v4.0/kommunfraga"
NS_CSN_PERSON = "http://schema.csn.se/v4.0/person"
NS_CSN_TYPES = "http://schema.csn.se/v4.0/csntyper"
NS_CSN_SM = "http://schema.csn.se/v4.0/studiemedel"

_lock = threading.Lock()
_cache: dict[Path, etree.XMLSchema] = {}


def schema(path: Path) -> etree.XMLSchema:
    with _lock:
        if path not in _cache:
            _cache[path] = etree.XMLSchema(etree.parse(str(path), parser=safe_parser()))
        return _cache[path]


def safe_parser() -> etree.XMLParser:
    """No entities, no network, no DTDs: agency answers are data, never instructions."""
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def ssbt_schema() -> etree.XMLSchema:
    return schema(SSBT_XSD)


def csn_schema() -> etree.XMLSchema:
    return schema(CSN_XSD)


def last_error(schema: etree.XMLSchema) -> str:
    """The last validation error's message (the stubs do not know ``error_log.last_error``)."""
    log: Any = schema.error_log
    error = log.last_error
    return str(error.message) if error is not None else "okänt schemafel"
