"""Batch steps, as Knock's batch function documents them.

A batch is per recipient (plus the rendered `batch_key`, plus the step in `latest` mode). The first
run to reach the step opens it and parks; later runs join as activities and end as
`merged_into_batch`.
The window closes when it elapses (fixed, or sliding up to the extension cap) or when
`batch_items_max_limit` activities arrived; then one run goes on with the batch variables in scope.

From then on the run's `data` is the activities' trigger data combined and truncated as the batch
function documents it ("The `data` payload"; see `combined_data`). Knock's own `alert-digest`
template (knocklabs/templates) reads `data.digest.period` after a batch, which that rule removes:
we follow the docs, which state the rule precisely and repeat it for the messages API and
`trigger_data` filters, over a library example; such reads render empty, as `activities` remain
the way to reach a trigger's nested data (`activity.data.digest.period`).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from emulator.definitions import BatchStep, InvalidWindowError, add_duration
from emulator.engine._keys import render_key
from emulator.engine._state import Member, OpenBatch, RunState
from emulator.engine.steps._timing import window_end
from emulator.stores import Activity, BatchInfo, StepRecord

if TYPE_CHECKING:
    from emulator.engine._engine import Engine

# OpenBatch lives in engine/_state (below the engine); importable from here too.
__all__ = ["OpenBatch", "cancel_member", "close_batch", "run_batch"]

NEXT, PAUSE, END = "next", "pause", "end"


def run_batch(engine: Engine, rs: RunState, step: BatchStep, record: StepRecord) -> str:
    try:
        key = render_key(engine, rs, step.batch_key, step.ref, "batch_key")
    except ValueError as exc:
        record.detail["batch_key_problem"] = str(exc)
        key = ""
    version = step.ref if step.workflow_version_mode == "latest" else "pinned"
    identity = (rs.workflow.key, version, *rs.recipient_ref, key)
    record.detail["batch_key"] = key
    batch = engine.batches.get(identity)
    member = Member(rs, record, _activity(engine, rs, batch))
    if batch is None:
        return _open(engine, rs, step, record, identity, key, member)
    return _join(engine, batch, member)


def _open(
    engine: Engine,
    rs: RunState,
    step: BatchStep,
    record: StepRecord,
    identity: tuple[str, ...],
    key: str,
    member: Member,
) -> str:
    try:
        closes_at = window_end(engine, rs, step.batch_window, step.batch_until_field_path)
    except InvalidWindowError as exc:
        return engine.skip(rs, record, f"invalid batch window: {exc}")
    now = engine.clock.now
    batch = OpenBatch(identity, key, step, now, closes_at)
    engine.batches[identity] = batch
    batch.timer = engine.clock.call_at(
        closes_at,
        lambda: close_batch(engine, batch),
        label=f"{rs.workflow.key}/{step.ref} batch window",
    )
    record.detail.update(opened_at=now, closes_at=closes_at)
    if engine.observers:
        engine.observers.step_outcome(rs.workflow, step.ref, "opened")
    if step.batch_execution_mode == "flush_leading":
        batch.leading = member
        record.batch = _info(batch, [member], closed_at=now)
        rs.batch = record.batch
        return NEXT
    batch.members.append(member)
    batch.continuing = member
    rs.batch_slot = batch
    return engine.park(rs, record)


def _join(engine: Engine, batch: OpenBatch, member: Member) -> str:
    step, now, rs, record = batch.step, engine.clock.now, member.run, member.record
    batch.members.append(member)
    record.detail.update(opened_at=batch.opened_at, closes_at=batch.closes_at)
    rs.batch_slot = batch
    if engine.observers:
        engine.observers.step_outcome(rs.workflow, step.ref, "merged")
    if batch.continuing is None:  # flush_leading: the second item carries the batch on
        batch.continuing = member
        outcome = engine.park(rs, record)
    else:
        record.outcome, record.ended_at = "merged", now
        engine.finish(
            rs,
            "merged_into_batch",
            f"joined the batch opened by run {batch.continuing.run.record.id}",
        )
        outcome = END
    close_now = False
    if step.batch_window_type == "sliding" and step.batch_window is not None:
        cap = (
            add_duration(batch.opened_at, step.batch_window_extension_limit)
            if step.batch_window_extension_limit
            else None
        )
        new_close = add_duration(now, step.batch_window)
        if cap is not None:
            close_now = cap <= now
            new_close = min(new_close, cap)
        if not close_now:
            _reschedule(engine, batch, new_close)
    active = sum(1 for m in batch.members if not m.cancelled)
    if step.batch_items_max_limit is not None and active >= step.batch_items_max_limit:
        close_now = True
    if close_now:
        if batch.timer is not None:
            batch.timer.cancel()
        batch.closes_at = now
        close_batch(engine, batch)
    return outcome


def _reschedule(engine: Engine, batch: OpenBatch, when: datetime) -> None:
    if when == batch.closes_at and batch.timer is not None and batch.timer.pending:
        return
    if batch.timer is not None:
        batch.timer.cancel()
    batch.closes_at = when
    batch.timer = engine.clock.call_at(
        when,
        lambda: close_batch(engine, batch),
        label=f"{batch.identity[0]}/{batch.step.ref} batch window",
    )


def close_batch(engine: Engine, batch: OpenBatch) -> None:
    """Close the window: the continuing run goes on with the batch; merged runs get the record."""
    if engine.batches.get(batch.identity) is batch:
        del engine.batches[batch.identity]
    now = engine.clock.now
    opener = batch.leading or (batch.members[0] if batch.members else None)
    if engine.observers and opener is not None:
        engine.observers.step_outcome(opener.run.workflow, batch.step.ref, "closed")
    active = [m for m in batch.members if not m.cancelled]
    info = _info(batch, active, closed_at=now)
    for m in batch.members:
        m.record.batch = info
        m.run.batch_slot = None
    carrier = batch.continuing if batch.continuing and not batch.continuing.cancelled else None
    if carrier is None and active:
        carrier = active[0]  # the opener was cancelled: the earliest remaining run goes on
    for m in batch.members:
        if m is not carrier and m.run.record.finished:  # merged: nothing of it acts any more
            engine.retire(m.run)
    if carrier is None:
        if batch.leading is None and batch.members:
            batch.members[0].record.detail["closed_empty"] = True
        return
    carrier.record.outcome, carrier.record.ended_at = "executed", now
    carrier.run.batch = info
    carrier.run.data = dict(info.merged_data)
    carrier.run.waiting = None
    engine.resume(carrier.run)


def cancel_member(batch: OpenBatch, rs: RunState) -> bool:
    """Remove a run's activity from an open batch; the window stays open."""
    for m in batch.members:
        if m.run is rs and not m.cancelled:
            m.cancelled = True
            m.record.outcome = "cancelled"
            return True
    return False


