"""Reading applications and golden cases from YAML or JSON files.

A file is either an application (the contract's fields at top level) or a case: ``ansokan``
plus metadata (``namn``, ``beskrivning``, ``forvantat``, ...), as in ``../shared/exempel/``.
Duplicate keys are refused in both formats: a second ``belopp`` silently overriding the first
is how wrong decisions are born.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine import InputError, Problem
from engine._limits import MAX_FIL
from engine._parsing import parse_text as _parse

CASE_KEYS = frozenset(
    {"namn", "beskrivning", "ansokan", "forvantat", "forvantat_fel", "jamforelsetal", "ssbtek", "anmarkning"}
)


@dataclass
class Document:
    """An application and, when the file was a case, the case's other fields."""

    source: str
    ansokan: Any
    case: dict[str, Any] = field(default_factory=dict)


def parse_text(text: str, source: str) -> Any:
    """Parse YAML or JSON text strictly (:mod:`engine._parsing`); raise InputError naming the line."""
    return _parse(text, source)


def read_document(path: str) -> Document:
    """Read an application or a case from ``path`` (``-`` for standard input), at most MAX_FIL bytes."""
    if path == "-":
        raw, source = sys.stdin.buffer.read(MAX_FIL + 1), "<stdin>"
    else:
        p = Path(path)
        source = str(p)
        try:
            with p.open("rb") as f:
                raw = f.read(MAX_FIL + 1)  # a device or a huge file is never read whole
        except FileNotFoundError:
            raise InputError([Problem(source, "filen finns inte")]) from None
        except IsADirectoryError:
            raise InputError([Problem(source, "är en katalog, inte en fil")]) from None
        except OSError as exc:
            raise InputError([Problem(source, f"kan inte läsas: {exc.strerror or exc}")]) from None
    if len(raw) > MAX_FIL:
        raise InputError([Problem(source, f"filen är större än {MAX_FIL} byte; en ansökan är några kilobyte")])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError([Problem(source, f"filen är inte UTF-8 (byte {exc.start})")]) from None
    data = parse_text(text, source)
    return as_document(data, source)


def as_document(data: Any, source: str) -> Document:
    if isinstance(data, dict) and "ansokan" in data:
        unknown = sorted(set(data) - CASE_KEYS)
        if unknown:
            raise InputError([Problem(k, "okänt fält i fallfilen") for k in unknown])
        return Document(source, data["ansokan"], {k: v for k, v in data.items() if k != "ansokan"})
    return Document(source, data)
