"""Branch steps: the first branch whose conditions hold runs; otherwise the default branch."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._conditions import evaluate
from .._model import BranchStep
from .._runs import StepRecord
from .._state import Frame, RunState

if TYPE_CHECKING:
    from .._engine import Engine

NEXT = "next"


def run_branch(engine: Engine, rs: RunState, step: BranchStep, record: StepRecord) -> str:
    scope = engine.condition_scope(rs)
    tried = []
    chosen = None
    for branch in step.branches:
        if branch.conditions is None:
            continue
        result = evaluate(branch.conditions, scope)
        tried.append((branch.name, result))
        if result.passed:
            chosen = branch
            break
    if chosen is None:
        chosen = next((b for b in step.branches if b.conditions is None), None)
    record.detail["evaluated"] = tried
    if chosen is None:
        return engine.skip(rs, record, "no branch matched and there is no default branch")
    record.branch = chosen.name
    rs.frames.append(Frame(chosen.steps, terminates=chosen.terminates, branch=chosen.name))
    return NEXT
