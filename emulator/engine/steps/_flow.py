"""Branch steps (first branch whose conditions hold, else the default) and experiments."""

from __future__ import annotations

from typing import TYPE_CHECKING

from emulator.core import BoundedCache
from emulator.definitions import BranchStep
from emulator.engine._conditions import ConditionResult, evaluate
from emulator.engine._keys import render_key
from emulator.engine._state import RunState, push_frame
from emulator.stores import StepRecord

if TYPE_CHECKING:
    from emulator.engine._engine import Engine

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
        if engine.observers:
            engine.observers.condition_evaluated(
                rs.workflow, step.ref, f"branch:{branch.name}", result.passed
            )
        if result.passed:
            chosen = branch
            break
    if chosen is None:
        chosen = next((b for b in step.branches if b.conditions is None), None)
    record.detail["evaluated"] = _shared_tried(step, tried)
    if chosen is None:
        return engine.skip(rs, record, "no branch matched and there is no default branch")
    record.branch = chosen.name
    if engine.observers:
        engine.observers.branch_taken(rs.workflow, step.ref, chosen.name)
    push_frame(rs, chosen.steps, chosen.terminates, chosen.name)
    return NEXT


MAX_SHARED_TRIED = 4096
# What a branch step tried, shared between runs that tried the same (shared) results: each
# run's step detail keeps it, and equal copies would be objects for the GC to scan.
_TRIED: BoundedCache[
    tuple[int, ...], tuple[BranchStep, tuple[tuple[str, ConditionResult], ...]]
] = BoundedCache(MAX_SHARED_TRIED)


def _shared_tried(
    step: BranchStep, tried: list[tuple[str, ConditionResult]]
) -> tuple[tuple[str, ConditionResult], ...]:
    key = (id(step), *(id(result) for _, result in tried))
    found = _TRIED.get(key)
    if (
        found is not None
        and found[0] is step
        and all(a[1] is b[1] for a, b in zip(found[1], tried, strict=True))
    ):
        return found[1]
    made = tuple(tried)
    _TRIED.keep(key, (step, made))
    return made


def run_cohort(engine: Engine, rs: RunState, step: BranchStep, record: StepRecord) -> str:
    """Experiments: hash the cohort key into 0.1% buckets and walk the cumulative percentages.

    Knock does not document its hash; sha256 of `<step ref>:<key>` keeps a recipient in the same
    cohort of the same step across runs, and matches the one-decimal percentage granularity.
    """
    source = step.cohort_key or "recipient.id"
    try:
        key = render_key(engine, rs, source, step.ref, "cohort_key")
    except ValueError as exc:
        key = rs.recipient_ref[1]
        record.detail["cohort_key_problem"] = f"{exc}; used the recipient id"
    import hashlib  # cohort steps are rare: loaded by the first

    bucket = int(hashlib.sha256(f"{step.ref}:{key}".encode()).hexdigest(), 16) % 1000
    threshold = 0.0
    chosen = step.branches[-1]
    for cohort in step.branches:
        threshold += (cohort.percentage or 0.0) * 10
        if bucket < threshold:
            chosen = cohort
            break
    record.detail.update(cohort_key=key, bucket=bucket / 10)
    record.branch = chosen.name
    if engine.observers:
        engine.observers.branch_taken(rs.workflow, step.ref, chosen.name)
    push_frame(rs, chosen.steps, chosen.terminates, chosen.name)
    return NEXT
