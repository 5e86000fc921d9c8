"""Calendar months: the unit an application is made for."""

from __future__ import annotations

import re
from calendar import monthrange
from dataclasses import dataclass
from datetime import date

_MONTH_RE = re.compile(r"^(?!0000)(\d{4})-(0[1-9]|1[0-2])$")

MONTH_NAMES_SV = (
    "januari",
    "februari",
    "mars",
    "april",
    "maj",
    "juni",
    "juli",
    "augusti",
    "september",
    "oktober",
    "november",
    "december",
)


@dataclass(frozen=True, order=True)
class Month:
    """A calendar month, ordered and with month arithmetic (``Month + 6``)."""

    index: int  # year * 12 + (month - 1)

    @classmethod
    def of(cls, year: int, month: int) -> Month:
        return cls(year * 12 + month - 1)

    @classmethod
    def parse(cls, text: str) -> Month:
        """Parse ``YYYY-MM`` (years 1–9999); raise ValueError with a Swedish message otherwise."""
        m = _MONTH_RE.match(text)
        if not m:
            raise ValueError(f"'{text}' är inte en månad på formen ÅÅÅÅ-MM")
        return cls.of(int(m.group(1)), int(m.group(2)))

    @property
    def year(self) -> int:
        return self.index // 12

    @property
    def month(self) -> int:
        return self.index % 12 + 1

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last_day(self) -> date:
        return date(self.year, self.month, monthrange(self.year, self.month)[1])

    def __add__(self, months: int) -> Month:
        return Month(self.index + months)

    def __sub__(self, months: int) -> Month:
        return Month(self.index - months)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def name_sv(self) -> str:
        """``mars 2026``."""
        return f"{MONTH_NAMES_SV[self.month - 1]} {self.year}"


def age_on(born: date, day: date) -> int:
    """Completed years on ``day``; a person born after ``day`` counts as 0 years."""
    years = day.year - born.year - ((day.month, day.day) < (born.month, born.day))
    return max(0, years)
