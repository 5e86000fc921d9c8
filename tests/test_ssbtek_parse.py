"""Real SSBTEK v10 answers: every source read; a bad source is a clear error about that source only."""

from __future__ import annotations

import base64
import re
from datetime import date

from lxml import etree

from engine import Month
from ssbtek import build_response, parse_response
from ssbtek._schemas import NS_SSBT, ssbt_schema
from tests.ssbtek_helpers import PNR_ANNA, answer

FULL = {
    "FK": {
        "skyddad": True,
        "utbetalningar": [{"id": "SJP", "beskrivning": "Sjukpenning", "datum": "2026-02-24", "netto": 8500.4}],
        "pm_utbetalningar": [{"kod": "PM:AP", "beskrivning": "Allmän pension", "datum": "2026-01-20", "netto": 3000}],
    },
    "CSN": {
        "arenden": [
            {
                "stodform": "GRUND",
                "klartext": "Studiebidrag",
                "beviljad": {"fran": "2026-01-19", "till": "2026-06-07"},
                "utbetalningar": [{"datum": "2026-02-25", "belopp": 3500}],
            }
        ]
    },
    "AF": {"arbetssokande": True, "registrerad": "2025-01-10"},
    "SO": {
        "a_kassor": [
            {
                "namn": "Exempelkassan",
                "utbetalningar": [{"datum": "2026-02-20", "netto": 9000}],
                "avstangningar": [{"fran": "2026-02-01", "till": "2026-03-10"}],
            }
        ]
    },
    "SKV": {"kapital": [{"taxeringsar": 2025, "intakter": 12000, "overskott": 8000}]},
    "TNS": {
        "fordon": [
            {
                "regnr": "SYN123",
                "fabrikat": "VOLVO",
                "fordonsar": "2012",
                "fordonsslag": "PERSONBIL",
                "handelsbeteckning": "V70",
            }
        ]
    },
    "MIV": {"tillstand": [{"fran": "2024-01-01", "till": "2025-12-31", "giltighetstid": "TIDBEGRANSAT"}]},
}


def _response_element(xml: bytes) -> etree._Element:
    return etree.fromstring(xml)[0][0]


def test_synthetic_answers_validate_against_the_shipped_xsd() -> None:
    xml = build_response({"personnummer": PNR_ANNA, "kallor": FULL}, Month.parse("2026-03"))
    assert ssbt_schema().validate(_response_element(xml)), ssbt_schema().error_log


def test_every_source_is_read() -> None:
    d = answer(FULL)
    assert all(a.status == "svar" for a in d.sources.values()), {k: a.meddelande for k, a in d.sources.items()}
    assert [(p.kod, p.datum, p.netto) for p in d.sources["FK"].payments] == [("FK:SJP", date(2026, 2, 24), 8500)]
    assert d.sources["FK"].protected is True
    assert [(p.kod, p.netto) for p in d.sources["PM"].payments] == [("PM:AP", 3000)]
    csn = d.sources["CSN"]
    assert csn.studies[0].stodform == "GRUND" and csn.payments[0].netto == 3500
    assert csn.studies[0].beviljad_fran == date(2026, 1, 19) and csn.studies[0].beviljad_till == date(2026, 6, 7)
    assert d.sources["AF"].job_seeker is True
    assert d.sources["SO"].payments[0].netto == 9000 and d.sources["SO"].suspensions[0].a_kassa == "Exempelkassan"
    assert d.sources["SKV"].capital[0].intakter == 12000
    assert d.sources["TNS"].vehicles[0].regnr == "SYN123"
    assert d.sources["MIV"].permits[0].till == date(2025, 12, 31)


def test_answer_without_records_is_an_answer() -> None:
    d = answer({})
    assert all(a.status == "svar" for a in d.sources.values())
    assert not any(a.payments or a.vehicles or a.permits for a in d.sources.values())


def test_error_and_left_out_sources() -> None:
    d = answer(
        {"CSN": {"fel": {"kalla": "SSBT", "felkod": "TIMEOUT", "meddelande": "ingen svar"}}, "MIV": {"utelamna": True}}
    )
    assert d.sources["CSN"].status == "fel" and "TIMEOUT" in d.sources["CSN"].meddelande
    assert d.sources["MIV"].status == "saknas"
    assert d.sources["AF"].status == "svar"


