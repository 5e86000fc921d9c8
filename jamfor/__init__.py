"""The impact of a rule change (``ekbist jamfor A B``): what changed, and what it does to real cases.

A and B are two rule roots or two git revisions. The comparison lists every changed rule and amount
value by value (:mod:`jamfor._diff`), runs the same cases through both – golden cases, a generated
population, stored decisions, files (:mod:`jamfor._cases`) – on every core (:mod:`jamfor._run`),
and reports how many change, by how many kronor per output, the largest changes and which rules and
amounts caused them (:mod:`jamfor._report`).
"""

from jamfor._cases import Case, decisions, files, golden, population
from jamfor._diff import changes
from jamfor._report import Tally, render_text
from jamfor._roots import Root, RootError, load_root
from jamfor._run import CONTRACT, outcome, run

__all__ = [
    "CONTRACT",
    "Case",
    "Root",
    "RootError",
    "Tally",
    "changes",
    "decisions",
    "files",
    "golden",
    "load_root",
    "outcome",
    "population",
    "render_text",
    "run",
]
