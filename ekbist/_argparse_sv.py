"""argparse in Swedish: its own words (usage, errors, help) translated through its gettext hook.

argparse looks every message up with ``gettext`` at the moment it is shown; binding its module-level
``_``/``ngettext`` to this table makes "usage:", "error:" and "the following arguments are required"
Swedish without copying argparse. A message not in the table is shown as argparse wrote it.
"""

from __future__ import annotations

import argparse

SV = {
    "usage: ": "användning: ",
    "options": "flaggor",
    "positional arguments": "argument",
    "show this help message and exit": "visa den här hjälpen och avsluta",
    "%(prog)s: error: %(message)s\n": "%(prog)s: fel: %(message)s\n",
    "the following arguments are required: %s": "följande argument krävs: %s",
    "unrecognized arguments: %s": "okända argument: %s",
    "invalid choice: %(value)r (choose from %(choices)s)": "ogiltigt val: %(value)r (välj bland %(choices)s)",
    "invalid %(type)s value: %(value)r": "ogiltigt värde (%(type)s): %(value)r",
    "argument %(argument_name)s: %(message)s": "argumentet %(argument_name)s: %(message)s",
    "expected one argument": "ett värde väntades",
    "expected at most one argument": "högst ett värde väntades",
    "expected at least one argument": "minst ett värde väntades",
    "ambiguous option: %(option)s could match %(matches)s": "flertydig flagga: %(option)s kan vara %(matches)s",
    "not allowed with argument %s": "kan inte anges tillsammans med %s",
    "one of the arguments %s is required": "ett av argumenten %s krävs",
    "ignored explicit argument %r": "värdet %r används inte",
    "can't open '%(filename)s': %(error)s": "kan inte öppna '%(filename)s': %(error)s",
    "unknown parser %(parser_name)r (choices: %(choices)s)": "okänt kommando %(parser_name)r (finns: %(choices)s)",
    "expected %s argument": "%s värde väntades",
    "expected %s arguments": "%s värden väntades",
}


def _sv(message: str) -> str:
    return SV.get(message, message)


def _sv_n(singular: str, plural: str, n: int) -> str:
    return _sv(singular if n == 1 else plural)


def install() -> None:
    """Make argparse speak Swedish in this process."""
    argparse._ = _sv  # type: ignore[attr-defined]
    argparse.ngettext = _sv_n  # type: ignore[attr-defined]
