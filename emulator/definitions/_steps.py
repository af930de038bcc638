"""Function steps (delay, batch, throttle, http_fetch, trigger_workflow, update_*): raw -> model.

All of them keep their configuration under `settings`, as in Knock's workflow.json. Each parser
records every problem it finds and still returns a step, so later checks (duplicate refs, unknown
workflow keys) see the whole workflow.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Literal, cast

from emulator.core._errors import DefinitionError
from emulator.definitions._common import StepBase
from emulator.definitions._conditions import parse_conditions
from emulator.definitions._durations import parse_duration
from emulator.definitions._fields import (
    Problems,
    as_map,
    check_keys,
    get_enum,
    get_int,
    get_list,
    get_str,
    type_name,
)
from emulator.definitions._model import (
    AiAgentStep,
    BatchStep,
    DelayStep,
    Duration,
    FetchStep,
    KeyValue,
    Source,
    ThrottleStep,
    TriggerWorkflowStep,
    UpdateStep,
    WaitForEventStep,
)

_HTTP_METHODS = ("get", "post", "put", "delete", "patch")


def _settings(
    raw: Mapping[str, Any],
    base: StepBase,
    probs: Problems,
    keys: tuple[str, ...] | None = None,
    what: str = "",
) -> tuple[Source, Mapping[str, Any]]:
    """A step's `settings` (empty when absent) and its source; unknown `keys` are reported."""
    src = base.source.at("settings")
    value = raw.get("settings")
    settings = {} if value is None else as_map(value, src, probs, "`settings`") or {}
    if keys is not None:
        check_keys(settings, keys, src, probs, what)
    return src, settings


def _duration(
    settings: Mapping[str, Any], key: str, src: Source, probs: Problems
) -> Duration | None:
    value = settings.get(key)
    if value is None:
        return None
    try:
        return parse_duration(value, src.at(key))
    except DefinitionError as err:
        probs.absorb(err)
        return None


def parse_delay(raw: Mapping[str, Any], base: StepBase, probs: Problems) -> DelayStep:
    src, s = _settings(raw, base, probs, ("delay_for", "delay_until_field_path"), "delay settings")
    delay_for = _duration(s, "delay_for", src, probs)
    until = get_str(s, "delay_until_field_path", src, probs)
    if s.get("delay_for") is None and until is None:
        probs.add(
            src,
            "a delay needs `delay_for` or `delay_until_field_path`",
            'add `delay_for: {"unit": "minutes", "value": 10}` (or `10m` in YAML), or '
            "`delay_until_field_path: data.send_at`",
        )
    return DelayStep(
        ref=base.ref,
        delay_for=delay_for,
        delay_until_field_path=until,
        conditions=base.conditions,
        name=base.name,
        description=base.description,
        source=base.source,
    )


_BATCH_KEYS = (
    "batch_key",
    "batch_window",
    "batch_until_field_path",
    "batch_window_type",
    "batch_window_extension_limit",
    "batch_order",
    "batch_items_max_limit",
    "batch_items_render_limit",
    "batch_execution_mode",
    "workflow_version_mode",
)


