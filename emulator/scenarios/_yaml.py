"""YAML that remembers line numbers: mappings and lists carry the 1-based line of each entry."""

from __future__ import annotations

from typing import Any

import yaml


class LineDict(dict[str, Any]):
    """A mapping plus `line` (where it starts) and `lines[key]` (where each key is)."""

    line: int = 0
    lines: dict[str, int]


class LineList(list[Any]):
    """A list plus `line` and `lines[i]` (where each item starts)."""

    line: int = 0
    lines: list[int]


class YamlSyntaxError(ValueError):
    """Unparseable YAML; `line` is 1-based (0 when unknown)."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.line = line


def load_marked(text: str) -> Any:
    """Parse one YAML document into plain values, LineDict and LineList."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 0
        raise YamlSyntaxError(f"{exc.problem or exc.context}", line) from None
    if node is None:
        return None
    return _convert(node, yaml.SafeLoader(""))


def _convert(node: yaml.Node, loader: yaml.SafeLoader) -> Any:
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)
        out = LineDict()
        out.line = node.start_mark.line + 1
        out.lines = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            key = str(key) if not isinstance(key, str) else key
            out[key] = _convert(value_node, loader)
            out.lines[key] = key_node.start_mark.line + 1
        return out
    if isinstance(node, yaml.SequenceNode):
        items = LineList()
        items.line = node.start_mark.line + 1
        items.lines = []
        for child in node.value:
            items.append(_convert(child, loader))
            items.lines.append(child.start_mark.line + 1)
        return items
    return loader.construct_object(node, deep=True)


def line_of(container: Any, key: str | int | None = None) -> int:
    """The line of `container[key]` (or of the container itself); 0 when unknown."""
    if key is not None:
        if isinstance(container, LineDict) and isinstance(key, str):
            return container.lines.get(key, container.line)
        if isinstance(container, LineList) and isinstance(key, int) and key < len(container.lines):
            return container.lines[key]
    return int(getattr(container, "line", 0))
