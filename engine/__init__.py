"""ekbist's rule engine: rule files in, explained calculations out.

The engine knows nothing of HTTP, the command line or storage. Its public surface is small:

- :func:`load_bundle` / :func:`load_bundle_from_files` load and check ``regelverk/`` and ``normer/``;
- :meth:`RuleBundle.calculate` computes one application and returns a :class:`Result`;
- :func:`check_bundle` lists every problem in a set of rule files;
- the exceptions :class:`InputError` (bad application; includes :class:`PeriodNotCovered`),
  :class:`RuleFileError` (bad rule files) and :class:`EvaluationError` (a defect in a rule).
"""

from engine._agency import SOURCE_NAMES, SOURCES, PersonAgencyData, SourceAnswer
from engine._assumptions import Assumptions, parse_assumptions
from engine._bundle import RuleBundle, check_bundle, content_hash, load_bundle, load_bundle_from_files, read_rule_files
from engine._counterfactual import counterfactual
from engine._errors import EvaluationError, InputError, PeriodNotCovered, Problem, RuleFileError, RuleProblem
from engine._evaluate import Result
from engine._input import COST_TYPES, INCOME_TYPES, ROLES, parse_application
from engine._limits import jamforelsetal
from engine._parsing import parse_json, parse_text
from engine._paths import default_root, settle_memory
from engine._period import Month

__all__ = [
    "COST_TYPES",
    "INCOME_TYPES",
    "ROLES",
    "SOURCES",
    "SOURCE_NAMES",
    "Assumptions",
    "EvaluationError",
    "InputError",
    "Month",
    "PeriodNotCovered",
    "PersonAgencyData",
    "Problem",
    "Result",
    "RuleBundle",
    "RuleFileError",
    "RuleProblem",
    "SourceAnswer",
    "check_bundle",
    "content_hash",
    "counterfactual",
    "default_root",
    "jamforelsetal",
    "load_bundle",
    "load_bundle_from_files",
    "parse_application",
    "parse_assumptions",
    "parse_json",
    "parse_text",
    "read_rule_files",
    "settle_memory",
]
