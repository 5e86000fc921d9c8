"""Strict YAML: one reading for rule files and applications, remembering where every key came from.

Rule-file errors must name the file, the line and the key. PyYAML's plain ``safe_load`` forgets
positions, silently keeps the last of two duplicate keys and reads YAML 1.1's surprises: ``017``
is 15 (octal), ``1:30`` is 90 (base 60), ``0x10`` is 16, ``yes`` is true, ``.nan`` is a number.
An amount misread that way is a wrong decision, so this loader resolves plain scalars the YAML 1.2
way and stricter: integers only in decimal without leading zeros, no NaN or infinities, only
``true``/``false``, dates left as text for the schema to check. Everything else stays text and
is refused by the schema with the field named.

A hostile file is refused with a line number, never expanded: explicit tags (``!foo``,
``!!python/...``) are refused, nesting is bounded, aliases are refused in applications and bounded
in rule files (where ``lagrum: *gemensamt`` is useful), recursive aliases are refused, and integers
are bounded in length.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import yaml
from yaml.events import AliasEvent, CollectionStartEvent, ScalarEvent

from engine._limits import MAX_ALIASNODER, MAX_DJUP, MAX_SIFFROR

PathKey = tuple[str | int, ...]


class YamlSyntaxError(Exception):
    """Broken or refused YAML, with the 1-based line where the problem is."""

    def __init__(self, reason: str, line: int | None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.message = f"ogiltig YAML: {reason}"
        self.line = line


@dataclass
class SourceDoc:
    """A parsed YAML document and the line of each path inside it."""

    name: str
    data: Any
    lines: dict[PathKey, int] = field(default_factory=dict)

    def line_of(self, path: Sequence[str | int]) -> int | None:
        """The line of ``path``, or of its nearest ancestor that has one."""
        p = tuple(path)
        while True:
            if p in self.lines:
                return self.lines[p]
            if not p:
                return None
            p = p[:-1]


_INT = re.compile(r"^[-+]?(?:0|[1-9][0-9]*)$")
_FLOAT = re.compile(r"^[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+|[0-9]+(?=[eE]))(?:[eE][-+]?[0-9]+)?$")


class _Refused(Exception):
    def __init__(self, message: str, mark: Any) -> None:
        super().__init__(message)
        self.message = message
        self.line = mark.line + 1 if mark is not None else None


class StrictLoader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2-style scalars, no explicit tags, bounded depth and aliases."""

    yaml_implicit_resolvers = {}  # noqa: RUF012  # only the resolvers added below
    allow_aliases: ClassVar[bool] = True

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()  # type: ignore[no-untyped-call]
        if isinstance(event, AliasEvent) and not self.allow_aliases:
            raise _Refused(f"alias (*{event.anchor}) tas inte emot här; skriv ut värdet", event.start_mark)
        if isinstance(event, ScalarEvent | CollectionStartEvent):
            if event.tag not in (None, "!"):
                raise _Refused(f"taggen {event.tag} tas inte emot; skriv värdet utan tagg", event.start_mark)
            if not self.allow_aliases and event.anchor is not None:
                raise _Refused(f"ankare (&{event.anchor}) tas inte emot här", event.start_mark)
        self._depth += 1
        try:
            if self._depth > MAX_DJUP:
                raise _Refused(f"strukturen är nästlad djupare än {MAX_DJUP} nivåer", event.start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_yaml_int(self, node: Any) -> int:
        digits = str(node.value).lstrip("+-")
        if len(digits) > MAX_SIFFROR:
            raise _Refused(f"talet har {len(digits)} siffror; högst {MAX_SIFFROR} tas emot", node.start_mark)
        return int(str(node.value))

    def construct_yaml_float(self, node: Any) -> float:
        value = float(str(node.value))
        if value in (float("inf"), float("-inf")):
            raise _Refused(f"talet {node.value} är för stort", node.start_mark)
        return value


StrictLoader.add_implicit_resolver(
    "tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""]
)
StrictLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
StrictLoader.add_implicit_resolver("tag:yaml.org,2002:int", _INT, list("-+0123456789"))
StrictLoader.add_implicit_resolver("tag:yaml.org,2002:float", _FLOAT, list("-+0123456789."))
StrictLoader.add_constructor("tag:yaml.org,2002:int", StrictLoader.construct_yaml_int)
StrictLoader.add_constructor("tag:yaml.org,2002:float", StrictLoader.construct_yaml_float)


class _NoAliasLoader(StrictLoader):
    yaml_implicit_resolvers = StrictLoader.yaml_implicit_resolvers
    allow_aliases = False


def load_yaml(text: str, name: str, *, aliases: bool = True) -> SourceDoc:
    """Parse one YAML document; raise :class:`YamlSyntaxError` on any syntax problem or refused form.

    ``aliases=False`` (applications) refuses anchors and aliases outright; with ``aliases=True``
    (rule files) they may produce at most :data:`MAX_ALIASNODER` nodes and may not refer to
    themselves.
    """
    try:
        loader = (StrictLoader if aliases else _NoAliasLoader)(text)
    except yaml.reader.ReaderError as exc:
        raise YamlSyntaxError(_reader_problem(exc), None) from None
    try:
        try:
            node = loader.get_single_node()
        except _Refused as exc:
            raise YamlSyntaxError(exc.message, exc.line) from None
        except yaml.reader.ReaderError as exc:
            raise YamlSyntaxError(_reader_problem(exc), None) from None
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            msg = swedish(exc.problem or str(exc))
            if mark is not None:
                msg += f" (kolumn {mark.column + 1})"
            raise YamlSyntaxError(msg, mark.line + 1 if mark else None) from None
        except yaml.YAMLError as exc:
            raise YamlSyntaxError(str(exc), None) from None
        except RecursionError:  # pragma: no cover - the depth bound comes first
            raise YamlSyntaxError(f"strukturen är nästlad djupare än {MAX_DJUP} nivåer", None) from None
        doc = SourceDoc(name=name, data=None)
        if node is None:
            return doc
        walk = _Walk(loader, doc.lines)
        try:
            doc.data = walk.convert(node, ())
        except _Refused as exc:
            raise YamlSyntaxError(exc.message, exc.line) from None
        return doc
    finally:
        loader.dispose()


# PyYAML's problems as a person reads them in Swedish; the longest English start that matches wins.
_YAML_SV: tuple[tuple[str, str], ...] = (
    ("expected the node content, but found '<stream end>'", "texten tar slut där ett värde väntades"),
    ("expected the node content, but found", "ett värde väntades, men här står"),
    ("expected <block end>, but found", "indraget stämmer inte (en rad är indragen för mycket eller för lite)"),
    ("expected ',' or ']', but got", "ett kommatecken eller ] väntades, men här står"),
    ("expected ',' or '}', but got", "ett kommatecken eller } väntades, men här står"),
    ("expected a single document in the stream", "filen ska innehålla ett enda dokument (ingen andra ---)"),
    ("but found another document", "filen ska innehålla ett enda dokument (ingen andra ---)"),
    ("expected a comment or a line break, but found", "en kommentar eller ny rad väntades, men här står"),
    ("expected alphabetic or numeric character, but found", "en bokstav eller siffra väntades, men här står"),
    ("could not find expected ':'", "ett kolon (:) väntades efter fältnamnet"),
    ("mapping values are not allowed here", "ett kolon står där det inte får stå (saknas ett mellanslag efter :?)"),
    ("mapping keys are not allowed here", "ett fältnamn står där det inte får stå"),
    ("found character '\\t' that cannot start any token", "tabbtecken får inte användas för indrag; använd mellanslag"),
    ("found character", "ett tecken som inte får inleda ett värde:"),
    ("found unexpected end of stream", "texten tar slut för tidigt (saknas ett avslutande citattecken?)"),
    ("found unknown escape character", "okänd escape-sekvens:"),
    ("found unexpected document separator", "en dokumentavgränsare (---) står mitt i texten"),
    ("found undefined alias", "en okänd referens (*namn):"),
    ("found duplicate anchor", "samma ankare (&namn) används två gånger:"),
    ("did not find expected key", "ett fältnamn väntades (stämmer indraget?)"),
    ("did not find expected node content", "ett värde väntades"),
    ("did not find expected '-' indicator", "en listrad (-) väntades (stämmer indraget?)"),
    ("did not find expected", "något väntades som inte står här (stämmer indraget?)"),
    ("expected", "något annat väntades här:"),
)


def swedish(problem: str) -> str:
    """A PyYAML problem in Swedish (the quoted part of the original kept, e.g. the character found)."""
    for en, sv in _YAML_SV:
        if problem.startswith(en):
            rest = problem[len(en) :].strip()
            if not rest or rest.startswith("'<") or sv.endswith(")"):  # a parser's token name says nothing
                return sv
            return f"{sv} {rest}"
    return problem


def _reader_problem(exc: yaml.reader.ReaderError) -> str:
    code = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or "\0")
    return f"otillåtet tecken (kod {code:#06x}) på position {exc.position}"


