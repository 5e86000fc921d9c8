"""Error types shared by every face of the engine.

Bad input and bad rule files are expected events, not bugs: they carry a list of problems,
each naming the field (or file, line and key) and what is wrong, so that the CLI can print
them with exit status 2 and the API can answer 422 without ever showing a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One problem with an application: the field path and a message for people."""

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


class InputError(Exception):
    """The application (ansökan) cannot be computed as given."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems))


class PeriodNotCovered(InputError):
    """No rule version (or no dated amount) is in force for the period applied for."""


@dataclass(frozen=True)
class RuleProblem:
    """One problem in a rule file, located by file, line and key."""

    file: str
    line: int | None
    key: str
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.key}: {self.message}" if self.key else f"{where}: {self.message}"


class RuleFileError(Exception):
    """The rule files (regelverk/ and normer/) are not valid; nothing was loaded."""

    def __init__(self, problems: list[RuleProblem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class EvaluationError(Exception):
    """A rule failed while computing (division by zero, a fraction where kronor are due).

    This is a defect in the rule files, not in the application; ``ekbist validera`` and the
    golden suite are there to find it before users do.
    """
