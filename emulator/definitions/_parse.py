"""Raw workflow dict (already `@`-inlined) -> `Workflow`, with every problem collected.

Both loaders end here, so the YAML format and the Knock CLI layout share one set of rules: the
step type list, branch rules (2..10 branches, one default and last, depth <= 5, no conditions on
the branch step), refs unique across nested branches, the workflow key format.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, Literal, cast

import jsonschema

from emulator.definitions._channel import parse_channel
from emulator.definitions._common import COMMON_STEP_KEYS, StepBase, read_base, read_conditions
from emulator.definitions._fields import (
    Problems,
    as_map,
    check_keys,
    closest,
    get_bool,
    get_enum,
    get_list,
    get_str,
    get_str_list,
)
from emulator.definitions._model import (
    NOT_EMULATED_STEP_TYPES,
    STEP_TYPES,
    Branch,
    BranchStep,
    Source,
    Step,
    Workflow,
    WorkflowSettings,
)
from emulator.definitions._steps import (
    parse_ai_agent,
    parse_batch,
    parse_delay,
    parse_fetch,
    parse_throttle,
    parse_trigger_workflow,
    parse_update,
    parse_wait_for_event,
)

KEY_PATTERN = re.compile(r"^[a-z0-9_-]{3,255}$")
MAX_BRANCH_DEPTH = 5
_FUNCTION_PARSERS: dict[str, Callable[[Mapping[str, Any], StepBase, Problems], Step]] = {
    "delay": parse_delay,
    "batch": parse_batch,
    "throttle": parse_throttle,
    "http_fetch": parse_fetch,
    "trigger_workflow": parse_trigger_workflow,
    "update_data": parse_update,
    "update_user": parse_update,
    "update_tenant": parse_update,
    "update_object": parse_update,
    "wait_for_event": parse_wait_for_event,
    "ai_agent": parse_ai_agent,
}
# Names people write by mistake, and what Knock calls them.
_ALIASES = {
    "fetch": "http_fetch",
    "http": "http_fetch",
    "webhook": "channel",
    "email": "channel",
    "sms": "channel",
    "push": "channel",
    "chat": "channel",
    "in_app_feed": "channel",
    "in_app": "channel",
    "wait": "delay",
    "digest": "batch",
    "experiment": "random_cohort",
}
_WORKFLOW_KEYS = (
    "name",
    "steps",
    "description",
    "categories",
    "tags",
    "conditions",
    "settings",
    "trigger_data_json_schema",
    "trigger_frequency",
    "goal_attachment",  # analytics only: accepted, nothing to emulate
    "active",
    "$schema",
    "__readonly",
)
_FREQUENCIES = ("every_trigger", "once_per_recipient", "once_per_recipient_per_tenant")


def parse_workflow(raw: Mapping[str, Any], *, key: str, file: str) -> Workflow:
    """Validate one workflow (fields as in Knock's workflow.json) and build the model.

    Raises DefinitionError listing every problem, each with `file` and its JSON path.
    """
    return parse_workflow_with_origins(raw, key=key, file=file, origins={})


def parse_workflow_with_origins(
    raw: Mapping[str, Any], *, key: str, file: str, origins: Mapping[str, str]
) -> Workflow:
    """`parse_workflow`, naming for each inlined field the file it came from (`origins`)."""
    probs = Problems(origins)
    src = Source(file, "")
    check_workflow_key(key, src, probs)
    check_keys(raw, _WORKFLOW_KEYS, src, probs, "a workflow")
    steps = _parse_steps(raw, src, probs, depth=0)
    _check_unique_refs(steps, probs)
    readonly = raw.get("__readonly")
    active_default = readonly.get("active", True) if isinstance(readonly, Mapping) else True
    workflow = Workflow(
        key=key,
        name=get_str(raw, "name", src, probs, required=True, max_len=255) or key,
        steps=steps,
        description=get_str(raw, "description", src, probs, max_len=280),
        categories=get_str_list(raw, "categories", src, probs),
        tags=get_str_list(raw, "tags", src, probs),
        conditions=read_conditions(raw, src, probs),
        settings=_settings(raw, src, probs),
        trigger_data_json_schema=_json_schema(raw, src, probs),
        trigger_frequency=cast(
            Literal["every_trigger", "once_per_recipient", "once_per_recipient_per_tenant"],
            get_enum(raw, "trigger_frequency", _FREQUENCIES, src, probs, "every_trigger"),
        ),
        active=get_bool(raw, "active", src, probs, active_default is not False),
        source=src,
    )
    probs.raise_if_any()
    return workflow


def check_workflow_key(key: str, src: Source, probs: Problems) -> None:
    if not KEY_PATTERN.match(key):
        probs.add(
            src,
            f"workflow key {key!r} is not valid: Knock keys are 3-255 characters of lowercase "
            "letters, digits, `-` and `_`",
            "rename the workflow directory (Knock layout) or set `key:` / rename the file (YAML)",
        )


def _settings(raw: Mapping[str, Any], src: Source, probs: Problems) -> WorkflowSettings:
    value = raw.get("settings")
    if value is None:
        return WorkflowSettings()
    at = src.at("settings")
    settings = as_map(value, at, probs, "`settings`") or {}
    check_keys(settings, ("override_preferences", "is_commercial"), at, probs, "workflow settings")
    return WorkflowSettings(
        override_preferences=get_bool(settings, "override_preferences", at, probs, False),
        is_commercial=get_bool(settings, "is_commercial", at, probs, False),
    )


def _json_schema(raw: Mapping[str, Any], src: Source, probs: Problems) -> Mapping[str, Any] | None:
    value = raw.get("trigger_data_json_schema")
    if value is None:
        return None
    at = src.at("trigger_data_json_schema")
    schema = as_map(value, at, probs, "`trigger_data_json_schema`")
    if schema is None:
        return None
    try:
        jsonschema.validators.validator_for(schema).check_schema(schema)
    except jsonschema.SchemaError as err:
        probs.add(at, f"not a valid JSON Schema: {err.message}", "fix the schema (draft 2020-12)")
    return dict(schema)


def _parse_steps(
    container: Mapping[str, Any], src: Source, probs: Problems, *, depth: int
) -> tuple[Step, ...]:
    if "steps" not in container and depth == 0:
        probs.add(src.at("steps"), "`steps` is required", "add `steps: []` (a list of steps)")
    out: list[Step] = []
    for i, item in enumerate(get_list(container, "steps", src, probs)):
        at = src.at("steps").at(f"[{i}]")
        raw = as_map(item, at, probs, "a step")
        if raw is not None:
            step = _parse_step(raw, at, probs, depth)
            if step is not None:
                out.append(step)
    return tuple(out)


def _parse_step(raw: Mapping[str, Any], src: Source, probs: Problems, depth: int) -> Step | None:
    kind = raw.get("type")
    ref = raw.get("ref")
    label = f"step `{ref}`" if isinstance(ref, str) else "this step"
    if kind in NOT_EMULATED_STEP_TYPES:
        probs.add(
            src.at("type"),
            f"{label} is a `{kind}` step, which Doorstep does not emulate yet",
            "remove the step, or test this workflow against Knock itself",
        )
        return None
    if not isinstance(kind, str) or kind not in STEP_TYPES:
        probs.add(src.at("type"), f"unknown step type {kind!r} in {label}", _type_fix(kind))
        return None
    base = read_base(raw, src, probs)
    if kind == "channel":
        return parse_channel(raw, base, probs)
    if kind == "branch":
        return _parse_branch_step(raw, base, probs, depth + 1)
    if kind == "random_cohort":
        return _parse_cohort_step(raw, base, probs, depth + 1)
    check_keys(raw, (*COMMON_STEP_KEYS, "settings"), src, probs, f"a {kind} step")
    return _FUNCTION_PARSERS[kind](raw, base, probs)


def _type_fix(kind: Any) -> str:
    known = ", ".join(STEP_TYPES)
    if kind is None:
        return f"add `type` (one of {known})"
    word = str(kind)
    if word in _ALIASES:
        target = _ALIASES[word]
        if target == "channel" and word != "webhook":
            channel = "in_app_feed" if word == "in_app" else word
            return f"did you mean `type: channel` with `channel_type: {channel}`?"
        if target == "channel":
            return "did you mean `type: channel` with `channel_type: http`?"
        return f"did you mean `{target}`?"
    guess = closest(word, (*STEP_TYPES, *NOT_EMULATED_STEP_TYPES))
    return f"did you mean `{guess}`? (known: {known})" if guess else f"use one of: {known}"


def _parse_branch_step(
    raw: Mapping[str, Any], base: StepBase, probs: Problems, depth: int
) -> BranchStep:
    src = base.source
    check_keys(raw, (*COMMON_STEP_KEYS, "branches"), src, probs, "a branch step")
    items = _branch_items(
        raw,
        base,
        probs,
        depth,
        "branches",
        "branch step",
        "branches",
        "move the conditions onto the branches (each branch has its own `conditions`)",
        "keep 2-10 branches: at least one with conditions and a last default branch without",
    )
    branches = [
        _parse_branch(item, src.at("branches").at(f"[{i}]"), probs, depth)
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


def _branch_items(
    raw: Mapping[str, Any],
    base: StepBase,
    probs: Problems,
    depth: int,
    key: str,
    what: str,
    noun: str,
    conditions_fix: str,
    count_fix: str,
) -> list[Any]:
    """Checks branch and experiment steps share: no conditions, depth <= 5, 2-10 entries."""
    src = base.source
    if raw.get("conditions") not in (None, {}):
        probs.add(
            src.at("conditions"),
            f"{what} `{base.ref}` has conditions; Knock allows none on a {what}",
            conditions_fix,
        )
    if depth > MAX_BRANCH_DEPTH:
        probs.add(
            src,
            f"{what} `{base.ref}` is nested {depth} deep; Knock allows at most {MAX_BRANCH_DEPTH}",
            "flatten the branches, or split the workflow and use a trigger_workflow step",
        )
    items = get_list(raw, key, src, probs)
    if not 2 <= len(items) <= 10:
        probs.add(
            src.at(key),
            f"{what} `{base.ref}` has {len(items)} {noun}; Knock needs 2 to 10",
            count_fix,
        )
    return items


def _parse_cohort_step(
    raw: Mapping[str, Any], base: StepBase, probs: Problems, depth: int
) -> BranchStep:
    """An experiment: 2-10 cohorts whose percentages (0-100, one decimal) add up to 100."""
    src = base.source
    check_keys(
        raw, (*COMMON_STEP_KEYS, "cohort_key", "cohort_branches"), src, probs, "an experiment step"
    )
    items = _branch_items(
        raw,
        base,
        probs,
        depth,
        "cohort_branches",
        "experiment step",
        "cohorts",
        "put a branch step with conditions before the experiment",
        "keep 2-10 entries in cohort_branches",
    )
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
                steps=_parse_steps(entry, at, probs, depth=depth),
                terminates=get_bool(entry, "terminates", at, probs, False),
                source=at,
                percentage=percentage,
            )
        )
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


def _parse_branch(
    item: Any, src: Source, probs: Problems, depth: int
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
        steps=_parse_steps(raw, src, probs, depth=depth),
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


def _check_unique_refs(steps: tuple[Step, ...], probs: Problems) -> None:
    seen: dict[str, Source] = {}
    _walk_refs(steps, seen, probs)


def _walk_refs(steps: tuple[Step, ...], seen: dict[str, Source], probs: Problems) -> None:
    for step in steps:
        if step.ref:
            first = seen.get(step.ref)
            if first is not None:
                probs.add(
                    step.source.at("ref"),
                    f"ref `{step.ref}` is used twice (first at {first.path})",
                    "rename one; refs must be unique across the whole workflow, "
                    "including inside branches",
                )
            else:
                seen[step.ref] = step.source
        if isinstance(step, BranchStep):
            for branch in step.branches:
                _walk_refs(branch.steps, seen, probs)
