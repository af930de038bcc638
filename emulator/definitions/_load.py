"""`load_all` (what `load_definitions` runs): find every definition under a path, load them
all, check them together.

Accepts a YAML file, a directory of YAML files (recursively), a Knock CLI project (`knock.json`
with `knockDir`, or any directory holding `workflows/<key>/workflow.json`, `layouts/<key>/
layout.json`, `partials/<key>/partial.json`, `guides/<key>/guide.json`), or a mix. Every
problem from every file is collected and raised as one DefinitionError; a key defined twice
names both files.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from emulator.core import DefinitionError, Problem
from emulator.definitions._knock_dir import MAIN_FILES, Loaded, knock_dir_of, read_resource_dir
from emulator.definitions._model import (
    ChannelStep,
    Definitions,
    Source,
    TriggerWorkflowStep,
    Workflow,
)
from emulator.definitions._paths import show
from emulator.definitions._translations import read_translations
from emulator.definitions._yaml import read_yaml_file

_YAML_SUFFIXES = (".yaml", ".yml")
_RENDER = re.compile(r"\{%-?\s*render\s+['\"]([^'\"]+)['\"]")
BUILTIN_LAYOUTS = ("default",)  # every Knock account has it; the templates module provides it


def load_all(path: str | os.PathLike[str]) -> Definitions:
    """Load all workflows, layouts and partials under `path`; one error lists every problem."""
    root = Path(path)
    loaded: list[Loaded] = []
    problems: list[Problem] = []
    if not root.exists():
        raise DefinitionError(
            Problem(
                str(path),
                "",
                "no such file or directory",
                "pass a YAML file, a directory of YAML files, or a Knock CLI project directory",
            )
        )
    translations: dict[str, dict[str, Any]] = {}
    warnings: list[Problem] = []
    for kind, target in _discover(root, problems):
        if kind == "translations":
            tables, errors = read_translations(target, show)
            problems += errors
            for name in tables.keys() & translations.keys():
                problems.append(
                    Problem(
                        show(target),
                        "",
                        f"translation file `{name}.json` is defined twice",
                        "keep one translations/ directory per project",
                    )
                )
            translations.update(tables)
            continue
        found, errors = (
            read_yaml_file(target, show)
            if kind == "yaml"
            else read_resource_dir(target, kind, show)
        )
        loaded += found
        problems += errors
        if kind == "yaml" and not found and not errors:
            warnings.append(_empty_file(show(target)))
    definitions = dataclasses.replace(
        _merge(loaded, problems), translations=translations, warnings=tuple(warnings)
    )
    _check_references(definitions, problems)
    if problems:
        raise DefinitionError(problems)
    return definitions


def _discover(root: Path, problems: list[Problem]) -> Iterator[tuple[str, Path]]:
    """(kind, path) pairs: ("yaml", file) or ("workflow.json" etc., resource directory)."""
    if root.is_file():
        if root.suffix.lower() in _YAML_SUFFIXES:
            yield "yaml", root
        elif root.name in MAIN_FILES:
            yield root.name, root.parent
        elif root.name == "knock.json":
            knock_dir, errors = knock_dir_of(root, show)
            problems += errors
            if knock_dir is not None:
                yield from _walk(knock_dir, problems, set())
        else:
            problems.append(
                Problem(
                    show(root),
                    "",
                    "not a definitions file",
                    "pass a .yaml/.yml file, a knock.json, or a directory",
                )
            )
        return
    yield from _walk(root, problems, set())


def _walk(root: Path, problems: list[Problem], visited: set[Path]) -> Iterator[tuple[str, Path]]:
    real = root.resolve()
    if real in visited:
        return
    visited.add(real)
    names = sorted(os.listdir(root))
    mains = [n for n in names if n in MAIN_FILES and (root / n).is_file()]
    if mains:
        if len(mains) > 1:
            problems.append(
                Problem(
                    show(root),
                    "",
                    f"one directory holds several resources ({', '.join(mains)})",
                    "give each workflow, layout, partial and guide its own directory",
                )
            )
        yield mains[0], root
        return  # the rest of a resource directory is its referenced files
    if "knock.json" in names:
        knock_dir, errors = knock_dir_of(root / "knock.json", show)
        problems += errors
        if knock_dir is not None and not _inside(knock_dir, real):
            yield from _walk(knock_dir, problems, visited)
    for name in names:
        child = root / name
        if name.startswith(".") or name == "node_modules":
            continue
        if name == "translations" and child.is_dir():
            yield "translations", child
        elif child.is_dir():
            yield from _walk(child, problems, visited)
        elif child.suffix.lower() in _YAML_SUFFIXES:
            yield "yaml", child


def _inside(path: Path, parent: Path) -> bool:
    return path == parent or parent in path.parents


def _empty_file(file: str) -> Problem:
    return Problem(
        file,
        "",
        "the file holds no workflow, layout or partial (it is empty or only comments), so "
        "nothing was loaded from it",
        "write the workflow (`name:` and `steps:`), or delete the file",
        1,
    )


def _merge(loaded: list[Loaded], problems: list[Problem]) -> Definitions:
    tables: dict[str, dict[str, Any]] = {"workflow": {}, "layout": {}, "partial": {}, "guide": {}}
    files: dict[tuple[str, str], str] = {}
    documents: dict[tuple[str, str], Mapping[str, Any]] = {}
    for item in loaded:
        first = files.get((item.kind, item.key))
        if first is not None:
            problems.append(
                Problem(
                    item.file,
                    "",
                    f"{item.kind} key `{item.key}` is defined twice: in {first} and in {item.file}",
                    "remove one of them, or give one a different key",
                )
            )
            continue
        files[(item.kind, item.key)] = item.file
        tables[item.kind][item.key] = item.value
        documents[(item.kind, item.key)] = item.document
    return Definitions(
        workflows=tables["workflow"],
        layouts=tables["layout"],
        partials=tables["partial"],
        guides=tables["guide"],
        documents=documents,
    )


def _check_references(defs: Definitions, problems: list[Problem]) -> None:
    """Layouts, partials and workflows named by other definitions must exist."""
    for workflow in defs.workflows.values():
        _check_workflow_refs(workflow, defs, problems)
    for layout in defs.layouts.values():
        for field in ("html_layout", "text_layout"):
            _check_renders(getattr(layout, field), layout.source.at(field), defs, problems)
    for partial in defs.partials.values():
        _check_renders(partial.content, partial.source.at("content"), defs, problems)


def _check_workflow_refs(workflow: Workflow, defs: Definitions, problems: list[Problem]) -> None:
    for step in workflow.iter_steps():
        if isinstance(step, TriggerWorkflowStep):
            key = step.workflow_key
            if "{" not in key and key not in defs.workflows:
                problems.append(
                    _problem(
                        step.source.at("settings.workflow_key"),
                        f"step `{step.ref}` triggers workflow `{key}`, which is not defined",
                        f"add the workflow `{key}` or correct the key ("
                        + _known(defs.workflows)
                        + ")",
                    )
                )
        if not isinstance(step, ChannelStep):
            continue
        template = step.source.at("template")
        settings = step.template.get("settings")
        layout_key = settings.get("layout_key") if isinstance(settings, Mapping) else None
        if (
            isinstance(layout_key, str)
            and layout_key not in defs.layouts
            and layout_key not in BUILTIN_LAYOUTS
        ):
            problems.append(
                _problem(
                    template.at("settings.layout_key"),
                    f"step `{step.ref}` uses layout `{layout_key}`, which is not defined",
                    f"add layouts/{layout_key}/layout.json (or a YAML layout), or correct the key ("
                    + _known(defs.layouts)
                    + ")",
                )
            )
        _check_renders(step.template, template, defs, problems)


def _check_renders(value: Any, src: Source, defs: Definitions, problems: list[Problem]) -> None:
    if isinstance(value, str):
        for key in _RENDER.findall(value):
            if key not in defs.partials:
                problems.append(
                    _problem(
                        src,
                        f"`{{% render '{key}' %}}` names a partial that is not defined",
                        f"add partials/{key}/partial.json (or a YAML partial), or correct the key"
                        f" ({_known(defs.partials)})",
                    )
                )
    elif isinstance(value, Mapping):
        if value.get("type") == "partial" and isinstance(value.get("key"), str):
            _check_renders("{% render '" + value["key"] + "' %}", src.at("key"), defs, problems)
        for k, v in value.items():
            _check_renders(v, src.at(str(k)), defs, problems)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _check_renders(v, src.at(f"[{i}]"), defs, problems)


def _known(table: Mapping[str, Any]) -> str:
    return "defined: " + ", ".join(sorted(table)) if table else "none are defined"


def _problem(src: Source, message: str, fix: str) -> Problem:
    return Problem(src.file, src.path, message, fix)
