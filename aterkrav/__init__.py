"""Återkrav (SoL 2025:400 33 kap.): the basis for recovering aid paid out too much.

A recorded decision is recomputed with corrected facts under exactly the rule version that made
it; the difference per month is what was paid out too much. Beside it: the legal grounds the nämnd
may choose between (33 kap. 1 § första or andra stycket, 2 §), the last day to bring an action
(5 §), and, when a control deviation suggests undeclared income, the duty to report suspected
crime (bidragsbrottslagen 6 §). It never decides: it is the caseworker's basis.

The grounds, the time limit and the deviation codes are rule files (``regelverk/aterkrav/``), each
beside its statute sentence, stored and hashed with the bundle like every other rule.
"""

from aterkrav._basis import CorrectionError, basis
from aterkrav._rules import RULE_FILE, AterkravRules, check, load_rules
from aterkrav._text import render_text

__all__ = ["RULE_FILE", "AterkravRules", "CorrectionError", "basis", "check", "load_rules", "render_text"]