def parse_batch(raw: Mapping[str, Any], base: StepBase, probs: Problems) -> BatchStep:
    src, s = _settings(raw, base, probs, _BATCH_KEYS, "batch settings")
    window = _duration(s, "batch_window", src, probs)
    until = get_str(s, "batch_until_field_path", src, probs)
    if s.get("batch_window") is None and until is None:
        probs.add(
            src,
            "a batch needs `batch_window` or `batch_until_field_path`",
            'add `batch_window: {"unit": "minutes", "value": 5}` (or `5m` in YAML), or '
            "`batch_until_field_path: data.batch_until`",
        )
    window_type = get_enum(s, "batch_window_type", ("fixed", "sliding"), src, probs, "fixed")
    extension = _duration(s, "batch_window_extension_limit", src, probs)
    if window_type == "sliding" and s.get("batch_window_extension_limit") is None:
        probs.add(
            src.at("batch_window_type"),
            "a sliding batch window needs `batch_window_extension_limit`",
            'add `batch_window_extension_limit: {"unit": "hours", "value": 1}` (the longest '
            "the window may grow from its opening), or use `batch_window_type: fixed`",
        )
    max_limit = get_int(s, "batch_items_max_limit", src, probs, low=2, high=1000)
    render_limit = get_int(s, "batch_items_render_limit", src, probs, low=1, high=100)
    return BatchStep(
        ref=base.ref,
        batch_window=window,
        batch_until_field_path=until,
        batch_key=get_str(s, "batch_key", src, probs),
        batch_window_type=cast(Literal["fixed", "sliding"], window_type),
        batch_window_extension_limit=extension,
        batch_order=cast(
            Literal["asc", "desc"],
            get_enum(s, "batch_order", ("asc", "desc"), src, probs, "asc"),
        ),
        batch_items_max_limit=max_limit,
        batch_items_render_limit=10 if render_limit is None else render_limit,
        batch_execution_mode=cast(
            Literal["accumulate", "flush_leading"],
            get_enum(
                s,
                "batch_execution_mode",
                ("accumulate", "flush_leading"),
                src,
                probs,
                "accumulate",
            ),
        ),
        workflow_version_mode=cast(
            Literal["latest", "pinned"],
            get_enum(s, "workflow_version_mode", ("latest", "pinned"), src, probs, "latest"),
        ),
        conditions=base.conditions,
        name=base.name,
        description=base.description,
        source=base.source,
    )


_THROTTLE_KEYS = ("throttle_window", "throttle_window_field_path", "throttle_limit", "throttle_key")


def parse_throttle(raw: Mapping[str, Any], base: StepBase, probs: Problems) -> ThrottleStep:
    src, s = _settings(raw, base, probs, _THROTTLE_KEYS, "throttle settings")
    window = _duration(s, "throttle_window", src, probs)
    field_path = get_str(s, "throttle_window_field_path", src, probs)
    if s.get("throttle_window") is None and field_path is None:
        probs.add(
            src,
            "a throttle needs `throttle_window` or `throttle_window_field_path`",
            'add `throttle_window: {"unit": "hours", "value": 24}` (or `24h` in YAML)',
        )
    limit = get_int(s, "throttle_limit", src, probs, low=1, high=1_000_000)
    return ThrottleStep(
        ref=base.ref,
        throttle_window=window,
        throttle_window_field_path=field_path,
        throttle_limit=1 if limit is None else limit,
        throttle_key=get_str(s, "throttle_key", src, probs),
        conditions=base.conditions,
        name=base.name,
        description=base.description,
        source=base.source,
    )


def _key_values(
    s: Mapping[str, Any], key: str, src: Source, probs: Problems
) -> tuple[KeyValue, ...] | str:
    value = s.get(key)
    if isinstance(value, str):
        return value
    out: list[KeyValue] = []
    for i, item in enumerate(get_list(s, key, src, probs)):
        at = src.at(key).at(f"[{i}]")
        entry = as_map(item, at, probs, f"`{key}` item")
        if entry is None:
            continue
        check_keys(entry, ("key", "value"), at, probs, f"a `{key}` item")
        k = get_str(entry, "key", at, probs, required=True)
        v = entry.get("value", "")
        if not isinstance(v, str):
            probs.add(at.at("value"), f"`value` must be a string, got {type_name(v)}", "quote it")
            v = ""
        if k is not None:
            out.append(KeyValue(k, v))
    return tuple(out)


_FETCH_KEYS = (
    "method",
    "url",
    "headers",
    "query_params",
    "body",
    "response_path",
    "signing_key",
)


def parse_fetch(raw: Mapping[str, Any], base: StepBase, probs: Problems) -> FetchStep:
    src, s = _settings(raw, base, probs, _FETCH_KEYS, "http_fetch settings")
    method = s.get("method")
    if isinstance(method, str):
        method = method.lower()
    if method not in _HTTP_METHODS:
        probs.add(
            src.at("method"),
            f"`method` is {method!r}; Knock's fetch step supports {', '.join(_HTTP_METHODS)}",
            "set `method: get` (or post, put, delete, patch)",
        )
        method = "get"
    body = s.get("body")
    if isinstance(body, Mapping | list):
        body = json.dumps(body)
    elif body is not None and not isinstance(body, str):
        probs.add(src.at("body"), f"`body` must be a string, got {type_name(body)}", "quote it")
        body = None
    return FetchStep(
        ref=base.ref,
        method=method,
        url=get_str(s, "url", src, probs, required=True) or "",
        headers=_key_values(s, "headers", src, probs),
        query_params=_key_values(s, "query_params", src, probs),
        body=body,
        response_path=get_str(s, "response_path", src, probs),
        signing_key=get_str(s, "signing_key", src, probs),
        conditions=base.conditions,
        name=base.name,
        description=base.description,
        source=base.source,
    )


