"""Every deviation code: a case that triggers it, and a near miss that must not."""

from __future__ import annotations

import json
from typing import Any

import pytest

import engine
from tests.ssbtek_helpers import PNR_BO, answer, codes, single

FEB, JAN = {"manad": -1, "dag": 24}, {"manad": -2, "dag": 24}


def sjp(when: dict[str, int], netto: int) -> dict[str, Any]:
    return {"id": "SJP", "beskrivning": "Sjukpenning", **when, "netto": netto}


def abb(when: dict[str, int], netto: int) -> dict[str, Any]:
    return {"id": "ABB", "beskrivning": "Barnbidrag", **when, "netto": netto}


def run(bundle: engine.RuleBundle, sources: dict[str, Any], **app: Any) -> engine.Result:
    return bundle.calculate(single(**app), agency={"s": answer(sources)})


SJP_DECLARED = {"inkomster": [{"person": "s", "typ": "sjukpenning", "belopp": 8000}]}

CASES: list[tuple[str, str, dict[str, Any], dict[str, Any], bool]] = [
    # code, label, sources, application extras, expected?
    ("EJ_DEKLARERAD_INKOMST", "utbetald men inte redovisad", {"FK": {"utbetalningar": [sjp(FEB, 8000)]}}, {}, True),
    ("EJ_DEKLARERAD_INKOMST", "redovisad", {"FK": {"utbetalningar": [sjp(FEB, 8000)]}}, SJP_DECLARED, False),
    (
        "EJ_DEKLARERAD_INKOMST",
        "utbetald före jämförelseperioden",
        {"FK": {"utbetalningar": [sjp({"manad": -3}, 8000)]}},
        {},
        False,
    ),
    ("AVVIKANDE_BELOPP", "skillnad 500 kr", {"FK": {"utbetalningar": [sjp(FEB, 8500)]}}, SJP_DECLARED, True),
    (
        "AVVIKANDE_BELOPP",
        "skillnad 100 kr = toleransen",
        {"FK": {"utbetalningar": [sjp(FEB, 8100)]}},
        SJP_DECLARED,
        False,
    ),
    ("INKOMSTANDRING", "+12,5 %", {"FK": {"utbetalningar": [sjp(FEB, 9000), sjp(JAN, 8000)]}}, {}, True),
    ("INKOMSTANDRING", "+12 % exakt", {"FK": {"utbetalningar": [sjp(FEB, 8960), sjp(JAN, 8000)]}}, {}, False),
    ("NY_INKOMST", "ny i kontrollperioden, exakt tröskel", {"FK": {"utbetalningar": [abb(FEB, 1250)]}}, {}, True),
    ("NY_INKOMST", "procenttröskel: av ingenting", {"FK": {"utbetalningar": [sjp(FEB, 8000)]}}, {}, False),
    (
        "NY_INKOMST",
        "jämförelsemånaden nettade till noll",
        {"FK": {"utbetalningar": [abb(FEB, 1250), abb(JAN, 500), abb({"manad": -2, "dag": 26}, -500)]}},
        {},
        False,
    ),
    ("INKOMSTANDRING", "exakt: 1 250 → 1 255", {"FK": {"utbetalningar": [abb(FEB, 1255), abb(JAN, 1250)]}}, {}, True),
    (
        "INKOMSTANDRING",
        "12,4 % avrundas till 12",
        {"FK": {"utbetalningar": [sjp(FEB, 8992), sjp(JAN, 8000)]}},
        {},
        False,
    ),
    ("NY_INKOMST", "fanns redan", {"FK": {"utbetalningar": [sjp(FEB, 8000), sjp(JAN, 8000)]}}, {}, False),
    ("INKOMST_BORTTAGEN", "upphört", {"FK": {"utbetalningar": [sjp(JAN, 8000)]}}, {}, True),
    ("INKOMST_BORTTAGEN", "fortsätter", {"FK": {"utbetalningar": [sjp(FEB, 8000), sjp(JAN, 8000)]}}, {}, False),
    ("UPPGIFT_SAKNAS", "källan svarar med fel", {"CSN": {"fel": {"kalla": "BT", "felkod": "500"}}}, {}, True),
    ("UPPGIFT_SAKNAS", "källan saknas i svaret", {"MIV": {"utelamna": True}}, {}, True),
    ("UPPGIFT_SAKNAS", "svar utan uppgifter är ett svar", {}, {}, False),
    ("EJ_INSKRIVEN_AF", "inte inskriven", {"AF": {"arbetssokande": False}}, {}, True),
    (
        "EJ_INSKRIVEN_AF",
        "avaktualiserad före perioden",
        {"AF": {"arbetssokande": True, "avaktualiserad": "2026-02-15"}},
        {},
        True,
    ),
    ("EJ_INSKRIVEN_AF", "inskriven", {"AF": {"arbetssokande": True, "registrerad": "2025-01-01"}}, {}, False),
    ("EJ_INSKRIVEN_AF", "AF har ingen uppgift om personen", {"AF": {}}, {}, False),
    (
        "A_KASSA_AVSTANGNING",
        "avstängd under perioden",
        {"SO": {"a_kassor": [{"namn": "K", "avstangningar": [{"fran": "2026-02-15", "till": "2026-03-15"}]}]}},
        {},
        True,
    ),
    (
        "A_KASSA_AVSTANGNING",
        "avstängning som slutade före kontrollperioden",
        {"SO": {"a_kassor": [{"namn": "K", "avstangningar": [{"fran": "2025-11-01", "till": "2026-01-31"}]}]}},
        {},
        False,
    ),
    (
        "STUDIEMEDEL",
        "studiemedel beviljat för perioden",
        {"CSN": {"arenden": [{"stodform": "GRUND", "beviljad": {"fran": "2026-01-19", "till": "2026-06-07"}}]}},
        {},
        True,
    ),
    (
        "STUDIEMEDEL",
        "studiehjälp är inte studiemedel",
        {
            "CSN": {
                "arenden": [
                    {
                        "stodform": "SH",
                        "klartext": "Studiehjälp",
                        "beviljad": {"fran": "2026-01-19", "till": "2026-06-07"},
                    }
                ]
            }
        },
        {},
        False,
    ),
    (
        "STUDIEMEDEL",
        "studiemedel som tog slut förra året",
        {"CSN": {"arenden": [{"stodform": "GRUND", "beviljad": {"fran": "2025-01-20", "till": "2025-06-08"}}]}},
        {},
        False,
    ),
    (
        "FORDON",
        "bil registrerad på sökanden",
        {"TNS": {"fordon": [{"regnr": "SYN1", "fabrikat": "SAAB", "fordonsar": "2001", "fordonsslag": "PERSONBIL"}]}},
        {},
        True,
    ),
    ("FORDON", "inget fordon", {"TNS": {"fordon": []}}, {}, False),
    (
        "KAPITALINKOMST",
        "ränteintäkter",
        {"SKV": {"kapital": [{"taxeringsar": 2025, "intakter": 300, "overskott": 300}]}},
        {},
        True,
    ),
    (
        "KAPITALINKOMST",
        "kapitaluppgift utan belopp",
        {"SKV": {"kapital": [{"taxeringsar": 2025, "intakter": 0, "overskott": 0}]}},
        {},
        False,
    ),
    (
        "UPPEHALLSTILLSTAND",
        "tillståndet gick ut",
        {"MIV": {"tillstand": [{"fran": "2024-01-01", "till": "2026-02-28"}]}},
        {},
        True,
    ),
    (
        "UPPEHALLSTILLSTAND",
        "giltigt tillstånd",
        {"MIV": {"tillstand": [{"fran": "2024-01-01", "till": "2026-12-31"}]}},
        {},
        False,
    ),
    (
        "UPPEHALLSTILLSTAND",
        "permanent",
        {"MIV": {"tillstand": [{"fran": "2020-01-01", "giltighetstid": "PERMANENT"}]}},
        {},
        False,
    ),
    ("UPPEHALLSTILLSTAND", "inga ärenden (svensk medborgare)", {"MIV": {"tillstand": []}}, {}, False),
    ("SKYDDAD_IDENTITET", "skyddad hos FK", {"FK": {"skyddad": True}}, {}, True),
    ("SKYDDAD_IDENTITET", "sekretessmarkering hos AF", {"AF": {"arbetssokande": True, "sekretess": True}}, {}, True),
    ("SKYDDAD_IDENTITET", "inte skyddad", {"FK": {"skyddad": False}}, {}, False),
]


