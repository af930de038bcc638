"""Delay and throttle: the steps that read windows (fixed durations or dynamic values)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from urllib.parse import quote

from emulator.definitions import (
    DelayStep,
    Duration,
    InvalidWindowError,
    ThrottleStep,
    add_duration,
    lookup,
    resolve_window,
)
from emulator.engine._keys import field_scope, render_key
from emulator.engine._state import RunState
from emulator.stores import StepRecord

if TYPE_CHECKING:
    from emulator.engine._engine import Engine

NEXT, END = "next", "end"
MAX_DELAY = timedelta(days=365)


def window_end(
    engine: Engine,
    rs: RunState,
    fixed: Duration | None,
    field_path: str | None,
    *,
    offset_from_field: bool = False,
) -> datetime:
    """When a window ends; raises InvalidWindowError with the reason Knock would log."""
    now = engine.clock.now
    if field_path is None:
        if fixed is None:
            raise InvalidWindowError("neither a fixed window nor a field path is set")
        return add_duration(now, fixed)
    scope = field_scope(engine, rs)
    value = lookup(scope, field_path)
    timezone = scope["recipient"].get("timezone")
    end = resolve_window(value, now, timezone if isinstance(timezone, str) else None)
    if offset_from_field and fixed is not None:
        end = add_duration(end, fixed)
    if end <= now:
        raise InvalidWindowError(
            f"{field_path} resolves to {end.isoformat()}, which is not in the future"
        )
    return end


def run_delay(engine: Engine, rs: RunState, step: DelayStep, record: StepRecord) -> str:
    if rs.settings.get("skip_delay"):
        return engine.skip(rs, record, "the trigger set settings.skip_delay")
    try:
        until = window_end(
            engine, rs, step.delay_for, step.delay_until_field_path, offset_from_field=True
        )
    except InvalidWindowError as exc:
        return engine.skip(rs, record, f"invalid delay: {exc}")
    if until - engine.clock.now > MAX_DELAY:
        return engine.skip(
            rs,
            record,
            f"invalid delay: {until.isoformat()} is more than 365 days away (Knock's maximum)",
        )
    record.detail["until"] = until

    def wake() -> None:
        rs.timer = None
        record.outcome, record.ended_at = "executed", engine.clock.now
        if engine.observers:
            engine.observers.step_outcome(rs.workflow, step.ref, "elapsed")
        engine.resume(rs)

    rs.timer = engine.clock.call_at(until, wake, label=f"{rs.workflow.key}/{step.ref} delay")
    return engine.park(rs, record)


@dataclass(slots=True)
class ThrottleWindow:
    """One throttle key's window: when it ends and how many runs it has let through."""

    ends_at: datetime
    passed: int


MAX_THROTTLE_KEY = 64


def throttle_key_problem(key: str) -> str | None:
    """Why a custom throttle key is invalid, or None. throttle-function.mdx: keys "must be
    shorter than 64 characters long after being JSON and URL encoded"; a key that is missing or
    resolves to an invalid value skips the throttle."""
    if not key:
        return "it renders empty"
    encoded = len(quote(json.dumps(key, ensure_ascii=False), safe=""))
    if encoded >= MAX_THROTTLE_KEY:
        return (
            f"{key[:20]!r}... is {encoded} characters after JSON and URL encoding; Knock "
            f"requires fewer than {MAX_THROTTLE_KEY}"
        )
    return None


def run_throttle(engine: Engine, rs: RunState, step: ThrottleStep, record: StepRecord) -> str:
    try:
        key = render_key(engine, rs, step.throttle_key, step.ref, "throttle_key")
    except ValueError as exc:
        return engine.skip(rs, record, f"invalid throttle key: {exc}")
    problem = throttle_key_problem(key) if step.throttle_key else None
    if problem is not None:
        return engine.skip(rs, record, f"invalid throttle key: {problem}")
    identity = (rs.workflow.key, step.ref, *rs.recipient_ref, key)
    now = engine.clock.now
    window = engine.throttles.get(identity)
    if window is None or now >= window.ends_at:
        try:
            ends = window_end(engine, rs, step.throttle_window, step.throttle_window_field_path)
        except InvalidWindowError as exc:
            return engine.skip(rs, record, f"invalid throttle window: {exc}")
        engine.throttles[identity] = ThrottleWindow(ends, 1)
        record.detail.update(window_ends_at=ends, passed=1, limit=step.throttle_limit)
        return _passed(engine, rs, step)
    if window.passed < step.throttle_limit:
        window.passed += 1
        record.detail.update(
            window_ends_at=window.ends_at, passed=window.passed, limit=step.throttle_limit
        )
        return _passed(engine, rs, step)
    record.outcome, record.ended_at = "throttled", now
    if engine.observers:
        engine.observers.step_outcome(rs.workflow, step.ref, "throttled")
    record.detail.update(
        window_ends_at=window.ends_at, passed=window.passed, limit=step.throttle_limit
    )
    engine.finish(
        rs,
        "throttled",
        f"throttle {step.ref!r}: limit {step.throttle_limit} reached "
        f"until {window.ends_at.isoformat()}",
    )
    return END


def _passed(engine: Engine, rs: RunState, step: ThrottleStep) -> str:
    if engine.observers:
        engine.observers.step_outcome(rs.workflow, step.ref, "passed")
    return NEXT