_TRIGGER_DEFAULTS = {
    "recipients": "{{ recipient.id }}",
    "actor": "{{ actor.id }}",
    "tenant": "{{ tenant.id }}",
    "data": "{{ data | json }}",
    "cancellation_key": "{{ workflow.cancellation_key }}",
}


def parse_trigger_workflow(
    raw: Mapping[str, Any], base: StepBase, probs: Problems
) -> TriggerWorkflowStep:
    src, s = _settings(
        raw, base, probs, ("workflow_key", *_TRIGGER_DEFAULTS), "trigger_workflow settings"
    )
    values = {k: get_str(s, k, src, probs) or d for k, d in _TRIGGER_DEFAULTS.items()}
    return TriggerWorkflowStep(
        recipients=values["recipients"],
        actor=values["actor"],
        tenant=values["tenant"],
        data=values["data"],
        cancellation_key=values["cancellation_key"],
        ref=base.ref,
        workflow_key=get_str(s, "workflow_key", src, probs, required=True) or "",
        conditions=base.conditions,
        name=base.name,
        description=base.description,
        source=base.source,
    )


def _json_text(s: Mapping[str, Any], key: str, src: Source, probs: Problems) -> str:
    value = s.get(key)
    if isinstance(value, Mapping):
        return json.dumps(value)  # YAML users may write the object itself
    text = get_str(s, key, src, probs, required=True)
    return text or "{}"


def parse_update(raw: Mapping[str, Any], base: StepBase, probs: Problems) -> UpdateStep:
    src, s = _settings(raw, base, probs)
    kind = cast(
        Literal["update_data", "update_user", "update_tenant", "update_object"], raw["type"]
    )
    if kind == "update_data":
        check_keys(s, ("data",), src, probs, "update_data settings")
        properties, mode, gid = _json_text(s, "data", src, probs), "current", None
    else:
        allowed: tuple[str, ...] = ("recipient_gid", "update_properties")
        if kind != "update_object":
            allowed = ("recipient_mode", *allowed)
        check_keys(s, allowed, src, probs, f"{kind} settings")
        properties = _json_text(s, "update_properties", src, probs)
        mode = get_enum(s, "recipient_mode", ("current", "reference"), src, probs, "current")
        if kind == "update_object":
            mode = "reference"
        gid = get_str(s, "recipient_gid", src, probs, required=mode == "reference")
    return UpdateStep(
        ref=base.ref,
        type=kind,
        properties=properties,
        recipient_mode=cast(Literal["current", "reference"], mode),
        recipient_gid=gid,
        conditions=base.conditions,
        name=base.name,
        description=base.description,
        source=base.source,
    )


WAIT_EVENT_TYPES = ("message", "workflow", "integration_source", "recipient", "audience")
_MAX_WAIT = 30 * 24 * 60  # minutes: Knock's 30-day limit


def _check_audience_event(event: Mapping[str, Any], src: Source, probs: Problems) -> None:
    """Knock's `WorkflowWaitForEventAudienceEvent`: an `enter` or `exit` of one audience."""
    if event.get("event_key") not in (None, "", "enter", "exit"):
        probs.add(
            src.at("event.event_key"),
            f"audience events are `enter` or `exit`, not {event.get('event_key')!r}",
            'set "event_key": "enter" (joined the audience) or "exit" (left it)',
        )
    key = event.get("audience_key")
    if not isinstance(key, str) or not key:
        probs.add(
            src.at("event.audience_key"),
            "audience events need `audience_key`",
            'name the static audience, e.g. "audience_key": "vip-users"',
        )