@pytest.mark.parametrize(
    ("code", "label", "sources", "extra", "expected"), CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES]
)
def test_deviation(
    bundle: engine.RuleBundle, code: str, label: str, sources: dict[str, Any], extra: dict[str, Any], expected: bool
) -> None:
    result = run(bundle, sources, **extra)
    found = [d for d in result.avvikelser if d["kod"] == code]
    assert bool(found) is expected, result.avvikelser
    for d in found:
        assert set(d) >= {"kod", "allvarlighet", "person", "kalla", "meddelande", "lagrum"}
        assert d["person"] == "s" and d["meddelande"] and d["lagrum"]


def test_all_codes_are_covered() -> None:
    required = {
        "EJ_DEKLARERAD_INKOMST",
        "AVVIKANDE_BELOPP",
        "INKOMSTANDRING",
        "NY_INKOMST",
        "INKOMST_BORTTAGEN",
        "UPPGIFT_SAKNAS",
        "EJ_INSKRIVEN_AF",
        "A_KASSA_AVSTANGNING",
        "STUDIEMEDEL",
        "FORDON",
        "KAPITALINKOMST",
        "UPPEHALLSTILLSTAND",
        "SKYDDAD_IDENTITET",
    }
    assert required <= {c[0] for c in CASES if c[4]} and required <= {c[0] for c in CASES if not c[4]}


