"""Swedish personnummer and samordningsnummer: checked strictly, shown masked.

A personnummer is sensitive: it is validated with a clear message that never repeats it, it is
never logged, and explanations show only the birth date with the last four digits masked. The
check digit and the short forms (``ÅÅMMDD-NNNN``, ``+`` from the year one turns 100) are read by
python-stdnum; a samordningsnummer (birth day + 60), which stdnum does not know, is read with its
day brought back before the date is checked. Every accepted form is stored as 12 digits.
"""

from __future__ import annotations

import re
from datetime import date

from stdnum import luhn
from stdnum.exceptions import ValidationError
from stdnum.se import personnummer as se_personnummer

_TWELVE = re.compile(r"^(\d{8})[-+]?(\d{4})$")
_TEN = re.compile(r"^(\d{6})([-+]?)(\d{4})$")
FORMAT = "ÅÅÅÅMMDDNNNK (12 siffror; ÅÅÅÅMMDD-NNNK och ÅÅMMDD-NNNK går också)"


def normalise(value: str) -> str | None:
    """The 12-digit form of ``value`` in any accepted form, or None when it has none of them."""
    text = value.strip().replace(" ", "")
    m = _TWELVE.match(text)
    if m:
        return m.group(1) + m.group(2)
    m = _TEN.match(text)
    if not m:
        return None
    digits, sign, serial = m.group(1), m.group(2) or "-", m.group(3)
    day = int(digits[4:6])
    shown_day = day - 60 if day > 60 else day  # samordningsnummer
    try:
        born = se_personnummer.get_birth_date(f"{digits[:4]}{shown_day:02d}{sign}{serial}")
    except ValidationError:
        return None
    return f"{born.year // 100:02d}{digits}{serial}"


def problem(value: str) -> str | None:
    """Why ``value`` is not a valid personnummer or samordningsnummer, or None."""
    twelve = normalise(value)
    if twelve is None:
        return f"ska skrivas {FORMAT}"
    if birth_date(twelve) is None:
        return "födelsedatumet i numret finns inte"
    if not luhn.is_valid(twelve[2:]):
        return "kontrollsiffran stämmer inte"
    return None


def birth_date(value: str) -> date | None:
    """The birth date a valid 12-digit number gives (for a samordningsnummer, the day − 60)."""
    year, month, day = int(value[:4]), int(value[4:6]), int(value[6:8])
    if day > 60:
        day -= 60
    try:
        return date(year, month, day)
    except ValueError:
        return None


def kon(value: str) -> str:
    """``man`` or ``kvinna`` by the second-to-last digit (odd for a man), as folkbokföringen assigns it."""
    return "man" if int(value[10]) % 2 == 1 else "kvinna"


def with_check_digit(nine_after_century: str) -> str:
    """Complete YYMMDDNNN with its check digit (for synthetic test persons)."""
    return nine_after_century + luhn.calc_check_digit(nine_after_century)


def mask(value: str) -> str:
    """``19850201-****``: enough to tell persons apart in an explanation, not enough to identify."""
    return f"{value[:8]}-****"