def parse_wait_for_event(
    raw: Mapping[str, Any], base: StepBase, probs: Problems
) -> WaitForEventStep:
    src, s = _settings(
        raw,
        base,
        probs,
        ("event", "match_conditions", "expires_after", "on_match", "on_timeout"),
        "wait_for_event settings",
    )
    event = as_map(s.get("event"), src.at("event"), probs, "`event`") or {}
    kind = event.get("event_type")
    if kind not in WAIT_EVENT_TYPES:
        probs.add(
            src.at("event.event_type"),
            f"event_type {kind!r} is not a known event type",
            f"use one of {', '.join(WAIT_EVENT_TYPES)}",
        )
    if kind == "audience":
        _check_audience_event(event, src, probs)
    if not isinstance(event.get("event_key"), str) or not event.get("event_key"):
        probs.add(
            src.at("event.event_key"),
            "`event_key` is required",
            'name the event, e.g. "interacted" for a message event',
        )
    groups = []
    for i, item in enumerate(get_list(s, "match_conditions", src, probs)):
        at = src.at("match_conditions").at(f"[{i}]")
        entry = as_map(item, at, probs, "a match condition group") or {}
        try:
            group = parse_conditions(entry.get("conditions") or [], at.at("conditions"))
        except DefinitionError as err:
            probs.absorb(err)
            continue
        if group is not None:
            groups.append(group)
    if kind in ("message", "workflow") and not groups:
        probs.add(
            src.at("match_conditions"),
            f"{kind} events need `match_conditions`",
            'add e.g. [{"operator": "and", "conditions": [{"variable": '
            '"event.recipient", "operator": "equal_to", "argument": "recipient.id"}]}]',
        )
    expires = _duration(s, "expires_after", src, probs) or Duration("minutes", 15)
    if _minutes(expires) > _MAX_WAIT:
        probs.add(
            src.at("expires_after"), "waits expire after at most 30 days", "shorten `expires_after`"
        )
    return WaitForEventStep(
        ref=base.ref,
        event={str(k): str(v) for k, v in event.items() if v is not None},
        match_conditions=tuple(groups),
        expires_after=expires,
        on_match=cast(
            Literal["continue", "halt"],
            get_enum(s, "on_match", ("continue", "halt"), src, probs, "continue"),
        ),
        on_timeout=cast(
            Literal["continue", "halt"],
            get_enum(s, "on_timeout", ("continue", "halt"), src, probs, "halt"),
        ),
        conditions=base.conditions,
        name=base.name,
        description=base.description,
        source=base.source,
    )


def _minutes(duration: Duration) -> float:
    per = {
        "seconds": 1 / 60,
        "minutes": 1,
        "hours": 60,
        "days": 1440,
        "weeks": 10080,
        "months": 43200,
    }
    return duration.value * per[duration.unit]


def parse_ai_agent(raw: Mapping[str, Any], base: StepBase, probs: Problems) -> AiAgentStep:
    src, s = _settings(
        raw,
        base,
        probs,
        (
            "model",
            "request_prompt",
            "response_type",
            "response_schema",
            "web_search_enabled",
            "halt_on_error",
        ),
        "ai_agent settings",
    )
    kind = get_enum(s, "response_type", ("text", "json"), src, probs, "text")
    schema_text = s.get("response_schema")
    schema: Mapping[str, Any] | None = None
    if kind == "json":
        try:
            loaded = json.loads(schema_text) if isinstance(schema_text, str) else schema_text
        except json.JSONDecodeError as exc:
            loaded = None
            probs.add(
                src.at("response_schema"),
                f"`response_schema` is not JSON ({exc})",
                "give a JSON schema string",
            )
        if not isinstance(loaded, Mapping):
            if schema_text is None or loaded is not None:
                probs.add(
                    src.at("response_schema"),
                    "`response_type: json` needs a JSON schema in `response_schema`",
                    'add e.g. \'{"type": "object", "properties": {...}}\'',
                )
        else:
            schema = loaded
    elif schema_text is not None:
        probs.add(
            src.at("response_schema"),
            "`response_schema` is only for `response_type: json`",
            "remove it, or set response_type: json",
        )
    return AiAgentStep(
        ref=base.ref,
        model=get_str(s, "model", src, probs, required=True) or "",
        request_prompt=get_str(s, "request_prompt", src, probs, required=True) or "",
        response_type=cast(Literal["text", "json"], kind),
        response_schema=schema,
        web_search_enabled=bool(s.get("web_search_enabled") or False),
        halt_on_error=s.get("halt_on_error") is not False,
        conditions=base.conditions,
        name=base.name,
        description=base.description,
        source=base.source,
    )
