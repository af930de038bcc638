"""Flow steps (branch, random_cohort, trigger_workflow): raw -> model.

They decide where a run goes next: down one branch picked by conditions, down one cohort picked
by percentage, or into another workflow. Branch rules: 2..10 branches, one default and last,
depth <= 5, no conditions on the branch step. The steps inside a branch are parsed by the
workflow parser, which passes itself in as `parse_steps`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from emulator.definitions._common import (
    COMMON_STEP_KEYS,
    StepBase,
    read_conditions,
    read_settings,
)
from emulator.definitions._fields import Problems, as_map, check_keys, get_bool, get_list, get_str
from emulator.definitions._model import (
    TRIGGER_WORKFLOW_DEFAULTS,
    Branch,
    BranchStep,
    Source,
    Step,
    TriggerWorkflowStep,
)

MAX_BRANCH_DEPTH = 5
ParseSteps = Callable[[Mapping[str, Any], Source, Problems, int], tuple[Step, ...]]
"""Parses `container["steps"]` at a nesting depth: the workflow parser's own step reader."""


def parse_trigger_workflow(
    raw: Mapping[str, Any], base: StepBase, probs: Problems
) -> TriggerWorkflowStep:
    """Trigger another workflow; recipients, actor, tenant and data default to this run's."""
    src, s = read_settings(
        raw, base, probs, ("workflow_key", *TRIGGER_WORKFLOW_DEFAULTS), "trigger_workflow settings"
    )
    values = {k: get_str(s, k, src, probs) or d for k, d in TRIGGER_WORKFLOW_DEFAULTS.items()}
    return TriggerWorkflowStep(
        recipients=values["recipients"],
        actor=values["actor"],
        tenant=values["tenant"],
        data=values["data"],
        cancellation_key=values["cancellation_key"],
        workflow_key=get_str(s, "workflow_key", src, probs, required=True) or "",
        **base.common(),
    )


@dataclass(frozen=True, slots=True)
class _Fork:
    """How a branch step and an experiment step name their entries in messages."""

    key: str  # the field that lists the entries
    what: str
    noun: str
    conditions_fix: str
    count_fix: str


_BRANCHES = _Fork(
    "branches",
    "branch step",
    "branches",
    "move the conditions onto the branches (each branch has its own `conditions`)",
    "keep 2-10 branches: at least one with conditions and a last default branch without",
)
_COHORTS = _Fork(
    "cohort_branches",
    "experiment step",
    "cohorts",
    "put a branch step with conditions before the experiment",
    "keep 2-10 entries in cohort_branches",
)


def parse_branch_step(
    raw: Mapping[str, Any], base: StepBase, probs: Problems, depth: int, parse_steps: ParseSteps
) -> BranchStep:
    """A branch step: the first branch whose conditions hold runs, else the last (default)."""
    src = base.source
    check_keys(raw, (*COMMON_STEP_KEYS, "branches"), src, probs, "a branch step")
    items = _fork_items(raw, base, probs, depth, _BRANCHES)
    branches = [
        _parse_branch(item, src.at("branches").at(f"[{i}]"), probs, depth, parse_steps)
        for i, item in enumerate(items)
    ]
    _check_defaults([b for b in branches if b is not None], items, base.ref, src, probs)
    return BranchStep(
        ref=base.ref,
        branches=tuple(b for b, _ in (x for x in branches if x is not None)),
        name=base.name,
        description=base.description,
        source=src,
    )


def _fork_items(
    raw: Mapping[str, Any], base: StepBase, probs: Problems, depth: int, fork: _Fork
) -> list[Any]:
    """Checks branch and experiment steps share: no conditions, depth <= 5, 2-10 entries."""
    src = base.source
    if raw.get("conditions") not in (None, {}):
        probs.add(
            src.at("conditions"),
            f"{fork.what} `{base.ref}` has conditions; Knock allows none on a {fork.what}",
            fork.conditions_fix,
        )
    if depth > MAX_BRANCH_DEPTH:
        probs.add(
            src,
            f"{fork.what} `{base.ref}` is nested {depth} deep; Knock allows at most "
            f"{MAX_BRANCH_DEPTH}",
            "flatten the branches, or split the workflow and use a trigger_workflow step",
        )
    items = get_list(raw, fork.key, src, probs)
    if not 2 <= len(items) <= 10:
        probs.add(
            src.at(fork.key),
            f"{fork.what} `{base.ref}` has {len(items)} {fork.noun}; Knock needs 2 to 10",
            fork.count_fix,
        )
    return items


