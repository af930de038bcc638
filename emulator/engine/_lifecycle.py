"""Whole-state operations behind the `Emulator` facade: reset, deleting and merging recipients,
and cancelling runs. Each function expects the caller to hold the engine's lock."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from emulator.core import deep_merge
from emulator.engine._engine import Engine
from emulator.engine._state import OpenBatch, RunState
from emulator.engine.steps import cancel_member
from emulator.stores import USERS, Ref, Run, facts, readdressed

MERGE_HISTORY = timedelta(days=30)  # what a user merge moves to the primary, as Knock documents
_STAMPS = ("id", "created_at", "updated_at", "channel_data")


def reset_state(engine: Engine) -> None:
    """Forget every run, message, recipient and record; keep definitions and the clock.

    Every parked timer goes too: each belongs to state being forgotten (a delay, a batch window,
    a wait, a schedule, a delivery retry), and one left behind would act on nothing later.
    """
    engine.runs.clear()
    engine.compact_runs.clear()
    engine.live.clear()
    engine.batches.clear()
    engine.throttles.clear()
    engine.once_per_recipient.clear()
    engine.waits.clear()
    engine.messages_store.clear()
    engine.entities.clear()
    engine.audiences.clear()
    engine.guide_engagements.clear()
    engine.schedules_store.clear()
    engine.idempotency.clear()
    engine.bulk_operations.clear()
    for timer in engine.clock.timers():
        timer.cancel()


def reference(ref: Ref) -> str | dict[str, str]:
    """How messages and runs name a recipient: a user id, or `{id, collection}`."""
    return ref[1] if ref[0] == USERS else {"id": ref[1], "collection": ref[0]}


def forget(engine: Engine, ref: Ref) -> bool:
    """Hard-delete a user or object and everything about it (see `Emulator.delete_user`)."""
    collection, entity_id = ref
    entities = engine.entities
    existed = entities.get(collection, entity_id) is not None
    for sub in entities.subscriptions_for(ref):
        entities.unsubscribe(sub.collection, sub.object_id, ref)
    for sub in entities.subscriptions(collection, entity_id):
        entities.unsubscribe(collection, entity_id, sub.recipient)
    for schedule in [s for s in engine.schedules_store.by_id.values() if s.recipient == ref]:
        engine.schedules_store.remove(schedule.id)
    if collection == USERS:
        for key in list(engine.audiences):
            engine.audiences.remove_user(key, entity_id)
        engine.guide_engagements.remove_user(entity_id)
    addressed = reference(ref)
    for message in [m for m in engine.messages_store if m.recipient == addressed]:
        engine.messages_store.remove(message.id)
    for run_id, run in list(engine.runs.items()):
        rs = engine.live.get(run_id)
        known = facts(run)
        if (known.recipient if rs is None else reference(rs.recipient_ref)) != addressed:
            continue
        if known.finished:
            del engine.runs[run_id]
            engine.live.pop(run_id, None)
            if isinstance(run, tuple):
                engine.compact_runs.release(run)
        elif rs is not None:
            rs.recipient_deleted = True
    # A re-used id starts afresh (Knock's deletion docs): once-per-recipient too.
    engine.once_per_recipient = {o for o in engine.once_per_recipient if o[1:3] != ref}
    entities.delete(collection, entity_id)
    return existed


def merge_users(engine: Engine, primary_id: str, secondary_id: str) -> dict[str, Any]:
    """Knock's user merge: `secondary_id`'s properties, preference sets, channel data and
    recent history move to `primary_id` (the primary wins conflicts); then the secondary is
    deleted. Both users must exist."""
    entities = engine.entities
    primary = entities.get(USERS, primary_id) or {}
    secondary = entities.get(USERS, secondary_id) or {}
    props = deep_merge(
        {k: v for k, v in secondary.items() if k not in _STAMPS},
        {k: v for k, v in primary.items() if k not in _STAMPS},
    )
    channels = {
        **dict(secondary.get("channel_data") or {}),
        **dict(primary.get("channel_data") or {}),
    }
    have = entities.preference_sets(USERS, primary_id)
    for set_id, pref_set in entities.preference_sets(USERS, secondary_id).items():
        if set_id not in have:
            entities.set_preference_set(USERS, primary_id, set_id, pref_set)
    _move_history(engine, secondary_id, primary_id)
    forget(engine, (USERS, secondary_id))
    merged = entities.upsert(USERS, primary_id, props, engine.clock.now)
    if channels:
        merged["channel_data"] = channels
    return merged


def _moved(actor: Any, secondary: str, primary: str) -> Any:
    return primary if actor == secondary else actor


def _move_history(engine: Engine, secondary: str, primary: str) -> None:
    """The last 30 days of messages and finished runs move; runs in flight stay (Knock's docs)."""
    since = engine.clock.now - MERGE_HISTORY
    recent = [m for m in engine.messages_store if m.inserted_at >= since]
    engine.messages_store.readdress([m for m in recent if m.recipient == secondary], primary)
    for message in recent:
        message.actors = [_moved(a, secondary, primary) for a in message.actors]
    for run_id, run in list(engine.runs.items()):
        known = facts(run)
        if known.finished and known.inserted_at >= since:
            recipient = _moved(known.recipient, secondary, primary)
            actor = _moved(known.actor, secondary, primary)
            if isinstance(run, tuple):
                engine.runs[run_id] = readdressed(run, recipient, actor)
                continue
            run.recipient, run.actor = recipient, actor
            state = engine.live.get(run.id)  # merged into a batch still open
            if state is not None and state.recipient_ref == (USERS, secondary):
                state.recipient_ref = (USERS, primary)  # so deleting the secondary keeps it


def cancel_runs(
    engine: Engine, key: str, cancellation_key: str, only: set[Ref] | None
) -> list[Run]:
    """Cancel the parked runs (and open batch memberships) of workflow `key` with
    `cancellation_key`, of the recipients in `only` (None: all)."""
    cancelled = []
    for rs in list(engine.live.values()):  # a cancelled run leaves `live`
        record = rs.record
        if (
            record.workflow != key
            or record.cancellation_key != cancellation_key
            or (only is not None and rs.recipient_ref not in only)
        ):
            continue
        if _cancel_run(engine, rs):
            cancelled.append(record)
    return cancelled


def _cancel_run(engine: Engine, rs: RunState) -> bool:
    slot: OpenBatch | None = rs.batch_slot
    if slot is not None and engine.batches.get(slot.identity) is slot:
        if not cancel_member(slot, rs):
            return False
        rs.batch_slot = None
    elif rs.record.status != "waiting":
        return False  # only paused runs can be stopped; finished ones are history
    if rs.waiting is not None:
        rs.waiting.outcome, rs.waiting.ended_at = "cancelled", engine.clock.now
    engine.finish(rs, "cancelled", "cancelled by cancellation key")
    return True
