"""Doorstep's YAML format: Knock's workflow.json fields, written as YAML, one file per definition.

A workflow file has exactly the fields of Knock's `workflow.json` (so Knock's docs apply unchanged)
plus a few conveniences:

- `key`: the workflow key; defaults to the file name without `.yaml`/`.yml`.
- `kind`: `workflow` (default), `layout` or `partial`. Layouts and partials use the fields of
  Knock's `layout.json` / `partial.json` and need an explicit `key`.
- durations may be strings: `30s`, `5m`, `2h`, `1d`, `1w`, `1mo`
  (Knock's `{unit, value}` works too).
- `field@: relative/path` reads a field from a file next to the YAML file (Knock's `@` rule:
  inline values win, `visual_blocks.json` is decoded, paths may not leave the YAML's directory).
- several definitions may share a file as YAML documents separated by `---` (each with `key`).

```yaml
# fixtures/workflows/unseen-fallback.yaml
name: Unseen fallback
steps:
  - ref: in_app_feed_1
    type: channel
    channel_type: in_app_feed
    template:
      markdown_body: "You have a new message"
  - ref: delay_1
    type: delay
    settings: {delay_for: 10m}
  - ref: email_1
    type: channel
    channel_type: email
    conditions:
      all:
        - {variable: refs.in_app_feed_1.engagement_status, operator: not_contains,
           argument: $message.seen}
    template:
      subject: You missed a message
      settings: {layout_key: default}
      html_body@: bodies/unseen.html   # read from fixtures/workflows/bodies/unseen.html
```

A layout in YAML (`{{ content }}` is required):

```yaml
kind: layout
key: default
name: Default
html_layout: "<html><body>{{ content }}</body></html>"
footer_links: [{text: Preferences, url: "https://example.com/prefs"}]
```
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from emulator.core import DefinitionError, Problem
from emulator.definitions._file_refs import resolve_refs
from emulator.definitions._knock_dir import Loaded, parse_resource
from emulator.definitions._paths import Show
from emulator.definitions._safe_yaml import YamlError, compose_yaml, construct_yaml

KINDS = ("workflow", "layout", "partial")


def read_yaml_file(path: Path, show: Show) -> tuple[list[Loaded], list[Problem]]:
    """Every definition in one YAML file, or the problems that stop them loading."""
    file = show(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        return [], [not_utf8(file, path.read_bytes(), err)]
    except OSError as err:
        return [], [Problem(file, "", f"cannot read the file: {err}", "check the file")]
    try:
        nodes = compose_yaml(text)
        documents = [construct_yaml(n) for n in nodes]
    except YamlError as err:
        return [], [Problem(file, "", f"invalid YAML: {err}", err.fix, err.line or None)]
    lines = [_line_index(n) for n in nodes]
    loaded: list[Loaded] = []
    problems: list[Problem] = []
    for index, doc in enumerate(documents):
        found, errors = _read_document(doc, path, show, single=len(documents) == 1)
        loaded += found
        problems += [_with_line(p, file, lines[index]) for p in errors]
    return loaded, problems


def not_utf8(file: str, data: bytes, err: UnicodeDecodeError) -> Problem:
    """Where a file stops being UTF-8 text (a binary file, or another encoding)."""
    line = data.count(b"\n", 0, err.start) + 1
    return Problem(
        file,
        "",
        f"the file is not UTF-8 text (byte 0x{data[err.start]:02x} at line {line}); is it "
        "a binary file?",
        "save the file as UTF-8 text, or move it out of this directory",
        line,
    )


def _read_document(
    doc: Any, path: Path, show: Show, *, single: bool
) -> tuple[list[Loaded], list[Problem]]:
    file = show(path)
    if not isinstance(doc, Mapping):
        return [], [Problem(file, "", "a YAML document must be a mapping", "write `name:`, ...")]
    raw = dict(doc)
    kind = raw.pop("kind", "workflow")
    if kind not in KINDS:
        return [], [Problem(file, "kind", f"`kind` is {kind!r}", "use workflow, layout or partial")]
    key = raw.pop("key", None)
    if key is None:
        if not single or kind != "workflow":
            return [], [
                Problem(
                    file,
                    "key",
                    f"this {kind} has no `key`",
                    "add `key:` (only a file holding a single workflow may omit it)",
                )
            ]
        key = path.stem
    if not isinstance(key, str):
        return [], [Problem(file, "key", "`key` must be a string", "quote the key")]
    resolved = resolve_refs(raw, root=path.parent, file=path, show=show)
    problems = list(resolved.problems)
    try:
        value = parse_resource(kind, resolved.data, key=key, file=file, origins=resolved.origins)
    except DefinitionError as err:
        return [], problems + err.problems
    if problems:
        return [], problems
    return [Loaded(kind, key, file, value, resolved.data)], []


def _line_index(node: yaml.Node) -> dict[str, int]:
    """JSON path -> 1-based line, for pointing YAML users at the right line."""
    out: dict[str, int] = {}

    def walk(n: yaml.Node, path: str) -> None:
        out.setdefault(path, n.start_mark.line + 1)
        if isinstance(n, yaml.MappingNode):
            for k, v in n.value:
                name = str(k.value)
                child = name if not path else f"{path}.{name}"
                out[child] = k.start_mark.line + 1
                if name.endswith("@"):  # problems in the inlined field point at the reference
                    out.setdefault(child[:-1], k.start_mark.line + 1)
                walk(v, child)
        elif isinstance(n, yaml.SequenceNode):
            for i, v in enumerate(n.value):
                walk(v, f"{path}[{i}]")

    walk(node, "")
    return out


def _with_line(problem: Problem, file: str, lines: Mapping[str, int]) -> Problem:
    if problem.line is not None or problem.file != file:
        return problem
    path = problem.path
    while path and path not in lines:
        cut = max(path.rfind("."), path.rfind("["))
        path = path[:cut] if cut > 0 else ""
    line = lines.get(path) if path else None
    return Problem(problem.file, problem.path, problem.message, problem.fix, line)
