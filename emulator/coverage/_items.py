"""Which items a workflow has, and where each is written (file and line, or JSON path).

Per step: the step itself; its conditions' true and false outcomes when it has conditions; and
by type: each branch of a branch or experiment step (the default included; "no branch matched"
too when there is no default), a channel step's `delivered` and `skipped`, a batch step's
`opened`, `merged` and `closed`, a delay's `elapsed` (and `skipped` when its time comes from
data), a throttle's `passed` and `throttled`, a fetch's `succeeded` and `failed`. The workflow's
own (trigger) conditions give a true and a false item. A branch's conditions are covered by its
branches (true is the branch taken, false a later branch taken), so they are not items twice.
Preference conditions live in recipients' data, not in the file: a channel step gets their true
and false items once a preference condition decided one of its messages.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml

from emulator import Workflow, YamlError, compose_yaml
from emulator.coverage._model import SEP, Item, WorkflowCoverage

NO_BRANCH = "(no branch matched)"
OUTCOMES: Mapping[str, tuple[str, ...]] = {
    "channel": ("delivered", "skipped"),
    "batch": ("opened", "merged", "closed"),
    "delay": ("elapsed",),
    "throttle": ("passed", "throttled"),
    "http_fetch": ("succeeded", "failed"),
}


def step_id(ref: str) -> str:
    """The id of the item "step `ref` reached"."""
    return f"step:{ref}"


def branch_id(ref: str, branch: str) -> str:
    """The id of the item "branch step `ref` took `branch`"."""
    return f"branch:{ref}:{branch}"


def condition_id(ref: str | None, group: str, passed: bool) -> str:
    """The id of one outcome of a condition group (`trigger`, `step`, `preferences`)."""
    return f"condition:{ref or ''}:{group}:{'true' if passed else 'false'}"


def outcome_id(ref: str, outcome: str) -> str:
    """The id of the item "step `ref` had `outcome`"."""
    return f"outcome:{ref}:{outcome}"


def workflow_items(workflow: Workflow, lines: LineFinder) -> WorkflowCoverage:
    """A workflow's items with no hits, in definition order."""
    file = display_path(workflow.source.file)
    where = lines.locator(workflow.source.file, workflow.key, file)
    out = WorkflowCoverage(workflow.key, file)

    def add(item_id: str, kind: str, ref: str, label: str, path: str, parent: str = "") -> None:
        out.items[item_id] = Item(item_id, kind, ref, label, where(path), parent=parent)

    if workflow.conditions is not None:
        path = workflow.conditions.source.path or "conditions"
        for passed in (True, False):
            label = f"trigger conditions{SEP}{'true' if passed else 'false'}"
            add(condition_id(None, "trigger", passed), "condition", "", label, path)
    for step, parent in _walk(workflow.steps, ""):
        ref, path = step.ref, step.source.path
        add(step_id(ref), "step", ref, ref, path, parent)
        if step.conditions is not None:
            cpath = step.conditions.source.path or path
            for passed in (True, False):
                label = f"{ref} conditions{SEP}{'true' if passed else 'false'}"
                add(condition_id(ref, "step", passed), "condition", ref, label, cpath)
        for name, bpath in _branches(step):
            add(branch_id(ref, name), "branch", ref, f"{ref}{SEP}{name}", bpath or path)
        for outcome in _outcomes(step):
            add(outcome_id(ref, outcome), "outcome", ref, f"{ref}{SEP}{outcome}", path)
    return out


def _walk(steps: Any, parent: str) -> Iterator[tuple[Any, str]]:
    """Every step with the id of the branch item it sits in, depth first."""
    for step in steps:
        yield step, parent
        for branch in getattr(step, "branches", ()):
            yield from _walk(branch.steps, branch_id(step.ref, branch.name))


def _branches(step: Any) -> list[tuple[str, str]]:
    branches = getattr(step, "branches", None)
    if not branches:
        return []
    out = [(b.name, b.source.path) for b in branches]
    if step.type == "branch" and all(b.conditions is not None for b in branches):
        out.append((NO_BRANCH, ""))
    return out


def _outcomes(step: Any) -> tuple[str, ...]:
    outcomes = OUTCOMES.get(step.type, ())
    if step.type == "delay" and getattr(step, "delay_until_field_path", None):
        outcomes += ("skipped",)
    return outcomes


class LineFinder:
    """Turns a definition's JSON path into `file:line` for YAML files (read once per file) and
    `file:$.path` for JSON; thread-safe, shared by a collector."""

    def __init__(self) -> None:
        self._lines: dict[tuple[str, str], dict[str, int] | None] = {}
        self._lock = threading.Lock()

    def locator(self, source: str, key: str, file: str) -> Any:
        """A function from a JSON path (`steps[0].branches[1]`) to a location string; `source`
        is the file to read, `file` how locations name it."""
        if not file.endswith((".yaml", ".yml")):
            return lambda path: f"{file}:$.{path}" if path else (f"{file}:$" if file else "$")
        with self._lock:
            if (source, key) not in self._lines:
                self._lines[(source, key)] = _yaml_lines(Path(source), key)
            lines = self._lines[(source, key)]

        def locate(path: str) -> str:
            if lines is None:
                return f"{file}:$.{path}" if path else file
            probe = path
            while probe and probe not in lines:
                cut = max(probe.rfind("."), probe.rfind("["))
                probe = probe[:cut] if cut > 0 else ""
            return f"{file}:{lines.get(probe, 1)}"

        return locate


def display_path(file: str) -> str:
    """Relative to the working directory when under it (so every emulator loading one file,
    by a relative or an absolute path, names it the same), else absolute; "" stays ""."""
    if not file:
        return ""
    cwd = Path.cwd()
    path = Path(file) if Path(file).is_absolute() else cwd / file
    try:
        return path.resolve().relative_to(cwd.resolve()).as_posix()
    except ValueError:
        return path.resolve().as_posix()
    except OSError:
        return file


def _yaml_lines(path: Path, key: str) -> dict[str, int] | None:
    """JSON path -> 1-based line in the document of workflow `key`; None if unreadable."""
    try:
        nodes = compose_yaml(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, YamlError):
        return None
    chosen = nodes[0] if len(nodes) == 1 else None
    for node in nodes:
        if isinstance(node, yaml.MappingNode) and any(
            k.value == "key" and getattr(v, "value", None) == key for k, v in node.value
        ):
            chosen = node
    if chosen is None:
        return None
    out: dict[str, int] = {}

    def walk(n: yaml.Node, at: str) -> None:
        out.setdefault(at, n.start_mark.line + 1)
        if isinstance(n, yaml.MappingNode):
            for k, v in n.value:
                child = str(k.value) if not at else f"{at}.{k.value}"
                out[child] = k.start_mark.line + 1
                walk(v, child)
        elif isinstance(n, yaml.SequenceNode):
            for i, v in enumerate(n.value):
                walk(v, f"{at}[{i}]")

    walk(chosen, "")
    return out
