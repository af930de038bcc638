"""Reader for the Knock CLI layout that `knock workflow pull --all` writes.

`workflows/<key>/workflow.json`, `layouts/<key>/layout.json`, `partials/<key>/partial.json`,
`guides/<key>/guide.json`:
the key is the directory name, `x@` references are inlined by `_file_refs` (relative to the file
that holds them), then the shared parsers validate and build the model.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from emulator.core import DefinitionError, Problem
from emulator.definitions._file_refs import resolve_refs
from emulator.definitions._guide_model import Guide
from emulator.definitions._guides import parse_guide
from emulator.definitions._model import Layout, Partial, Workflow
from emulator.definitions._parse import parse_workflow_with_origins
from emulator.definitions._paths import Show
from emulator.definitions._resources import parse_layout, parse_partial

MAIN_FILES = {
    "workflow.json": "workflow",
    "layout.json": "layout",
    "partial.json": "partial",
    "guide.json": "guide",
}


@dataclass(frozen=True, slots=True)
class Loaded:
    """One definition read from disk, before duplicate keys across files are checked."""

    kind: str  # workflow | layout | partial | guide
    key: str
    file: str
    value: Workflow | Layout | Partial | Guide
    document: Mapping[str, Any] = field(default_factory=dict)  # the inlined fields, as read


def parse_resource(
    kind: str, raw: Mapping[str, Any], *, key: str, file: str, origins: Mapping[str, str]
) -> Workflow | Layout | Partial | Guide:
    """Build a workflow, layout, partial or guide from its inlined fields (`kind` says which)."""
    if kind == "guide":
        return parse_guide(raw, key=key, file=file, origins=origins)
    if kind == "layout":
        return parse_layout(raw, key=key, file=file, origins=origins)
    if kind == "partial":
        return parse_partial(raw, key=key, file=file, origins=origins)
    return parse_workflow_with_origins(raw, key=key, file=file, origins=origins)


def parse_document(
    kind: str, document: Mapping[str, Any], key: str
) -> Workflow | Layout | Partial | Guide:
    """Build a workflow, layout or partial from a Management API document (contents inline);
    DefinitionError names each problem by JSON path, in a file named `<kind key>`."""
    return parse_resource(kind, document, key=key, file=f"<{kind} {key}>", origins={})


def read_json_object(path: Path, show: Show) -> tuple[dict[str, Any] | None, list[Problem]]:
    """The JSON object in `path`, or None and the problem that stops it loading."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        return None, [
            Problem(show(path), "", f"invalid JSON: {err.msg}", "fix the JSON syntax", err.lineno)
        ]
    except (OSError, UnicodeDecodeError) as err:
        return None, [Problem(show(path), "", f"cannot read the file: {err}", "check the file")]
    if not isinstance(raw, dict):
        return None, [
            Problem(show(path), "", "the file must hold a JSON object", "wrap the fields in {}")
        ]
    return raw, []


def read_resource_dir(directory: Path, main: str, show: Show) -> tuple[list[Loaded], list[Problem]]:
    """Read `directory/<main>` (workflow.json, layout.json or partial.json)."""
    kind = MAIN_FILES[main]
    path = directory / main
    raw, problems = read_json_object(path, show)
    if raw is None:
        return [], problems
    readonly = raw.get("__readonly")
    resolved = resolve_refs(raw, root=directory, file=path, show=show)
    if kind == "workflow" and isinstance(readonly, dict) and "active" in readonly:
        resolved.data["active"] = readonly["active"]  # Knock pulls record it there
    if kind == "guide" and isinstance(readonly, dict) and "active" in readonly:
        resolved.data.setdefault("active", readonly["active"])
    problems = list(resolved.problems)
    try:
        value = parse_resource(
            kind, resolved.data, key=directory.name, file=show(path), origins=resolved.origins
        )
    except DefinitionError as err:
        return [], problems + err.problems
    if problems:
        return [], problems
    return [Loaded(kind, directory.name, show(path), value, resolved.data)], []


def knock_dir_of(project_file: Path, show: Show) -> tuple[Path | None, list[Problem]]:
    """The `knockDir` a `knock.json` points at, relative to the knock.json's directory."""
    raw, problems = read_json_object(project_file, show)
    if raw is None:
        return None, problems
    value = raw.get("knockDir")
    if not isinstance(value, str) or not value:
        return None, [
            Problem(
                show(project_file),
                "knockDir",
                "`knockDir` must be a path string",
                'write `{"knockDir": "./knock"}`',
            )
        ]
    target = (project_file.parent / value).resolve()
    if not target.is_dir():
        return None, [
            Problem(
                show(project_file),
                "knockDir",
                f"`knockDir` points at {value!r}, which is not a directory",
                "create it (`knock workflow pull --all`) or fix the path",
            )
        ]
    return target, []
