"""Legal references follow the law in force for the period (1 July 2025: new SoL and SoF)."""

from __future__ import annotations

import engine
from tests.conftest import single


def _lagrum(result: engine.Result, rule: str) -> list[str]:
    return next(e["lagrum"] for e in result.trace if e["regel"] == rule)


def test_june_2025_cites_old_law(bundle: engine.RuleBundle) -> None:
    r = bundle.calculate(single("2025-06"))
    refs = " ".join(_lagrum(r, "personliga_kostnader_vuxna"))
    assert "4 kap. 3 § första stycket 1 socialtjänstlagen (2001:453)" in refs
    assert "2 kap. 1 § socialtjänstförordningen (2001:937)" in refs
    assert "2025:400" not in refs


def test_july_2025_cites_new_law_same_amount(bundle: engine.RuleBundle) -> None:
    june, july = bundle.calculate(single("2025-06")), bundle.calculate(single("2025-07"))
    refs = " ".join(_lagrum(july, "personliga_kostnader_vuxna"))
    assert "12 kap. 7 § första stycket 1 socialtjänstlagen (2025:400)" in refs
    assert "12 kap. 2 § socialtjänstförordningen (2025:468)" in refs
    assert june["riksnorm"] == july["riksnorm"] == 3910 + 1270


def test_jobbstimulans_reference_moves(bundle: engine.RuleBundle) -> None:
    old = bundle.calculate(single("2025-06"))
    new = bundle.calculate(single("2025-07"))
    assert _lagrum(old, "jobbstimulans_avdrag") == ["4 kap. 1 b § socialtjänstlagen (2001:453)"]
    assert _lagrum(new, "jobbstimulans_avdrag") == ["12 kap. 8 § socialtjänstlagen (2025:400)"]


def test_norm_sources_name_the_amending_act(bundle: engine.RuleBundle) -> None:
    r = bundle.calculate(single("2026-02"))
    src = r.norms["riksnorm.vuxna.ensamstaende"]
    assert src["varde"] == 3940
    assert "12 kap. 2 § socialtjänstförordningen (2025:468)" in src["kalla"]
    assert "förordning (2025:1046)" in src["kalla"]


def test_fritidskort_before_new_law_is_a_stated_convention(bundle: engine.RuleBundle) -> None:
    r = bundle.calculate(single("2025-05"))
    refs = _lagrum(r, "fritidskort_undantag")
    assert refs and all(ref.startswith("Konvention:") for ref in refs)
