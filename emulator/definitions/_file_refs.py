"""The `"field@": "relative/path"` file-reference convention of the Knock CLI, for both formats.

Rules (Knock CLI `workflow/reader.ts`, `shared/helpers.ts`):
- a key ending in `@` names a file whose content becomes the field without the `@`;
- an inline value for the same field wins and the file is not read;
- paths are relative to the file that holds the reference (workflow.json, or an extracted
  `visual_blocks.json` one level down); at most 2 levels of extraction;
- `visual_blocks.json` (any case) is JSON-decoded, every other file is inlined as raw text;
- a path must be a relative string, stay inside the resource directory, be unique within the
  resource, and point at an existing file; errors reuse Knock's own wording.
`__readonly` keys are dropped at any depth, `$schema` at the top.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from emulator.core import Problem
from emulator.definitions._paths import Show

MAX_EXTRACTION_LEVEL = 2
_UNIQUE = "must be a relative path string to a unique file within the directory"
_EXISTS = "must be a relative path string to a file that exists"
_DECODED = "visual_blocks.json"


@dataclass
class Resolved:
    """The inlined object, where each inlined field came from, and what went wrong."""

    data: dict[str, Any]
    origins: dict[str, str] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)


def resolve_refs(
    raw: Mapping[str, Any],
    *,
    root: Path,
    file: Path,
    show: Show = str,
) -> Resolved:
    """Inline every `x@` reference in `raw` (read from `file`), confined to `root`."""
    resolver = _Resolver(root.resolve(), show)
    data = resolver.node(raw, file, "", 1, top=True)
    return Resolved(data, resolver.origins, resolver.problems)


def _join(path: str, key: str) -> str:
    return key if not path else f"{path}.{key}"


class _Resolver:
    def __init__(self, root: Path, show: Show) -> None:
        self.root = root
        self.show = show
        self.seen: dict[str, str] = {}  # rebased path -> JSON path of its first reference
        self.origins: dict[str, str] = {}
        self.problems: list[Problem] = []

    def node(self, value: Any, file: Path, path: str, level: int, *, top: bool = False) -> Any:
        if isinstance(value, Mapping):
            out: dict[str, Any] = {}
            for key, item in value.items():
                if key == "__readonly" or (top and key == "$schema"):
                    continue
                if isinstance(key, str) and key.endswith("@") and len(key) > 1:
                    name = key[:-1]
                    if name in value:
                        continue  # the inline value wins; Knock does not read the file
                    found = self.read(item, file, _join(path, key), _join(path, name), level)
                    if found is not _FAILED:
                        out[name] = found
                else:
                    out[key] = self.node(item, file, _join(path, str(key)), level)
            return out
        if isinstance(value, list):
            return [self.node(item, file, f"{path}[{i}]", level) for i, item in enumerate(value)]
        return value

    def problem(self, file: Path, path: str, message: str, fix: str) -> None:
        self.problems.append(Problem(self.show(file), path, message, fix))

    def read(self, value: Any, file: Path, ref_path: str, field_path: str, level: int) -> Any:
        if level > MAX_EXTRACTION_LEVEL:
            self.problem(
                file,
                ref_path,
                f"file references nest deeper than {MAX_EXTRACTION_LEVEL} levels",
                "inline this content in the file that references it",
            )
            return _FAILED
        target = self.target(value, file, ref_path)
        if target is None:
            return _FAILED
        try:
            text = target.read_text(encoding="utf-8")
        except UnicodeDecodeError as err:
            self.problem(file, ref_path, f"{value!r} is not UTF-8 text ({err})", "save as UTF-8")
            return _FAILED
        self.origins[field_path] = self.show(target)
        if target.name.lower() != _DECODED:
            return text
        try:
            decoded = json.loads(text)
        except json.JSONDecodeError as err:
            self.problem(
                target,
                "",
                f"points to a file with invalid content ({value}): {err}",
                "fix the JSON syntax",
            )
            return _FAILED
        return self.node(decoded, target, field_path, level + 1)

    def target(self, value: Any, file: Path, ref_path: str) -> Path | None:
        if not isinstance(value, str) or not value or os.path.isabs(value):
            self.problem(
                file,
                ref_path,
                f"{_UNIQUE} (got {value!r}, which is not a relative path)",
                f"write a path relative to {self.show(file.parent)}, e.g. `email_1/html_body.html`",
            )
            return None
        target = Path(os.path.normpath(file.parent.resolve() / value))
        try:
            rebased = target.relative_to(self.root).as_posix()
        except ValueError:
            self.problem(
                file,
                ref_path,
                f"{_UNIQUE} ({value!r} points outside {self.show(self.root)})",
                "move the file inside the directory and reference it without `..`",
            )
            return None
        first = self.seen.get(rebased)
        if first is not None:
            self.problem(
                file,
                ref_path,
                f"{_UNIQUE} ({value!r} is already referenced at {first})",
                "give each `@` field its own file",
            )
            return None
        self.seen[rebased] = ref_path
        if not target.is_file():
            self.problem(
                file,
                ref_path,
                f"{_EXISTS} ({self.show(target)} does not exist)",
                f"create {self.show(target)} or correct the path",
            )
            return None
        return target


_FAILED: Any = object()
