"""Aktivitetskrav, läkarintyg and 12 kap. 2 a §: statements in the result, by period."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

import engine
from explain import render_text

PREVIEW = {"jamforelsetal": Decimal("1.0512")}


def person(**kw: Any) -> dict[str, Any]:
    return {"id": "s", "roll": "sokande", "fodd": "1990-05-05", **kw}


def test_wording_of_2_a_changes_on_2_january_2027(bundle: engine.RuleBundle) -> None:
    jan = bundle.calculate({"period": "2027-01", "hushall": [person(vistas_lagligt=False)]}, overrides=PREVIEW)
    feb = bundle.calculate({"period": "2027-02", "hushall": [person(vistas_lagligt=False)]}, overrides=PREVIEW)
    [d_jan], [d_feb] = jan.avvikelser, feb.avvikelser
    assert d_jan["kod"] == d_feb["kod"] == "ENDAST_AKUT_BISTAND"
    assert "tandvård" not in d_jan["meddelande"] and "tandvård som inte kan anstå" in d_feb["meddelande"]
    assert "lag (2026:897)" in d_jan["lagrum"] and "lag (2026:1552)" in d_feb["lagrum"]


def test_explanation_states_requirement_or_exemption(bundle: engine.RuleBundle) -> None:
    app = {
        "period": "2026-10",
        "historik": {"manader_i_folj": 4},
        "hushall": [person(), {"id": "m", "roll": "medsokande", "fodd": "1958-01-01", "riktalder_uppnadd": True}],
    }
    text = " ".join(render_text(bundle.calculate(app).to_dict()).split())
    assert "s: aktivitetskrav ska ställas (4 månader i följd med försörjningsstöd), högst 40 timmar per vecka" in text
    assert "m: undantag från aktivitetskrav: har uppnått riktåldern för pension" in text
    assert "12 kap. 4 a, 4 b och 4 c §§ socialtjänstlagen (2025:400)" in text


def test_deviation_cites_12_kap_5(bundle: engine.RuleBundle) -> None:
    app = {"period": "2026-11", "hushall": [person(aktivitetskrav={"avbojt_eller_uteblivit": True})]}
    [d] = bundle.calculate(app).avvikelser
    assert d["kod"] == "AKTIVITETSKRAV_EJ_FULLGJORT" and "12 kap. 5 §" in d["lagrum"]
    assert "Beslutet fattas av handläggaren" in d["meddelande"]


@pytest.mark.parametrize(
    ("child", "field"),
    [
        ({"sysselsattning": [{"typ": "anstallning", "timmar_per_vecka": 10}]}, "hushall[1].sysselsattning"),
        ({"sjukdom": {"dagar_i_folj": 9}}, "hushall[1].sjukdom"),
    ],
)
def test_adult_fields_are_refused_for_children(bundle: engine.RuleBundle, child: dict[str, Any], field: str) -> None:
    app = {"period": "2026-10", "hushall": [person(), {"id": "b", "roll": "barn", "fodd": "2015-01-01", **child}]}
    with pytest.raises(engine.InputError) as info:
        bundle.calculate(app)
    assert field in [p.field for p in info.value.problems]
