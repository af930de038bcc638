"""The one YAML loader for workflow files and scenario files, safe to feed anything.

Safe means: PyYAML's safe constructors only, a bounded size after aliases are expanded (nine
lines of nested aliases can stand for millions of nodes; everything that walks the data would
take minutes), no alias that contains itself, and no duplicated key in a mapping (YAML keeps
only the last one, so the first is silently lost). Each refusal names the line.
"""

from __future__ import annotations

from typing import Any

import yaml

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when built with it
MAX_YAML_NODES = 100_000
"""How many values a YAML file may hold once its aliases are expanded."""
_MERGE = "tag:yaml.org,2002:merge"
_NULL = "tag:yaml.org,2002:null"


class YamlError(ValueError):
    """YAML that cannot be loaded (or not safely); `line` is 1-based, 0 when unknown."""

    def __init__(
        self,
        message: str,
        line: int,
        fix: str = "fix the YAML syntax (indentation, quotes, colons)",
    ) -> None:
        super().__init__(message)
        self.line = line
        self.fix = fix


def compose_yaml(text: str) -> list[yaml.Node]:
    """The node graph of every non-empty document in `text`, checked as the module says."""
    try:
        nodes = [n for n in yaml.compose_all(text, Loader=_Loader) if not _empty(n)]
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 0
        raise YamlError(f"{exc.problem or exc.context}", line) from None
    except yaml.YAMLError as exc:
        raise YamlError(str(exc), 0) from None
    except RecursionError:
        raise YamlError("the YAML is nested too deeply", 0, "flatten the data") from None
    sizes: dict[int, int] = {}
    for node in nodes:
        try:
            _size(node, sizes, set())
        except RecursionError:
            raise YamlError("the YAML is nested too deeply", 0, "flatten the data") from None
    return nodes


def _empty(node: yaml.Node | None) -> bool:
    """No document, or one that is only `---` (a null scalar)."""
    return node is None or (
        isinstance(node, yaml.ScalarNode) and node.tag == _NULL and not node.value
    )


def yaml_constructor() -> Any:
    """A safe constructor for composed nodes (`construct_document`, `construct_object`)."""
    return _Loader("")


def construct_yaml(node: yaml.Node) -> Any:
    """Plain Python values for one checked document node."""
    constructor = yaml_constructor()
    try:
        return constructor.construct_document(node)
    finally:
        constructor.dispose()


def _size(node: yaml.Node, sizes: dict[int, int], open_nodes: set[int]) -> int:
    """How many nodes `node` stands for with aliases expanded; each distinct node is walked
    once, so a bomb is measured in microseconds and refused."""
    key = id(node)
    if key in sizes:
        return sizes[key]
    if key in open_nodes:
        raise YamlError(
            "a YAML alias refers to the value that contains it (an endless structure)",
            node.start_mark.line + 1,
            "remove the alias (`*name`) from inside its own anchor (`&name`)",
        )
    open_nodes.add(key)
    size = 1
    if isinstance(node, yaml.MappingNode):
        _no_duplicate_keys(node)
        for k, v in node.value:
            size += _size(k, sizes, open_nodes) + _size(v, sizes, open_nodes)
    elif isinstance(node, yaml.SequenceNode):
        for child in node.value:
            size += _size(child, sizes, open_nodes)
    open_nodes.discard(key)
    if size > MAX_YAML_NODES:
        raise YamlError(
            f"the YAML expands to more than {MAX_YAML_NODES:,} values once its aliases are "
            "resolved (an alias bomb?)",
            node.start_mark.line + 1,
            "write the data out without nested aliases (`*name`), or keep it smaller",
        )
    sizes[key] = size
    return size


def _no_duplicate_keys(node: yaml.MappingNode) -> None:
    seen: dict[tuple[str, str], int] = {}
    for key_node, _value in node.value:
        if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == _MERGE:
            continue
        line = key_node.start_mark.line + 1
        name = (key_node.tag, key_node.value)
        if name in seen:
            raise YamlError(
                f"duplicate key `{key_node.value}` (first at line {seen[name]}): YAML keeps "
                "only the last value, so the first is silently lost",
                line,
                f"keep one `{key_node.value}:` in this mapping",
            )
        seen[name] = line
