"""Which verifications an applicant hands in with an application, and why (``regelverk/underlag/``).

The rules are read from the bundle's files, like återkrav's; each names the fact it is about (an
income row, a cost row, a person, the household), a condition in the control rules' language, the
text for the applicant, the reason, and the law or the stated convention behind it. Agency data
that already show an income make its verification unnecessary: that is reported too.
"""

from underlag._evaluate import verifications
from underlag._rules import RULE_FILE, UnderlagRules, check, load_rules

__all__ = ["RULE_FILE", "UnderlagRules", "check", "load_rules", "verifications"]
