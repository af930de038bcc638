"""Channel steps in Knock's order: conditions (done by the engine) -> channel data -> preferences ->
send window -> render -> Message (queued) -> delivery. The run never waits for delivery."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from emulator.definitions import ChannelStep
from emulator.engine._conditions import ConditionScope
from emulator.engine._preferences import evaluate_preferences
from emulator.engine._state import RunState, ref_ids
from emulator.engine.steps._sendwindow import next_send_time
from emulator.stores import USERS, Message, StepRecord, message_event
from emulator.templates import RenderedContent

if TYPE_CHECKING:
    from emulator.engine._engine import Engine

NEXT, END = "next", "end"


def run_channel(engine: Engine, rs: RunState, step: ChannelStep, record: StepRecord) -> str:
    batch = rs.batch
    if batch is not None and batch.total_activities == 0:
        return engine.skip(rs, record, "the batch closed with no activities (all cancelled)")
    if rs.recipient_deleted:  # deleted or merged away while paused: Knock stops before sending
        record.outcome, record.ended_at = "cancelled", engine.clock.now
        engine.finish(rs, "terminated", f"recipient {rs.recipient_ref[1]!r} was deleted")
        return END
    recipient = engine.recipient_scope(rs)
    missing = _missing_channel_data(step, recipient)
    if missing:
        return engine.skip(rs, record, missing)
    preferences = engine.run_preferences(rs)
    if not rs.workflow.settings.override_preferences:
        blocked = _preference_block(engine, rs, step, record, preferences)
        if blocked:
            return engine.skip(rs, record, f"preferences: {blocked}")
    channel = engine.channels.resolve(step.channel_key, step.channel_type)
    now = engine.clock.now
    message_id = engine.ids.ksuid()  # known before rendering: templates read current_message
    stamp = now.isoformat()
    current = {"id": message_id, "inserted_at": stamp, "updated_at": stamp}
    context = engine.template_context(rs, current, (recipient, preferences))
    rendered = engine.templates.render_channel(
        step.channel_type,
        step.template,
        step.channel_overrides,
        context,
        workflow=rs.workflow.key,
        step=step.ref,
    )
    message = _message(rs, step, channel.key, message_id, rendered, now)
    message.events = (message_event("message.created", now), message_event("message.queued", now))
    message.listener = engine.message_listener
    engine.messages_store.add(message)
    ref_ids(rs, step.ref).append(message.id)
    record.message_ids += (message.id,)
    if rendered.diagnostics:
        record.detail["diagnostics"] = list(rendered.diagnostics)
    sandbox = bool(rs.settings.get("sandbox_mode")) or channel.sandbox_mode
    scheduled = next_send_time(step.send_windows, now, recipient.get("timezone"))
    if scheduled is not None and scheduled > now and not sandbox:
        message.scheduled_at = scheduled
        engine.clock.call_at(
            scheduled,
            lambda: engine.delivery.deliver(message, channel, rs),
            label=f"{rs.workflow.key}/{step.ref} send window",
        )
    else:
        engine.delivery.deliver(message, channel, rs, sandbox=sandbox)
    if engine.observers:
        engine.observers.step_outcome(rs.workflow, step.ref, "delivered")
    return NEXT


def _message(
    rs: RunState,
    step: ChannelStep,
    channel_key: str,
    message_id: str,
    rendered: RenderedContent,
    now: datetime,
) -> Message:
    """The queued message of a channel step, as rendered for this run."""
    batch = rs.batch
    return Message(
        id=message_id,
        channel_type=step.channel_type,
        channel_key=channel_key,
        recipient=_reference(rs.recipient_ref),
        workflow=rs.workflow.key,
        step_ref=step.ref,
        run_id=rs.record.id,
        workflow_run_id=rs.record.workflow_run_id,
        content=dict(rendered.fields),
        inserted_at=now,
        updated_at=now,
        actors=_actors(rs, batch),
        tenant=rs.tenant_id,
        categories=rs.workflow.categories,
        data=dict(rs.data),
        diagnostics=rendered.diagnostics,
        batch=None
        if batch is None
        else {
            "key": batch.key,
            "total_activities": batch.total_activities,
            "run_ids": list(batch.run_ids),
        },
    )


def _missing_channel_data(step: ChannelStep, recipient: dict[str, Any]) -> str | None:
    kind = step.channel_type
    overrides = step.channel_overrides
    if kind == "email" and not (recipient.get("email") or overrides.get("to_address")):
        return "the recipient has no email (identify them with an email, or set to_address)"
    if kind == "sms":
        settings = step.template.get("settings") or {}
        if not (recipient.get("phone_number") or settings.get("to_number")):
            return "the recipient has no phone_number"
    if kind in ("push", "chat"):
        channel_data = recipient.get("channel_data") or {}
        entry = channel_data.get(step.channel_key or "") if step.channel_key else None
        if entry is None and channel_data and not step.channel_key:
            entry = next(iter(channel_data.values()))
        if not entry or (kind == "push" and not entry.get("tokens")):
            what = "push tokens" if kind == "push" else "chat connection"
            return f"the recipient has no {what} in channel_data for channel {step.channel_key!r}"
    return None


def _preference_block(
    engine: Engine,
    rs: RunState,
    step: ChannelStep,
    record: StepRecord,
    merged: dict[str, Any] | None,
) -> str | None:
    if merged is None:
        return None  # nothing set anywhere: everything defaults to true
    decision = evaluate_preferences(
        merged,
        workflow_key=rs.workflow.key,
        categories=rs.workflow.categories,
        channel_type=step.channel_type,
        channel_id=step.channel_key,
        is_commercial=rs.workflow.settings.is_commercial,
        scope=_first_activity_scope(engine, rs),
    )
    record.detail["preferences"] = {
        "allowed": decision.allowed,
        "rule": decision.rule,
        "explanation": list(decision.explanation),
    }
    if engine.observers and decision.conditions_passed is not None:
        group_passed = decision.conditions_passed
        engine.observers.condition_evaluated(rs.workflow, step.ref, "preferences", group_passed)
    return None if decision.allowed else (decision.rule or "opted out")


def _first_activity_scope(engine: Engine, rs: RunState) -> ConditionScope:
    """After a batch Knock evaluates preference conditions against the first activity."""
    scope = engine.condition_scope(rs)
    if rs.batch is None or rs.batch.first is None:
        return scope
    return ConditionScope({**scope.namespaces, "data": rs.batch.first.data}, scope.refs, scope.now)


def _reference(ref: tuple[str, str]) -> str | dict[str, str]:
    collection, entity_id = ref
    return entity_id if collection == USERS else {"id": entity_id, "collection": collection}


def _actors(rs: RunState, batch: Any) -> list[str | dict[str, str]]:
    if batch is not None and batch.actors:
        return [
            a["id"]
            if a.get("__typename") == "User"
            else {"id": a["id"], "collection": a.get("collection", "")}
            for a in batch.actors
        ]
    return [] if rs.actor_ref is None else [_reference(rs.actor_ref)]