def test_garbage_is_a_clear_error_for_every_source() -> None:
    d = parse_response(b"this is not xml <", "s", PNR_ANNA)
    assert {a.status for a in d.sources.values()} == {"ogiltigt"}
    assert "inte giltig XML" in d.sources["FK"].meddelande


def test_wrong_namespace_is_named() -> None:
    xml = build_response({"personnummer": PNR_ANNA, "kallor": {}}, Month.parse("2026-03"))
    wrong = xml.replace(NS_SSBT.encode(), b"http://schema.forsakringskassan.se/integration/ssbt/9")
    d = parse_response(wrong, "s", PNR_ANNA)
    assert all(a.status == "ogiltigt" for a in d.sources.values())
    assert "namnrymden" in d.sources["AF"].meddelande and "ssbt/10" in d.sources["AF"].meddelande


def test_a_malformed_source_spoils_only_that_source() -> None:
    xml = build_response({"personnummer": PNR_ANNA, "kallor": FULL}, Month.parse("2026-03")).decode()
    broken = re.sub(r"<ns\d+:regnr>SYN123</ns\d+:regnr>|<[a-z0-9]+:regnr>SYN123</[a-z0-9]+:regnr>", "", xml, count=1)
    assert broken != xml
    d = parse_response(broken.encode(), "s", PNR_ANNA)
    assert d.sources["TNS"].status == "ogiltigt" and "regnr" in d.sources["TNS"].meddelande
    assert d.sources["FK"].status == "svar" and d.sources["SO"].status == "svar"


def test_missing_required_element_in_af() -> None:
    xml = build_response({"personnummer": PNR_ANNA, "kallor": FULL}, Month.parse("2026-03")).decode()
    broken = re.sub(r"<([a-z0-9]+):StatusSokandeinformationKod>0</\1:StatusSokandeinformationKod>", "", xml)
    d = parse_response(broken.encode(), "s", PNR_ANNA)
    assert d.sources["AF"].status == "ogiltigt" and "StatusSokandeinformationKodText" in d.sources["AF"].meddelande


def test_bad_payloads_name_the_source() -> None:
    xml = build_response({"personnummer": PNR_ANNA, "kallor": FULL}, Month.parse("2026-03")).decode()
    fk = re.search(r"<ssbt:lefiJsonSvar>([^<]+)</ssbt:lefiJsonSvar>", xml)
    assert fk
    bad_json = xml.replace(fk.group(1), base64.b64encode(b"{not json").decode())
    d = parse_response(bad_json.encode(), "s", PNR_ANNA)
    assert d.sources["FK"].status == "ogiltigt" and "LEFI" in d.sources["FK"].meddelande
    assert d.sources["CSN"].status == "svar"
    csn = re.search(r"<ssbt:svar>([^<]+)</ssbt:svar>", xml)
    assert csn
    inner = base64.b64decode(csn.group(1)).replace(b'schemaVersion="4.0"', b"")
    bad_csn = xml.replace(csn.group(1), base64.b64encode(inner).decode())
    d = parse_response(bad_csn.encode(), "s", PNR_ANNA)
    assert d.sources["CSN"].status == "ogiltigt" and "CSN:s schema" in d.sources["CSN"].meddelande


def test_lefi_provider_unavailable_and_deviations_list_or_object() -> None:
    d = answer({"FK": {"tillstand": {"PM": "OTILLGANGLIG"}}})
    assert d.sources["FK"].status == "svar" and d.sources["PM"].status == "fel"
    for avv in ([{"kod": "OBEHORIG"}], {"formansinformation": [{"kod": "INTERNT_FEL"}]}):
        d = answer({"FK": {"avvikelser": avv}})
        assert d.sources["FK"].status == "fel" and "ofullständigt" in d.sources["FK"].meddelande


def test_soap_fault_is_an_error_for_every_source() -> None:
    from ssbtek._soap import fault

    d = parse_response(fault("500", "Tjänsten är inte tillgänglig"), "s", PNR_ANNA)
    assert {a.status for a in d.sources.values()} == {"fel"}
    assert "inte tillgänglig" in d.sources["SO"].meddelande
