"""Reading applications and golden cases from YAML or JSON files.

A file is either an application (the contract's fields at top level) or a case: ``ansokan``
plus metadata (``namn``, ``beskrivning``, ``forvantat``, ...), as in ``../shared/exempel/``.
Duplicate keys are refused in both formats: a second ``belopp`` silently overriding the first
is how wrong decisions are born.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine import InputError, Problem
from engine._yamlsrc import YamlSyntaxError, load_yaml

CASE_KEYS = frozenset(
    {"namn", "beskrivning", "ansokan", "forvantat", "forvantat_fel", "jamforelsetal", "ssbtek", "anmarkning"}
)


@dataclass
class Document:
    """An application and, when the file was a case, the case's other fields."""

    source: str
    ansokan: Any
    case: dict[str, Any] = field(default_factory=dict)


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in out:
            raise ValueError(f"nyckeln '{k}' förekommer två gånger")
        out[k] = v
    return out


def parse_text(text: str, source: str) -> Any:
    """Parse YAML or JSON text; raise InputError naming the line on syntax errors."""
    stripped = text.lstrip()
    if stripped.startswith(("{", "[")) or source.endswith(".json"):
        try:
            return json.loads(text, object_pairs_hook=_no_duplicates)
        except json.JSONDecodeError as exc:
            raise InputError([Problem(source, f"ogiltig JSON på rad {exc.lineno}: {exc.msg}")]) from None
        except ValueError as exc:
            raise InputError([Problem(source, f"ogiltig JSON: {exc}")]) from None
    try:
        return load_yaml(text, source).data
    except YamlSyntaxError as exc:
        where = f" på rad {exc.line}" if exc.line else ""
        raise InputError([Problem(source, f"{exc.message}{where}")]) from None


def read_document(path: str) -> Document:
    """Read an application or a case from ``path`` (``-`` for standard input)."""
    if path == "-":
        text, source = sys.stdin.read(), "<stdin>"
    else:
        p = Path(path)
        source = str(p)
        try:
            text = p.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise InputError([Problem(source, "filen finns inte")]) from None
        except IsADirectoryError:
            raise InputError([Problem(source, "är en katalog, inte en fil")]) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError([Problem(source, f"kan inte läsas: {exc}")]) from None
    data = parse_text(text, source)
    return as_document(data, source)


def as_document(data: Any, source: str) -> Document:
    if isinstance(data, dict) and "ansokan" in data:
        unknown = sorted(set(data) - CASE_KEYS)
        if unknown:
            raise InputError([Problem(k, "okänt fält i fallfilen") for k in unknown])
        return Document(source, data["ansokan"], {k: v for k, v in data.items() if k != "ansokan"})
    return Document(source, data)
