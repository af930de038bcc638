"""`doorstep validate DIR --against TARGET`: what promoting DIR's content onto TARGET's would
change, for a CI job to show before `knock commit promote` (TARGET being, say, what
`knock workflow pull --all --environment production` wrote).

Per workflow: added, removed (promotion never deletes: it stays in the target), or changed, with
the steps added, removed and changed (matched by `ref`, inside branches too), the fields that
changed, and each changed template string as a unified diff. Layouts and partials likewise, by
field.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from emulator.definitions import load_definitions

_KINDS = {"workflow": "workflows", "layout": "layouts", "partial": "partials"}


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One changed field (a JSON path); `diff` is a unified diff for text, else empty."""

    path: str
    diff: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class StepChange:
    """One step, matched by ref: added, removed or changed (and which fields)."""

    ref: str
    type: str
    change: str  # added | removed | changed
    fields: tuple[FieldChange, ...] = ()


@dataclass(frozen=True, slots=True)
class ResourceChange:
    """One workflow, layout or partial that promotion would add, change, or leave behind."""

    kind: str  # workflow | layout | partial
    key: str
    change: str  # added | removed | changed
    steps: tuple[StepChange, ...] = ()
    fields: tuple[FieldChange, ...] = ()


@dataclass(frozen=True, slots=True)
class Promotion:
    """Every difference between the content to promote and the target's."""

    source: str
    target: str
    changes: tuple[ResourceChange, ...] = field(default_factory=tuple)

    def summary(self) -> str:
        """`2 changed, 1 added, 0 removed` over workflows, layouts and partials."""
        count = {c: sum(1 for r in self.changes if r.change == c) for c in ("changed", "added")}
        removed = sum(1 for r in self.changes if r.change == "removed")
        return f"{count['changed']} changed, {count['added']} added, {removed} only in the target"


def compare_promotion(source: str | Path, target: str | Path) -> Promotion:
    """Compare the definitions in `source` (to be promoted) with those in `target`.
    DefinitionError when either cannot be loaded."""
    new, old = load_definitions(source), load_definitions(target)
    changes: list[ResourceChange] = []
    for kind in _KINDS:
        before = {k: d for (kd, k), d in old.documents.items() if kd == kind}
        after = {k: d for (kd, k), d in new.documents.items() if kd == kind}
        for key in sorted(after.keys() | before.keys()):
            if key not in before:
                changes.append(ResourceChange(kind, key, "added"))
            elif key not in after:
                changes.append(ResourceChange(kind, key, "removed"))
            else:
                change = _compare(kind, key, before[key], after[key], str(target), str(source))
                if change is not None:
                    changes.append(change)
    return Promotion(str(source), str(target), tuple(changes))


_NOT_CONTENT = ("$schema", "__readonly")  # what the CLI writes beside the content


def _compare(
    kind: str, key: str, old: Mapping[str, Any], new: Mapping[str, Any], a: str, b: str
) -> ResourceChange | None:
    old = {k: v for k, v in old.items() if k not in _NOT_CONTENT}
    new = {k: v for k, v in new.items() if k not in _NOT_CONTENT}
    steps: tuple[StepChange, ...] = ()
    if kind == "workflow":
        steps = _step_changes(old.get("steps"), new.get("steps"), a, b)
        old = {k: v for k, v in old.items() if k != "steps"}
        new = {k: v for k, v in new.items() if k != "steps"}
    fields = tuple(_field_changes(old, new, "", a, b))
    if not steps and not fields:
        return None
    return ResourceChange(kind, key, "changed", steps, fields)


def _steps(steps: Any) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """(ref, step without nested steps) for every step, depth first."""
    for step in steps if isinstance(steps, list) else []:
        if not isinstance(step, Mapping):
            continue
        shallow = dict(step)
        branches = shallow.pop("branches", None)
        if isinstance(branches, list):
            shallow["branches"] = [
                {k: v for k, v in b.items() if k != "steps"}
                for b in branches
                if isinstance(b, Mapping)
            ]
        yield str(step.get("ref")), shallow
        for branch in branches if isinstance(branches, list) else []:
            if isinstance(branch, Mapping):
                yield from _steps(branch.get("steps"))


def _step_changes(old: Any, new: Any, a: str, b: str) -> tuple[StepChange, ...]:
    before, after = dict(_steps(old)), dict(_steps(new))
    found = []
    for ref in [*after, *(r for r in before if r not in after)]:
        step = after.get(ref) or before[ref]
        kind = str(step.get("channel_type") or step.get("type"))
        if ref not in before:
            found.append(StepChange(ref, kind, "added"))
        elif ref not in after:
            found.append(StepChange(ref, kind, "removed"))
        else:
            fields = tuple(_field_changes(before[ref], after[ref], "", a, b))
            if fields:
                found.append(StepChange(ref, kind, "changed", fields))
    return tuple(found)


def _field_changes(old: Any, new: Any, path: str, a: str, b: str) -> Iterator[FieldChange]:
    if old == new:
        return
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        for key in [*new, *(k for k in old if k not in new)]:
            yield from _field_changes(old.get(key), new.get(key), _join(path, key), a, b)
    elif isinstance(old, str) and isinstance(new, str):
        diff = difflib.unified_diff(
            old.splitlines(), new.splitlines(), fromfile=a, tofile=b, lineterm="", n=1
        )
        yield FieldChange(path, tuple(diff))
    else:
        yield FieldChange(path)


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else str(key)


def format_promotion(promotion: Promotion, fmt: str) -> str:
    """The comparison as `json`, `github` notices, or text (any other `fmt`)."""
    if fmt == "json":
        body = {
            "source": promotion.source,
            "target": promotion.target,
            "changes": [asdict(c) for c in promotion.changes],
        }
        return json.dumps(body, indent=2) + "\n"
    if fmt == "github":
        return "".join(
            f"::notice title=doorstep promotion::{c.kind} {c.key}: {c.change}"
            + "".join(f"%0A  step {s.ref}: {s.change}" for s in c.steps)
            + "\n"
            for c in promotion.changes
        )
    lines = [f"Promoting {promotion.source} onto {promotion.target}: {promotion.summary()}"]
    for change in promotion.changes:
        lines.append(f"{change.kind} {change.key}: {change.change}")
        for step in change.steps:
            lines.append(f"  step {step.ref} ({step.type}): {step.change}")
            lines += _field_lines(step.fields, "    ")
        lines += _field_lines(change.fields, "  ")
    return "\n".join(lines) + "\n"


def _field_lines(fields: tuple[FieldChange, ...], indent: str) -> list[str]:
    lines = []
    for item in fields:
        lines.append(f"{indent}{item.path}: changed")
        lines += [f"{indent}  {line}" for line in item.diff]
    return lines
