"""Application text to data, one way for every face: the command line reads files, the API bodies.

JSON and YAML obey the same rules, so a file that the command line refuses is refused over HTTP
too: duplicate keys, NaN and infinities, integers longer than :data:`MAX_SIFFROR` digits and
nesting deeper than :data:`MAX_DJUP` are refused with a message (and a line where there is one);
YAML is read by :mod:`engine._yamlsrc` without aliases or tags.
"""

from __future__ import annotations

import json
from typing import Any

from engine._errors import InputError, Problem
from engine._limits import MAX_DJUP, MAX_SIFFROR
from engine._yamlsrc import YamlSyntaxError, load_yaml


class _Refused(ValueError):
    pass


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in out:
            raise _Refused(f"nyckeln '{k}' förekommer två gånger")
        out[k] = v
    return out


def _int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_SIFFROR:
        raise _Refused(f"ett tal har {len(text.lstrip('-'))} siffror; högst {MAX_SIFFROR} tas emot")
    return int(text)


def _float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise _Refused(f"talet {text[:40]} är för stort")
    return value


def _constant(name: str) -> Any:
    raise _Refused(f"{name} är inget tal som tas emot")


def structure_problem(data: Any) -> str | None:
    """Why ``data`` is nested too deeply or holds text that is not Unicode (a lone surrogate written
    as ``\\ud800``), or None. Iterative: a deep value cannot exhaust the stack."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    bad_text = "en text innehåller ett ogiltigt tecken (en ensam surrogat, t.ex. \\ud800)"
    if isinstance(data, str) and not _unicode(data):
        return bad_text
    while stack:
        value, depth = stack.pop()
        if depth > MAX_DJUP:
            return f"strukturen är nästlad djupare än {MAX_DJUP} nivåer"
        items = value.values() if isinstance(value, dict) else value
        if isinstance(value, dict) and not all(_unicode(k) for k in value):
            return bad_text
        for v in items:
            if isinstance(v, str):
                if not _unicode(v):
                    return bad_text
            elif isinstance(v, dict | list):
                stack.append((v, depth + 1))
    return None


def _unicode(text: str) -> bool:
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def parse_json(text: str | bytes, source: str = "") -> Any:
    """Strict JSON; raise :class:`InputError` naming ``source`` (and the line) on any problem."""
    try:
        data = json.loads(text, object_pairs_hook=_pairs, parse_int=_int, parse_float=_float, parse_constant=_constant)
    except json.JSONDecodeError as exc:
        where = f"på rad {exc.lineno}, kolumn {exc.colno}"
        raise InputError([Problem(source, f"ogiltig JSON {where}: {_sv(exc.msg)}")]) from None
    except _Refused as exc:
        raise InputError([Problem(source, f"ogiltig JSON: {exc}")]) from None
    except RecursionError:
        deep = f"strukturen är nästlad djupare än {MAX_DJUP} nivåer"
        raise InputError([Problem(source, f"ogiltig JSON: {deep}")]) from None
    except UnicodeDecodeError:
        raise InputError([Problem(source, "ogiltig JSON: texten är inte UTF-8")]) from None
    why = structure_problem(data) if isinstance(data, dict | list | str) else None
    if why:
        raise InputError([Problem(source, f"ogiltig JSON: {why}")])
    return data


def parse_yaml(text: str, source: str = "") -> Any:
    """Strict YAML for applications (no aliases, no tags); raise :class:`InputError` with the line."""
    try:
        return load_yaml(text, source, aliases=False).data
    except YamlSyntaxError as exc:
        where = f" på rad {exc.line}" if exc.line else ""
        raise InputError([Problem(source, f"ogiltig YAML{where}: {exc.reason}")]) from None


def parse_text(text: str, source: str = "") -> Any:
    """JSON when the text looks like JSON (or the source is a .json file), YAML otherwise."""
    if text.lstrip().startswith(("{", "[")) or source.endswith(".json"):
        return parse_json(text, source)
    return parse_yaml(text, source)


_JSON_MESSAGES = {
    "Expecting value": "ett värde väntades",
    "Expecting property name enclosed in double quotes": "ett fältnamn inom citattecken väntades",
    "Expecting ',' delimiter": "ett kommatecken väntades",
    "Expecting ':' delimiter": "ett kolon väntades",
    "Extra data": "text efter slutet av JSON-värdet",
    "Unterminated string starting at": "en text saknar avslutande citattecken",
    "Invalid control character at": "otillåtet styrtecken i en text",
    "Invalid \\escape": "ogiltig escape-sekvens",
    "Illegal trailing comma before end of object": "kommatecken före slutet av ett objekt",
    "Illegal trailing comma before end of array": "kommatecken före slutet av en lista",
}


def _sv(message: str) -> str:
    for en, sv in _JSON_MESSAGES.items():
        if message.startswith(en):
            return sv
    return message
