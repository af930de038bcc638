"""YAML that remembers line numbers: mappings and lists carry the 1-based line of each entry."""

from __future__ import annotations

from typing import Any

import yaml

from emulator import YamlError, compose_yaml, yaml_constructor


class LineDict(dict[str, Any]):
    """A mapping plus `line` (where it starts) and `lines[key]` (where each key is)."""

    line: int = 0
    lines: dict[str, int]


class LineList(list[Any]):
    """A list plus `line` and `lines[i]` (where each item starts)."""

    line: int = 0
    lines: list[int]


def load_marked(text: str) -> Any:
    """Parse one YAML document into plain values, LineDict and LineList.

    The document is read by Doorstep's one safe loader (`emulator.compose_yaml`): an alias bomb,
    a self-referencing alias or a duplicated key raises `YamlError` with its line.
    """
    nodes = compose_yaml(text)
    if not nodes:
        return None
    if len(nodes) > 1:
        raise YamlError(
            "a scenario file holds one YAML document (found a second one after `---`)",
            nodes[1].start_mark.line + 1,
            "split the scenarios into one file each",
        )
    return _convert(nodes[0], yaml_constructor())


def _convert(node: yaml.Node, loader: Any) -> Any:
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
