"""What would change the result, and the explanation for the applicant.

The expectations are the statute's: other income counts in full, so the income that ends the
entitlement is the amount itself; in a jobbstimulans window 25 % of the wage (rounded to whole
kronor) does not count (SoL 2025:400 12 kap. 8 §); a child moves to the next age band of the
riksnorm on the first day of the month after the birthday.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

import engine
from ekbist.cli import main
from tests.test_browser import CHROMIUM, FLAGS


def _single(**extra: Any) -> dict[str, Any]:
    app: dict[str, Any] = {
        "period": "2026-03",
        "hushall": [{"id": "s", "roll": "sokande", "fodd": "1985-02-01"}],
        "kostnader": [{"typ": "boende", "belopp": 6000}],
    }
    app.update(extra)
    return app


def _counted(wage: int) -> int:
    return wage - int((Decimal(wage) * Decimal("0.25")).quantize(Decimal(1), ROUND_HALF_UP))


def test_other_income_counts_in_full(bundle: engine.RuleBundle) -> None:
    cf = engine.counterfactual(bundle, _single())
    assert cf["inkomst_till_noll"]["ovrig"] == cf["forsorjningsstod"] > 0
    assert cf["inkomst_till_noll"]["lon"] == cf["forsorjningsstod"]  # no jobbstimulans window: a wage counts in full


def test_in_a_jobbstimulans_window_a_quarter_of_the_wage_does_not_count(bundle: engine.RuleBundle) -> None:
    app = _single(inkomster=[{"person": "s", "typ": "lon", "belopp": 2000}])
    app["hushall"][0]["historik"] = {"manader_i_folj": 8}
    cf = engine.counterfactual(bundle, app)
    aid = cf["forsorjningsstod"]
    wage = cf["inkomst_till_noll"]["lon"]
    # the extra wage W ends the aid when what counts of 2 000 + W covers what counted of 2 000 plus the aid
    assert _counted(2000 + wage) >= _counted(2000) + aid > _counted(2000 + wage - 1)
    assert wage > cf["inkomst_till_noll"]["ovrig"] == aid


def test_room_in_the_costs_is_the_surplus(bundle: engine.RuleBundle) -> None:
    app = _single(inkomster=[{"person": "s", "typ": "lon", "belopp": 30000}])
    result = bundle.calculate(app).values
    cf = engine.counterfactual(bundle, app)
    assert result["forsorjningsstod"] == 0 and cf["kostnad_utan_andring"] == result["overskott"] > 0
    assert "inkomst_till_noll" not in cf


def test_next_month_a_child_moves_to_the_next_age_band(bundle: engine.RuleBundle) -> None:
    app = _single()
    app["hushall"].append({"id": "b", "roll": "barn", "fodd": "2019-03-15"})  # 6 on 1 March, 7 on 1 April
    cf = engine.counterfactual(bundle, app)
    nxt = cf["nasta_manad"]
    assert nxt["period"] == "2026-04"
    assert nxt["forsorjningsstod"] != cf["forsorjningsstod"]
    assert {"person": "b", "regel": "Personlig kostnad för barn eller skolungdom"} in nxt["andras"]


def test_next_month_without_amounts_says_why(bundle: engine.RuleBundle) -> None:
    cf = engine.counterfactual(bundle, _single(period="2026-12"))
    assert (
        cf["nasta_manad"]["period"] == "2027-01" and "jämförelsetal" in cf["nasta_manad"]["kan_inte_beraknas"].lower()
    )


def test_the_caseworker_text_and_page_say_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "a.yaml"
    path.write_text("period: 2026-03\nhushall: [{id: s, roll: sökande, fodd: 1985-02-01}]\n", encoding="utf-8")
    assert main(["berakna", str(path)]) == 0
    out = capsys.readouterr().out
    assert "VAD SOM SKULLE ÄNDRA RESULTATET" in out and "Försörjningsstödet upphör om sökandens lön ökar med" in out
    page = tmp_path / "sida.html"
    assert main(["berakna", str(path), "--html", str(page)]) == 0
    html = page.read_text("utf-8")
    assert "Vad som skulle ändra resultatet" in html and "Beräkningsunderlag" in html
    assert main(["berakna", str(path), "--html", str(tmp_path / "saknas" / "x.html")]) == 2


def test_the_applicant_page_is_plain_swedish_and_fits_a_phone(tmp_path: Path) -> None:
    path = tmp_path / "a.yaml"
    path.write_text(
        "period: 2026-03\nhushall: [{id: s, roll: sokande, fodd: 1985-02-01}]\n"
        "inkomster: [{person: s, typ: a_kassa, belopp: 3000}]\nkostnader: [{typ: boende, belopp: 6000}]\n",
        encoding="utf-8",
    )
    page = tmp_path / "sokande.html"
    assert main(["berakna", str(path), "--html", str(page), "--for-sokande"]) == 0
    html = page.read_text("utf-8")
    assert "Ditt försörjningsstöd för mars 2026" in html and "Om du inte håller med om beslutet" in html
    for technical in ("forsorjningsstod", "a_kassa", "norm.", "regel", "SoL", "kap."):
        assert technical not in html, technical
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium saknas: kör scripts/ensure-services")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        p = b.new_page(viewport={"width": 360, "height": 740})
        p.goto(page.as_uri())
        assert p.evaluate("document.documentElement.scrollWidth") <= 360  # no sideways scrolling on a phone
        assert "kr" in p.locator(".stort").inner_text()
        b.close()


def test_an_application_at_the_contracts_limits_gets_no_answer_rather_than_an_error(bundle: engine.RuleBundle) -> None:
    from engine._limits import MAX_BELOPP

    app = _single(kostnader=[{"typ": "boende", "belopp": MAX_BELOPP}] * 10)  # 100 000 000 kr: the contract's sum
    cf = engine.counterfactual(bundle, app)
    assert cf["forsorjningsstod"] > 0 and cf["inkomst_till_noll"] == {"lon": None, "ovrig": None}


def test_the_wage_curve_shows_the_jobbstimulans_effect(bundle: engine.RuleBundle) -> None:
    """Without a window each krona of wage is taken from the aid: the household's money stays flat until the
    aid ends. In a window a quarter of the wage does not count, so the money rises with the wage."""
    flat = engine.counterfactual(bundle, _single(), curve=True)["lonekurva"]
    assert len(flat) == 21 and flat[0]["lon"] == 0
    below = [p for p in flat if p["forsorjningsstod"] > 0]
    assert len({p["totalt"] for p in below}) == 1  # flat while aid is paid
    app = _single()
    app["hushall"][0]["historik"] = {"manader_i_folj": 8}
    rising = engine.counterfactual(bundle, app, curve=True)["lonekurva"]
    paid = [p for p in rising if p["forsorjningsstod"] > 0]
    for a, b in pairwise(paid):
        assert b["totalt"] - a["totalt"] == _counted_not(b["lon"]) - _counted_not(a["lon"])
    from explain._chart import wage_chart_svg

    svg = wage_chart_svg({"kontrafaktiskt": {"lonekurva": rising}})
    assert svg is not None and svg.startswith("<svg") and "Hushållets pengar" in svg


def _counted_not(wage: int) -> int:
    """The part of a wage that does not count in a jobbstimulans window (25 %, whole kronor)."""
    return wage - _counted(wage)
