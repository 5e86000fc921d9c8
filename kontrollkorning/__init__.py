"""The monthly control run over every active case (``ekbist kontrollkorning --manad ÅÅÅÅ-MM``).

- :func:`new_plan` / :func:`open_workdir` fix a run (its cases, its random sample's seed) and keep
  its finished cases on disk so that it can be resumed;
- :func:`run_cases` checks cases against fresh agency answers with the control rules;
  :func:`finished_cases` reads back those already done;
- :func:`build_report`, :func:`render_html`, :func:`render_csv` write the report.
"""

from kontrollkorning._report import build_report, render_csv, render_html
from kontrollkorning._run import (
    DEFAULT_SHARE,
    DONE,
    Plan,
    RunError,
    check_case,
    finished_cases,
    new_plan,
    open_workdir,
    run_cases,
)

__all__ = [
    "DEFAULT_SHARE",
    "DONE",
    "Plan",
    "RunError",
    "build_report",
    "check_case",
    "finished_cases",
    "new_plan",
    "open_workdir",
    "render_csv",
    "render_html",
    "run_cases",
]
