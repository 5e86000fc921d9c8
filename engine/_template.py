"""Explanation sentences in rule files: ``{name}``, ``{name?if true|if false}``, ``{name=value?…|…}``.

Rule authors write the Swedish sentence that explains a rule; placeholders name values the
rule read (or details its functions recorded). Branches may hold placeholders themselves.
There is no other logic: a template can only choose between texts and insert values.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

_KEY = re.compile(r"[a-z_][a-z0-9_.]*")


class TemplateError(Exception):
    pass


@dataclass(frozen=True)
class Slot:
    key: str
    equals: str | None = None
    then: tuple[Part, ...] | None = None
    otherwise: tuple[Part, ...] = ()


Part = str | Slot


def parse(text: str) -> tuple[Part, ...]:
    parts, pos = _parse(text, 0, top=True)
    if pos != len(text):
        raise TemplateError(f"oväntat tecken '{text[pos]}' vid position {pos + 1}")
    return parts


def _parse(text: str, pos: int, top: bool) -> tuple[tuple[Part, ...], int]:
    parts: list[Part] = []
    buf: list[str] = []
    while pos < len(text):
        ch = text[pos]
        if ch == "{":
            if buf:
                parts.append("".join(buf))
                buf = []
            slot, pos = _slot(text, pos + 1)
            parts.append(slot)
            continue
        if not top and ch in "|}":
            break
        if ch == "}" and top:
            raise TemplateError(f"'}}' utan matchande '{{' vid position {pos + 1}")
        buf.append(ch)
        pos += 1
    if buf:
        parts.append("".join(buf))
    return tuple(parts), pos


def _slot(text: str, pos: int) -> tuple[Slot, int]:
    m = _KEY.match(text, pos)
    if not m:
        raise TemplateError(f"ett namn krävs efter '{{' vid position {pos + 1}")
    key, pos = m.group(0), m.end()
    equals = None
    if pos < len(text) and text[pos] == "=":
        end = text.find("?", pos)
        if end < 0:
            raise TemplateError(f"'{{{key}=…' kräver '?' och två alternativ")
        equals, pos = text[pos + 1 : end], end
    if pos < len(text) and text[pos] == "?":
        then, pos = _parse(text, pos + 1, top=False)
        if pos >= len(text) or text[pos] != "|":
            raise TemplateError(f"'{{{key}?…' kräver två alternativ åtskilda av '|'")
        otherwise, pos = _parse(text, pos + 1, top=False)
        if pos >= len(text) or text[pos] != "}":
            raise TemplateError(f"'{{{key}?…' saknar avslutande '}}'")
        return Slot(key, equals, then, otherwise), pos + 1
    if equals is not None or pos >= len(text) or text[pos] != "}":
        raise TemplateError(f"'{{{key}' saknar avslutande '}}'")
    return Slot(key), pos + 1


def keys(parts: tuple[Part, ...]) -> set[str]:
    out: set[str] = set()
    for p in parts:
        if isinstance(p, Slot):
            out.add(p.key)
            out |= keys(p.then or ())
            out |= keys(p.otherwise)
    return out


def render(parts: tuple[Part, ...], lookup: Callable[[str], object], text: Callable[[object], str]) -> str:
    out: list[str] = []
    for p in parts:
        if isinstance(p, str):
            out.append(p)
            continue
        value = lookup(p.key)
        if p.then is None:
            out.append(text(value))
            continue
        hit = text(value) == p.equals if p.equals is not None else bool(value)
        out.append(render(p.then if hit else p.otherwise, lookup, text))
    return "".join(out)
