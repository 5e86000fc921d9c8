"""The contract's bounds: how large an application, a file or a number may be.

Every bound is far beyond any real household and exists so that no input, however hostile, can
make a calculation inexact, slow or unbounded in memory. Sums stay exact integers within 64 bits
(at most 300 lines of at most 10 million kronor each), Decimal arithmetic keeps far fewer digits
than its 28-digit precision, and every loop is over at most a few hundred items. A value past a
bound is refused with a message naming the field and the bound; it is never clipped. The list,
with its reasons, is in ``docs/kontrakt.rst``; change a bound here and there together.
"""

from __future__ import annotations

from decimal import Decimal

MAX_BELOPP = 10_000_000
"""Kronor on one income or cost line (a month's income of ten million is already absurd)."""

MAX_SUMMA = 100_000_000
"""Kronor over every line of an application together."""

MAX_PERSONER = 30
"""Persons in ``hushall``."""

MAX_HUSHALLSGEMENSKAP = 100
"""``gemensamt_hushall_antal``: persons sharing the household, incl. those not applying."""

MAX_INKOMSTRADER = 200
MAX_KOSTNADSRADER = 50
MAX_SYSSELSATTNINGAR = 20

MAX_MANADER_I_FOLJ = 1200
"""Months in a row with försörjningsstöd (a hundred years)."""

MAX_ALDER = 125
"""Years between a person's birth and the period."""

JAMFORELSETAL_MIN = Decimal("0.5")
JAMFORELSETAL_MAX = Decimal("2")
"""SCB's jämförelsetal is a price index relative to June 2024 (about 1.05 in 2027); outside
0.5–2 prices would have halved or doubled, which is a typing error, not a forecast."""

MAX_TEXT = 200
"""Characters in a short text: ids, names, codes."""

MAX_MOTIVERING = 5000
"""Characters in a motivation or description written by a caseworker."""

MAX_DJUP = 32
"""Nesting of objects and lists in a file or a request body (the contract needs five)."""

MAX_SIFFROR = 30
"""Digits in an integer written in a file or body; longer numbers are refused while parsing."""

MAX_FIL = 2_000_000
"""Bytes in an application or case file read by the command line."""

MAX_ALIASNODER = 100_000
"""Nodes a rule file may produce through YAML aliases (``*namn``); applications may use none."""


def jamforelsetal_problem(value: Decimal) -> str | None:
    """Why ``value`` cannot be a jämförelsetal, or None."""
    if not value.is_finite():
        return "måste vara ett ändligt tal"
    if not JAMFORELSETAL_MIN <= value <= JAMFORELSETAL_MAX:
        return (
            f"{value} ligger utanför {JAMFORELSETAL_MIN}–{JAMFORELSETAL_MAX}; jämförelsetalet är SCB:s "
            "prisindex i förhållande till juni 2024 (omkring 1,05)"
        )
    return None


def jamforelsetal(value: object, field: str = "jamforelsetal") -> Decimal:
    """A jämförelsetal given for a preview, as Decimal; raise InputError naming ``field`` otherwise."""
    from decimal import InvalidOperation

    from engine._errors import InputError, Problem

    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        raise InputError([Problem(field, "ska vara ett tal, t.ex. 1.0512")])
    try:
        number = Decimal(str(value).replace(",", ".").strip())
    except InvalidOperation:
        raise InputError([Problem(field, f"'{str(value)[:40]}' är inget tal")]) from None
    why = jamforelsetal_problem(number)
    if why:
        raise InputError([Problem(field, why)])
    return number