def test_missing_data_is_never_zero_income(bundle: engine.RuleBundle) -> None:
    """An agency in error adds no income and no 'removed income'; it is reported as missing."""
    declared = {"inkomster": [{"person": "s", "typ": "sjukpenning", "belopp": 8000}]}
    r = run(bundle, {"FK": {"fel": {"kalla": "SSBT", "felkod": "TIMEOUT"}}}, **declared)
    assert r["inkomster"] == 8000
    assert codes(r) == [("UPPGIFT_SAKNAS", "s"), ("UPPGIFT_SAKNAS", "s")]  # FK and PM travel together
    assert {d["kalla"] for d in r.avvikelser} == {"FK", "PM"}


def test_no_answer_at_all_for_an_adult(bundle: engine.RuleBundle) -> None:
    app = single()
    app["hushall"].append({"id": "m", "roll": "medsokande", "fodd": "1990-01-01", "personnummer": PNR_BO})
    r = bundle.calculate(app, agency={"s": answer({})})
    missing = [d for d in r.avvikelser if d["kod"] == "UPPGIFT_SAKNAS"]
    assert {d["person"] for d in missing} == {"m"} and len(missing) == len(engine.SOURCES)


def test_deviations_are_in_trace_and_explanation(bundle: engine.RuleBundle) -> None:
    from explain import render_text

    r = run(bundle, {"AF": {"arbetssokande": False}}).to_dict()
    assert any(e["regel"] == "kontroll.ej_inskriven_af" and e["lagrum"] for e in r["trace"])
    text = render_text(r)
    assert "EJ_INSKRIVEN_AF" in text and "12 kap. 3 § socialtjänstlagen (2025:400)" in text


def test_protected_identity_leaves_no_location_data(bundle: engine.RuleBundle, rule_root: Any) -> None:
    root = rule_root()
    (root / "normer" / "kommun-test.yaml").write_text(
        "normer:\n  - id: kommun.9998.tak.boende\n    namn: Tak för boende (test)\n    typ: tabell\n"
        "    kolumner: [antal_personer_fran, antal_personer_till, belopp]\n    varden:\n"
        "      - giltig_fran: 2025-01-01\n        kalla: {url: 'https://example.invalid/test'}\n"
        "        rader: [{antal_personer_fran: 1, antal_personer_till: 9, belopp: 5000}]\n",
        encoding="utf-8",
    )
    local = engine.load_bundle(root)
    app = single(kommun="9998", kostnader=[{"typ": "boende", "belopp": 7000}])
    plain = local.calculate(app, agency={"s": answer({})}).to_dict()
    assert plain["skaliga_kostnader"] == 5000 and '"kommun"' in json.dumps(plain)
    protected = local.calculate(app, agency={"s": answer({"FK": {"skyddad": True}})}).to_dict()
    text = json.dumps(protected, ensure_ascii=False)
    assert protected["skaliga_kostnader"] == 5000 and protected["skyddad_identitet"] is True
    assert '"kommun"' not in text and "9998" not in text.replace("kommun.9998.tak.boende", "")
