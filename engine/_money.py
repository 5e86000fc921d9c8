"""Exact decimal rounding, as the statute and the contract's conventions require.

Floating point is never used for amounts: 4 350 × 0.47 must be exactly 2 044.5 so that it
rounds to 2 045 (halves up), not to 2 044 because of a binary representation error.
"""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal

ONE = Decimal(1)
ZERO = Decimal(0)


def round_half_up(value: Decimal, step: Decimal = ONE) -> Decimal:
    """Round to the nearest multiple of ``step``, halves away from zero."""
    return (value / step).quantize(ONE, rounding=ROUND_HALF_UP) * step


def round_down(value: Decimal, step: Decimal = ONE) -> Decimal:
    """Round down to the nearest lower multiple of ``step`` (``närmaste lägre tiotal``)."""
    return (value / step).quantize(ONE, rounding=ROUND_FLOOR) * step


def round_up(value: Decimal, step: Decimal = ONE) -> Decimal:
    """Round up to the nearest higher multiple of ``step``."""
    return (value / step).quantize(ONE, rounding=ROUND_CEILING) * step


def is_whole(value: Decimal) -> bool:
    return value == value.to_integral_value()


def format_kr(value: Decimal | int) -> str:
    """``12 345`` with a thin space as thousands separator, as Swedish documents write it."""
    whole = int(value)
    if whole == value:
        if -1000 < whole < 1000:
            return str(whole).replace("-", "−")
        return ("−" if whole < 0 else "") + f"{abs(whole):,}".replace(",", "\u00a0")
    d = Decimal(value)
    sign = "−" if d < 0 else ""
    d = abs(d)
    whole = int(d)
    frac = d - whole
    text = f"{whole:,}".replace(",", "\u00a0")
    text += "," + str(frac.normalize()).split(".")[1]
    return sign + text