def _activity(engine: Engine, rs: RunState, batch: OpenBatch | None) -> Activity:
    recipient, actor = engine.recipient_scope(rs), engine.actor_scope(rs)
    if batch is not None:  # share equal snapshots: big batches then keep one copy per actor
        recipient = next(
            (m.activity.recipient for m in batch.members[:1] if m.activity.recipient == recipient),
            recipient,
        )
        if actor is not None:
            actor = batch.actors.setdefault(str(actor.get("id")), actor)
    # Run data is replaced, never mutated in place, so the activity can hold it as it is.
    return Activity(
        id=engine.ids.ksuid(),
        run_id=rs.record.id,
        inserted_at=engine.clock.now,
        actor=actor,
        recipient=recipient,
        data=rs.data,
    )


MAX_BATCH_STRING = 256


def combined_data(activities: list[Activity]) -> dict[str, Any]:
    """Knock's `data` after a batch: the rendered activities' data merged in arrival order (a
    later trigger's value wins), nested objects and arrays removed, strings cut to 256 characters.

    Only the activities the batch renders (the first or last `batch_items_render_limit`) count:
    Knock combines "the workflow trigger call data for the first (or last) 10 activities".
    """
    merged: dict[str, Any] = {}
    for activity in activities:  # arrival order
        for key, value in activity.data.items():
            if isinstance(value, str):
                merged[key] = value[:MAX_BATCH_STRING]
            elif value is None or isinstance(value, bool | int | float):
                merged[key] = value
            else:
                merged.pop(key, None)  # an object or array: removed, even over an older scalar
    return merged


def _info(batch: OpenBatch, members: list[Member], *, closed_at: datetime) -> BatchInfo:
    step = batch.step
    limit = step.batch_items_render_limit
    activities = [m.activity for m in members]
    every = tuple(activities)  # shared with `activities` when all are rendered (the usual case)
    shown = activities[:limit] if step.batch_order == "asc" else activities[-limit:]
    actors: dict[str, dict[str, Any]] = {}
    for activity in activities:
        if activity.actor is not None:
            actors.setdefault(str(activity.actor.get("id")), activity.actor)
    unique = list(actors.values())
    shown_actors = unique[:limit] if step.batch_order == "asc" else unique[-limit:]
    return BatchInfo(
        key=batch.key,
        opened_at=batch.opened_at,
        closes_at=batch.closes_at,
        closed_at=closed_at,
        total_activities=len(activities),
        total_actors=len(unique),
        activities=every if len(shown) == len(every) else tuple(shown),
        actors=tuple(shown_actors),
        run_ids=tuple(a.run_id for a in activities),
        merged_data=combined_data(shown),
        first=activities[0] if activities else None,
        all_activities=every,
    )