def _parse_branch(
    item: Any, src: Source, probs: Problems, depth: int, parse_steps: ParseSteps
) -> tuple[Branch, bool] | None:
    """The branch and whether it is the default one (no conditions, or `default: true`)."""
    raw = as_map(item, src, probs, "a branch")
    if raw is None:
        return None
    check_keys(
        raw, ("name", "conditions", "steps", "terminates", "default", "ref"), src, probs, "a branch"
    )
    conditions = read_conditions(raw, src, probs)
    marked = get_bool(raw, "default", src, probs, False)
    if marked and conditions is not None:
        probs.add(
            src.at("conditions"),
            "the default branch has conditions",
            "remove the conditions (the default branch runs when no other branch matches)",
        )
    failed = raw.get("conditions") not in (None, {}) and conditions is None
    is_default = marked or (conditions is None and not failed)
    branch = Branch(
        name=get_str(raw, "name", src, probs, required=True) or "",
        conditions=None if is_default else conditions,
        steps=parse_steps(raw, src, probs, depth),
        terminates=get_bool(raw, "terminates", src, probs, False),
        source=src,
    )
    return branch, is_default


def _check_defaults(
    parsed: list[tuple[Branch, bool]],
    items: list[Any],
    ref: str,
    src: Source,
    probs: Problems,
) -> None:
    """Exactly one default branch, and it comes last."""
    defaults = [b for b, is_default in parsed if is_default]
    if len(items) < 1:
        return
    if not defaults:
        probs.add(
            src.at("branches"),
            f"branch step `{ref}` has no default branch",
            "add a last branch without conditions (Knock's default branch)",
        )
        return
    for extra in defaults[:-1]:
        probs.add(
            extra.source.at("conditions"),
            f"branch `{extra.name}` has no conditions, but only the last branch may be the default",
            "give it conditions, or move it to the end and remove the other default",
        )
    last, last_is_default = parsed[-1] if parsed else (None, False)
    if last is not None and not last_is_default:
        probs.add(
            defaults[-1].source,
            f"default branch `{defaults[-1].name}` of `{ref}` is not the last branch",
            "move the branch without conditions to the end of `branches`",
        )


def parse_cohort_step(
    raw: Mapping[str, Any], base: StepBase, probs: Problems, depth: int, parse_steps: ParseSteps
) -> BranchStep:
    """An experiment: 2-10 cohorts whose percentages (0-100, one decimal) add up to 100."""
    src = base.source
    check_keys(
        raw, (*COMMON_STEP_KEYS, "cohort_key", "cohort_branches"), src, probs, "an experiment step"
    )
    items = _fork_items(raw, base, probs, depth, _COHORTS)
    cohorts = _parse_cohorts(items, src, probs, depth, parse_steps)
    total = sum(c.percentage or 0.0 for c in cohorts)
    if cohorts and len(cohorts) == len(items) and abs(total - 100) > 1e-6:
        probs.add(
            src.at("cohort_branches"),
            f"the cohorts of `{base.ref}` add up to {total:g}%, not 100%",
            "adjust the percentages so they sum to exactly 100",
        )
    cohort_key = raw.get("cohort_key")
    if cohort_key is not None and not isinstance(cohort_key, str):
        probs.add(src.at("cohort_key"), "`cohort_key` must be a string", "quote it, or remove it")
        cohort_key = None
    return BranchStep(
        ref=base.ref,
        branches=tuple(cohorts),
        name=base.name,
        description=base.description,
        source=src,
        type="random_cohort",
        cohort_key=cohort_key,
    )


def _parse_cohorts(
    items: list[Any], src: Source, probs: Problems, depth: int, parse_steps: ParseSteps
) -> list[Branch]:
    """The `cohort_branches` entries that are objects, each a branch with a percentage."""
    cohorts: list[Branch] = []
    for i, item in enumerate(items):
        at = src.at("cohort_branches").at(f"[{i}]")
        entry = as_map(item, at, probs, "a cohort")
        if entry is None:
            continue
        check_keys(entry, ("name", "percentage", "steps", "terminates"), at, probs, "a cohort")
        percentage = _percentage(entry.get("percentage"), at.at("percentage"), probs)
        cohorts.append(
            Branch(
                name=get_str(entry, "name", at, probs, required=True) or "",
                conditions=None,
                steps=parse_steps(entry, at, probs, depth),
                terminates=get_bool(entry, "terminates", at, probs, False),
                source=at,
                percentage=percentage,
            )
        )
    return cohorts


def _percentage(value: Any, src: Source, probs: Problems) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = -1.0
    if not 0 <= number <= 100 or round(number, 1) != number:
        probs.add(
            src,
            f"percentage {value!r} is not a number from 0 to 100 with at most one decimal",
            'write e.g. 50 or "33.3"',
        )
        return 0.0
    return number
