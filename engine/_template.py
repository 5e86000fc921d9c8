"""Explanation sentences in rule files: ``{name}``, ``{name?if true|if false}``, ``{name=value?…|…}``.

``{name:procent}`` shows a share such as 0.25 as ``25 %``.

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
    fmt: str | None = None
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
    fmt = None
    if text.startswith(":procent", pos):
        fmt, pos = "procent", pos + len(":procent")
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
        return Slot(key, fmt, equals, then, otherwise), pos + 1
    if equals is not None or pos >= len(text) or text[pos] != "}":
        raise TemplateError(f"'{{{key}' saknar avslutande '}}'")
    return Slot(key, fmt), pos + 1


def keys(parts: tuple[Part, ...]) -> set[str]:
    out: set[str] = set()
    for p in parts:
        if isinstance(p, Slot):
            out.add(p.key)
            out |= keys(p.then or ())
            out |= keys(p.otherwise)
    return out


Lookup = Callable[[str], object]
Text = Callable[[object], str]
Renderer = Callable[[Lookup, Text], str]


def compile_parts(parts: tuple[Part, ...]) -> Renderer:
    """Turn parsed parts into one function, so rendering a trace entry is a few calls, not a walk."""
    pieces: list[Renderer] = []
    for p in parts:
        if isinstance(p, str):

            def literal(lookup: Lookup, text: Text, lit: str = p) -> str:
                return lit

            pieces.append(literal)
        elif p.then is None:

            def value(lookup: Lookup, text: Text, k: str = p.key, pct: bool = p.fmt == "procent") -> str:
                v = lookup(k)
                return text(_percent(v) if pct else v)

            pieces.append(value)
        else:
            then, otherwise = compile_parts(p.then), compile_parts(p.otherwise)
            if p.equals is not None:

                def choose_eq(
                    lookup: Callable[[str], object],
                    text: Callable[[object], str],
                    s: Slot = p,
                    a: Renderer = then,
                    b: Renderer = otherwise,
                ) -> str:
                    return a(lookup, text) if text(lookup(s.key)) == s.equals else b(lookup, text)

                pieces.append(choose_eq)
            else:

                def choose(
                    lookup: Callable[[str], object],
                    text: Callable[[object], str],
                    k: str = p.key,
                    a: Renderer = then,
                    b: Renderer = otherwise,
                ) -> str:
                    return a(lookup, text) if lookup(k) else b(lookup, text)

                pieces.append(choose)
    if len(pieces) == 1:
        return pieces[0]
    return lambda lookup, text: "".join([f(lookup, text) for f in pieces])


def render(parts: tuple[Part, ...], lookup: Callable[[str], object], text: Callable[[object], str]) -> str:
    out: list[str] = []
    for p in parts:
        if isinstance(p, str):
            out.append(p)
            continue
        value = lookup(p.key)
        if p.fmt == "procent":
            value = _percent(value)
        if p.then is None:
            out.append(text(value))
            continue
        hit = text(value) == p.equals if p.equals is not None else bool(value)
        out.append(render(p.then if hit else p.otherwise, lookup, text))
    return "".join(out)


def _percent(value: object) -> object:
    from decimal import Decimal

    if isinstance(value, Decimal | int | float) and not isinstance(value, bool):
        return f"{(Decimal(str(value)) * 100).normalize():f} %".replace(".", ",")
    return value
