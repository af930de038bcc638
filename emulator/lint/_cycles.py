"""Cycle lint: trigger_workflow steps that lead back to the workflow they start from.

A workflow that triggers itself (A -> A) or one that triggers it back (A -> B -> A) never ends:
Knock documents no limit, and the emulator stops the chain at its own depth limit with a failed
run. Static workflow keys are enough to find these before anything runs. A cycle where every
trigger is unconditional is an error; one that a condition or a branch may end is a warning.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from emulator.definitions import BranchStep, Step, TriggerWorkflowStep, Workflow
from emulator.lint._lines import LineFinder
from emulator.lint._report import Finding

MAX_CYCLES = 50  # enough to fix; a dense graph has exponentially many


@dataclass(frozen=True, slots=True)
class _Edge:
    """One trigger_workflow step: `step` in workflow `source` triggers workflow `target`."""

    source: str
    target: str
    step: TriggerWorkflowStep
    guarded: bool  # a condition or a branch may keep it from running


def _edges(wf: Workflow) -> Iterator[_Edge]:
    def walk(steps: Sequence[Step], guarded: bool) -> Iterator[_Edge]:
        for step in steps:
            if isinstance(step, BranchStep):
                for branch in step.branches:
                    yield from walk(branch.steps, True)
            elif isinstance(step, TriggerWorkflowStep) and "{" not in step.workflow_key:
                key = step.workflow_key.strip()
                yield _Edge(wf.key, key, step, guarded or step.conditions is not None)

    yield from walk(wf.steps, wf.conditions is not None)


def find_cycles(workflows: Mapping[str, Workflow]) -> list[list[_Edge]]:
    """Every simple cycle of static trigger_workflow steps, each once (from its smallest key)."""
    graph: dict[str, list[_Edge]] = {key: list(_edges(wf)) for key, wf in workflows.items()}
    cycles: list[list[_Edge]] = []
    for start in sorted(graph):
        stack: list[tuple[str, list[_Edge]]] = [(start, [])]
        while stack and len(cycles) < MAX_CYCLES:
            node, path = stack.pop()
            for edge in graph.get(node, []):
                if edge.target == start:
                    cycles.append([*path, edge])
                elif _extends(edge, node, start, path) and edge.target in graph:
                    stack.append((edge.target, [*path, edge]))
    return cycles


def _extends(edge: _Edge, node: str, start: str, path: Sequence[_Edge]) -> bool:
    """The edge leads on to a workflow not yet on the path (and after `start`, so each cycle
    is found once, from its smallest key)."""
    return (
        edge.target > start and edge.target != node and all(e.source != edge.target for e in path)
    )


def lint_cycles(workflows: Mapping[str, Workflow], lines: LineFinder) -> Iterator[Finding]:
    """One finding per cycle, at the trigger_workflow step that leaves its first workflow."""
    for cycle in find_cycles(workflows):
        first = cycle[0].step
        chain = " -> ".join([f"`{e.source}`" for e in cycle] + [f"`{cycle[0].source}`"])
        steps = ", ".join(f"`{e.source}`/`{e.step.ref}`" for e in cycle)
        guarded = any(e.guarded for e in cycle)
        yield Finding(
            "warning" if guarded else "error",
            "trigger-cycle",
            first.source.file,
            lines.find(first.source.file, f"ref: {first.ref}", "workflow_key")
            or lines.step_line(first),
            f"{first.source.path}.settings.workflow_key",
            f"trigger_workflow steps form a cycle {chain} ({steps})"
            + (
                ": it ends only if a condition or branch stops it"
                if guarded
                else ": every run triggers the next forever"
            )
            + "; Doorstep fails the run nested past its depth limit",
            "remove the cycle, or add a condition to one of these steps that ends the chain",
        )
