"""Timing steps (delay, batch, throttle, wait_for_event): raw -> model.

Each of them holds a run back for a while; they keep their configuration under `settings`, as in
Knock's workflow.json. Each parser records every problem it finds and still returns a step, so
later checks (duplicate refs, unknown workflow keys) see the whole workflow.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, cast

from emulator.core import DefinitionError
from emulator.definitions._common import StepBase, read_duration, read_settings
from emulator.definitions._conditions import parse_conditions
from emulator.definitions._fields import Problems, as_map, get_enum, get_int, get_list, get_str
from emulator.definitions._model import (
    BatchStep,
    ConditionGroup,
    DelayStep,
    Duration,
    Source,
    ThrottleStep,
    WaitForEventStep,
)


@dataclass(frozen=True, slots=True)
class _Length:
    """How long a timing step lasts: a duration, or a data path to a time (one is required)."""

    duration_key: str
    field_path_key: str
    what: str
    fix: str

    def read(
        self, settings: Mapping[str, Any], src: Source, probs: Problems
    ) -> tuple[Duration | None, str | None]:
        """The duration and the field path; a problem when neither is set."""
        duration = read_duration(settings, self.duration_key, src, probs)
        field_path = get_str(settings, self.field_path_key, src, probs)
        if settings.get(self.duration_key) is None and field_path is None:
            probs.add(
                src, f"{self.what} needs `{self.duration_key}` or `{self.field_path_key}`", self.fix
            )
        return duration, field_path


_DELAY_LENGTH = _Length(
    "delay_for",
    "delay_until_field_path",
    "a delay",
    'add `delay_for: {"unit": "minutes", "value": 10}` (or `10m` in YAML), or '
    "`delay_until_field_path: data.send_at`",
)
_BATCH_LENGTH = _Length(
    "batch_window",
    "batch_until_field_path",
    "a batch",
    'add `batch_window: {"unit": "minutes", "value": 5}` (or `5m` in YAML), or '
    "`batch_until_field_path: data.batch_until`",
)
_THROTTLE_LENGTH = _Length(
    "throttle_window",
    "throttle_window_field_path",
    "a throttle",
    'add `throttle_window: {"unit": "hours", "value": 24}` (or `24h` in YAML)',
)


def parse_delay(raw: Mapping[str, Any], base: StepBase, probs: Problems) -> DelayStep:
    """A delay: `delay_for` a duration, or until the time at `delay_until_field_path`."""
    keys = ("delay_for", "delay_until_field_path")
    src, s = read_settings(raw, base, probs, keys, "delay settings")
    delay_for, until = _DELAY_LENGTH.read(s, src, probs)
    return DelayStep(**base.common(), delay_for=delay_for, delay_until_field_path=until)


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
_EXECUTION_MODES = ("accumulate", "flush_leading")


def parse_batch(raw: Mapping[str, Any], base: StepBase, probs: Problems) -> BatchStep:
    """A batch: a window (fixed, or sliding up to an extension limit) and how items are kept."""
    src, s = read_settings(raw, base, probs, _BATCH_KEYS, "batch settings")
    window, until = _BATCH_LENGTH.read(s, src, probs)
    window_type = get_enum(s, "batch_window_type", ("fixed", "sliding"), src, probs, "fixed")
    extension = read_duration(s, "batch_window_extension_limit", src, probs)
    if window_type == "sliding" and s.get("batch_window_extension_limit") is None:
        probs.add(
            src.at("batch_window_type"),
            "a sliding batch window needs `batch_window_extension_limit`",
            'add `batch_window_extension_limit: {"unit": "hours", "value": 1}` (the longest '
            "the window may grow from its opening), or use `batch_window_type: fixed`",
        )
    max_limit = get_int(s, "batch_items_max_limit", src, probs, low=2, high=1000)
    render_limit = get_int(s, "batch_items_render_limit", src, probs, low=1, high=100)
    key = get_str(s, "batch_key", src, probs)
    order = get_enum(s, "batch_order", ("asc", "desc"), src, probs, "asc")
    mode = get_enum(s, "batch_execution_mode", _EXECUTION_MODES, src, probs, "accumulate")
    version = get_enum(s, "workflow_version_mode", ("latest", "pinned"), src, probs, "latest")
    return BatchStep(
        **base.common(),
        batch_window=window,
        batch_until_field_path=until,
        batch_key=key,
        batch_window_type=cast(Literal["fixed", "sliding"], window_type),
        batch_window_extension_limit=extension,
        batch_order=cast(Literal["asc", "desc"], order),
        batch_items_max_limit=max_limit,
        batch_items_render_limit=10 if render_limit is None else render_limit,
        batch_execution_mode=cast(Literal["accumulate", "flush_leading"], mode),
        workflow_version_mode=cast(Literal["latest", "pinned"], version),
    )


_THROTTLE_KEYS = ("throttle_window", "throttle_window_field_path", "throttle_limit", "throttle_key")


def parse_throttle(raw: Mapping[str, Any], base: StepBase, probs: Problems) -> ThrottleStep:
    """A throttle: at most `throttle_limit` runs per key within the window."""
    src, s = read_settings(raw, base, probs, _THROTTLE_KEYS, "throttle settings")
    window, field_path = _THROTTLE_LENGTH.read(s, src, probs)
    limit = get_int(s, "throttle_limit", src, probs, low=1, high=1_000_000)
    return ThrottleStep(
        **base.common(),
        throttle_window=window,
        throttle_window_field_path=field_path,
        throttle_limit=1 if limit is None else limit,
        throttle_key=get_str(s, "throttle_key", src, probs),
    )


WAIT_EVENT_TYPES = ("message", "workflow", "integration_source", "recipient", "audience")
_WAIT_KEYS = ("event", "match_conditions", "expires_after", "on_match", "on_timeout")
_MAX_WAIT = 30 * 24 * 60  # minutes: Knock's 30-day limit
_MINUTES_PER_UNIT = {
    "seconds": 1 / 60,
    "minutes": 1,
    "hours": 60,
    "days": 1440,
    "weeks": 10080,
    "months": 43200,
}


def parse_wait_for_event(
    raw: Mapping[str, Any], base: StepBase, probs: Problems
) -> WaitForEventStep:
    """Wait for an event matching `match_conditions`, for at most `expires_after` (30 days)."""
    src, s = read_settings(raw, base, probs, _WAIT_KEYS, "wait_for_event settings")
    event = as_map(s.get("event"), src.at("event"), probs, "`event`") or {}
    kind = event.get("event_type")
    _check_event(event, src, probs)
    groups = _match_conditions(s, src, probs)
    if kind in ("message", "workflow") and not groups:
        probs.add(
            src.at("match_conditions"),
            f"{kind} events need `match_conditions`",
            'add e.g. [{"operator": "and", "conditions": [{"variable": '
            '"event.recipient", "operator": "equal_to", "argument": "recipient.id"}]}]',
        )
    expires = read_duration(s, "expires_after", src, probs) or Duration("minutes", 15)
    if expires.value * _MINUTES_PER_UNIT[expires.unit] > _MAX_WAIT:
        probs.add(
            src.at("expires_after"), "waits expire after at most 30 days", "shorten `expires_after`"
        )
    on_match = get_enum(s, "on_match", ("continue", "halt"), src, probs, "continue")
    on_timeout = get_enum(s, "on_timeout", ("continue", "halt"), src, probs, "halt")
    return WaitForEventStep(
        **base.common(),
        event={str(k): str(v) for k, v in event.items() if v is not None},
        match_conditions=tuple(groups),
        expires_after=expires,
        on_match=cast(Literal["continue", "halt"], on_match),
        on_timeout=cast(Literal["continue", "halt"], on_timeout),
    )


def _check_event(event: Mapping[str, Any], src: Source, probs: Problems) -> None:
    """A known `event_type` and an `event_key`; audience events also name their audience."""
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


def _match_conditions(
    settings: Mapping[str, Any], src: Source, probs: Problems
) -> list[ConditionGroup]:
    """The `match_conditions` groups (any one matching is enough) that parsed cleanly."""
    groups = []
    for i, item in enumerate(get_list(settings, "match_conditions", src, probs)):
        at = src.at("match_conditions").at(f"[{i}]")
        entry = as_map(item, at, probs, "a match condition group") or {}
        try:
            group = parse_conditions(entry.get("conditions") or [], at.at("conditions"))
        except DefinitionError as err:
            probs.absorb(err)
            continue
        if group is not None:
            groups.append(group)
    return groups
