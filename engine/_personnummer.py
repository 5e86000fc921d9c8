"""Swedish personnummer and samordningsnummer: checked strictly, shown masked.

A personnummer is sensitive: it is validated with a clear message that never repeats it, it is
never logged, and explanations show only the birth date with the last four digits masked.
"""

from __future__ import annotations

import re
from datetime import date

_PNR = re.compile(r"^\d{12}$")


def problem(value: str) -> str | None:
    """Why ``value`` is not a valid 12-digit personnummer or samordningsnummer, or None."""
    if not _PNR.match(value):
        return "ska vara 12 siffror (ÅÅÅÅMMDDNNNK), utan bindestreck"
    year, month, day = int(value[:4]), int(value[4:6]), int(value[6:8])
    if day > 60:
        day -= 60  # samordningsnummer: födelsedag + 60
    try:
        date(year, month, day)
    except ValueError:
        return "födelsedatumet i numret finns inte"
    if not luhn_ok(value[2:]):
        return "kontrollsiffran stämmer inte"
    return None


def luhn_ok(ten: str) -> bool:
    total = 0
    for i, ch in enumerate(ten):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def with_check_digit(nine_after_century: str) -> str:
    """Complete YYMMDDNNN with its check digit (for synthetic test persons)."""
    for c in "0123456789":
        if luhn_ok(nine_after_century + c):
            return nine_after_century + c
    raise ValueError(nine_after_century)


def mask(value: str) -> str:
    """``19850201-****``: enough to tell persons apart in an explanation, not enough to identify."""
    return f"{value[:8]}-****"