class _Walk:
    """Node graph to plain data, counting nodes (aliases repeat nodes) and refusing cycles."""

    def __init__(self, loader: StrictLoader, lines: dict[PathKey, int]) -> None:
        self.loader = loader
        self.lines = lines
        self.nodes = 0
        self.active: set[int] = set()

    def convert(self, node: yaml.Node, path: PathKey) -> Any:
        self.nodes += 1
        if self.nodes > MAX_ALIASNODER:
            raise _Refused(f"filen blir mer än {MAX_ALIASNODER} värden när alias skrivs ut", node.start_mark)
        self.lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.ScalarNode):
            return self.scalar(node)
        if id(node) in self.active:
            raise _Refused("ett alias hänvisar till sig självt", node.start_mark)
        self.active.add(id(node))
        try:
            if isinstance(node, yaml.MappingNode):
                return self.mapping(node, path)
            if isinstance(node, yaml.SequenceNode):
                return [self.convert(item, (*path, i)) for i, item in enumerate(node.value)]
            raise _Refused("okänd sorts värde", node.start_mark)  # pragma: no cover
        finally:
            self.active.discard(id(node))

    def scalar(self, node: yaml.ScalarNode) -> Any:
        try:
            return self.loader.construct_object(node, deep=True)
        except yaml.constructor.ConstructorError as exc:
            raise _Refused(str(exc.problem or "värdet kan inte läsas"), node.start_mark) from None

    def mapping(self, node: yaml.MappingNode, path: PathKey) -> dict[str, Any]:
        self.loader.flatten_mapping(node)  # resolves merge keys (<<: *anchor)
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            if not isinstance(key_node, yaml.ScalarNode):
                raise _Refused("en nyckel måste vara text, inte en lista eller ett objekt", key_node.start_mark)
            raw = self.scalar(key_node)
            if not isinstance(raw, str | int) or isinstance(raw, bool):
                raise _Refused(f"nyckeln {raw!r} måste vara text", key_node.start_mark)
            key = str(raw)
            if key in out:
                raise _Refused(
                    f"nyckeln '{key}' förekommer två gånger (rad {self.lines[(*path, key)]} och rad {line})",
                    key_node.start_mark,
                )
            child = (*path, key)
            self.lines[child] = line
            out[key] = self.convert(value_node, child)
            self.lines[child] = line
        return out
