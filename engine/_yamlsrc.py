"""YAML loading that remembers where every key came from.

Rule-file errors must name the file, the line and the key. PyYAML's plain ``safe_load``
forgets positions and silently keeps the last of two duplicate keys, which is exactly the
kind of silent mistake that freezes a wrong amount; this loader records the line of every
node and refuses duplicate keys.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml

PathKey = tuple[str | int, ...]


class YamlSyntaxError(Exception):
    """Broken YAML, with the 1-based line where the parser gave up."""

    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.message = message
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


def load_yaml(text: str, name: str) -> SourceDoc:
    """Parse one YAML document; raise :class:`YamlSyntaxError` on any syntax problem."""
    loader = yaml.SafeLoader(text)
    try:
        try:
            node = loader.get_single_node()
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            msg = exc.problem or str(exc)
            raise YamlSyntaxError(f"ogiltig YAML: {msg}", mark.line + 1 if mark else None) from None
        except yaml.YAMLError as exc:
            raise YamlSyntaxError(f"ogiltig YAML: {exc}", None) from None
        doc = SourceDoc(name=name, data=None)
        if node is None:
            return doc
        doc.data = _convert(loader, node, (), doc.lines)
        return doc
    finally:
        loader.dispose()


def _convert(loader: yaml.SafeLoader, node: yaml.Node, path: PathKey, lines: dict[PathKey, int]) -> Any:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)  # resolves merge keys (<<: *anchor)
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, str | int | bool) or isinstance(key, bool):
                raise YamlSyntaxError(f"nyckeln {key!r} måste vara text", key_node.start_mark.line + 1)
            key = str(key)
            if key in out:
                raise YamlSyntaxError(
                    f"nyckeln '{key}' förekommer två gånger (rad {lines[(*path, key)]} och "
                    f"rad {key_node.start_mark.line + 1})",
                    key_node.start_mark.line + 1,
                )
            child = (*path, key)
            out[key] = _convert(loader, value_node, child, lines)
            lines[child] = key_node.start_mark.line + 1
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_convert(loader, item, (*path, i), lines) for i, item in enumerate(node.value)]
    return loader.construct_object(node, deep=True)
