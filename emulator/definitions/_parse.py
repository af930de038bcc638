"""Raw workflow dict (already `@`-inlined) -> `Workflow`, with every problem collected.

Both loaders end here, so the YAML format and the Knock CLI layout share one set of rules: the
workflow fields and key format, the step type list (each type's parser lives with its family:
`_channel_step`, `_timing_steps`, `_data_steps`, `_flow_steps`), refs unique across nested
branches.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, Literal, cast

from emulator.definitions._channel_step import parse_channel
from emulator.definitions._common import COMMON_STEP_KEYS, StepBase, read_base, read_conditions
from emulator.definitions._data_steps import parse_ai_agent, parse_fetch, parse_update
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
from emulator.definitions._flow_steps import (
    parse_branch_step,
    parse_cohort_step,
    parse_trigger_workflow,
)
from emulator.definitions._model import (
    NOT_EMULATED_STEP_TYPES,
    STEP_TYPES,
    Source,
    Step,
    Workflow,
    WorkflowSettings,
    walk_steps,
)
from emulator.definitions._timing_steps import (
    parse_batch,
    parse_delay,
    parse_throttle,
    parse_wait_for_event,
)

KEY_PATTERN = re.compile(r"^[a-z0-9_-]{3,255}$")
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
    steps = _parse_steps(raw, src, probs, 0)
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
        settings=_workflow_settings(raw, src, probs),
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
    """Knock's key format: 3-255 lowercase letters, digits, `-` and `_`."""
    if not KEY_PATTERN.match(key):
        probs.add(
            src,
            f"workflow key {key!r} is not valid: Knock keys are 3-255 characters of lowercase "
            "letters, digits, `-` and `_`",
            "rename the workflow directory (Knock layout) or set `key:` / rename the file (YAML)",
        )


def _workflow_settings(raw: Mapping[str, Any], src: Source, probs: Problems) -> WorkflowSettings:
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
    import jsonschema  # on first use: `import emulator` stays light

    try:
        jsonschema.validators.validator_for(schema).check_schema(schema)
    except jsonschema.SchemaError as err:
        probs.add(at, f"not a valid JSON Schema: {err.message}", "fix the schema (draft 2020-12)")
    return dict(schema)


def _parse_steps(
    container: Mapping[str, Any], src: Source, probs: Problems, depth: int
) -> tuple[Step, ...]:
    """`container["steps"]` (a workflow's, or a branch's at `depth`), skipping broken steps."""
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
        return parse_branch_step(raw, base, probs, depth + 1, _parse_steps)
    if kind == "random_cohort":
        return parse_cohort_step(raw, base, probs, depth + 1, _parse_steps)
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


def _check_unique_refs(steps: tuple[Step, ...], probs: Problems) -> None:
    seen: dict[str, Source] = {}
    for step in walk_steps(steps):
        if not step.ref:
            continue
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
