"""Knock's response filter `exclude` (the in-app feed's query parameter): comma-separated field
paths in dot notation from the response root, at most 3 levels deep (`entries.archived_at`,
`entries.actors.email`). A path through a list applies to each element; a path naming nothing
is ignored, so one filter serves feeds whose items differ."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from emulator.http.knock._errors import invalid

MAX_DEPTH = 3


def exclude_paths(raw: str | None) -> list[list[str]]:
    """The parsed `exclude` value; 422 `invalid_params` for an empty segment or a deeper path."""
    paths = []
    for text in (raw or "").split(","):
        path = text.strip()
        if not path:
            continue
        parts = path.split(".")
        if "" in parts:
            raise invalid("exclude", f"{path!r} has an empty segment; write e.g. entries.data.key")
        if len(parts) > MAX_DEPTH:
            raise invalid(
                "exclude",
                f"{path!r} is {len(parts)} levels deep; Knock allows at most {MAX_DEPTH} "
                "(e.g. entries.actors.email); exclude the parent field instead",
            )
        paths.append(parts)
    return paths


def without_paths(body: Any, paths: Sequence[Sequence[str]]) -> Any:
    """A copy of `body` without each path. Copies, never deletes in place: the response shares
    dicts with the engine (a message's `data`), which must not change."""
    for path in paths:
        body = _without(body, path)
    return body


def _without(value: Any, path: Sequence[str]) -> Any:
    if isinstance(value, list):
        return [_without(item, path) for item in value]
    if not isinstance(value, dict) or path[0] not in value:
        return value
    if len(path) == 1:
        return {k: v for k, v in value.items() if k != path[0]}
    return {**value, path[0]: _without(value[path[0]], path[1:])}
