"""Turning a create or update request for schedules into checked values (Knock's
`POST`/`PUT /v1/schedules`); the caller holds the clock lock and stores the result."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from emulator.core import TriggerError
from emulator.definitions import validate_repeats
from emulator.engine._dispatch import require_identified_actor
from emulator.engine._schedules import MAX_RECIPIENTS, parse_moment, schedule_data
from emulator.engine._targets import parse_entity, parse_tenant
from emulator.stores import Schedule

if TYPE_CHECKING:
    from emulator.engine._engine import Engine

FIELDS = frozenset({"repeats", "data", "actor", "tenant", "scheduled_at", "ending_at"})


def new_schedules(
    engine: Engine,
    workflow: str,
    recipients: Sequence[Any],
    *,
    repeats: Sequence[Mapping[str, Any]],
    data: Mapping[str, Any] | None,
    actor: Any,
    tenant: Any,
    scheduled_at: datetime | str | None,
    ending_at: datetime | str | None,
) -> list[Schedule]:
    """One unarmed schedule per unique recipient; every argument is checked first."""
    engine.workflow(workflow)
    rules = validate_repeats(repeats)
    start = parse_moment(scheduled_at, "scheduled_at")
    if not rules and start is None:
        raise TriggerError(
            "invalid_params",
            "pass `repeats` for a recurring schedule or `scheduled_at` for a one-off",
        )
    if not recipients or len(recipients) > MAX_RECIPIENTS:
        raise TriggerError(
            "invalid_params", f"recipients: pass 1 to {MAX_RECIPIENTS} recipients per call"
        )
    now = engine.clock.now
    refs = [
        parse_entity(r, f"recipients[{i}]", engine.entities, now) for i, r in enumerate(recipients)
    ]
    require_identified_actor(engine, actor)  # or every occurrence would be refused
    actor_ref = None if actor is None else parse_entity(actor, "actor", engine.entities, now)
    tenant_id = parse_tenant(tenant, engine.entities, now)
    ending = parse_moment(ending_at, "ending_at")
    return [
        Schedule(
            id=engine.ids.uuid4(),
            workflow=workflow,
            recipient=ref,
            repeats=rules,
            data=schedule_data(data),
            actor=actor_ref,
            tenant=tenant_id,
            scheduled_at=start,
            ending_at=ending,
            inserted_at=now,
            updated_at=now,
        )
        for ref in dict.fromkeys(refs)
    ]


def schedule_changes(engine: Engine, changes: Mapping[str, Any]) -> dict[str, Any]:
    """The checked attribute values an update sets (only the fields it names)."""
    unknown = set(changes) - FIELDS
    if unknown:
        raise TriggerError(
            "invalid_params",
            f"unknown schedule field(s) {sorted(unknown)}; use {sorted(FIELDS)}",
        )
    now = engine.clock.now
    update: dict[str, Any] = {}
    if "repeats" in changes:
        update["repeats"] = validate_repeats(changes["repeats"])
    if "data" in changes:
        update["data"] = schedule_data(changes["data"])
    if "actor" in changes:
        raw = changes["actor"]
        require_identified_actor(engine, raw)
        update["actor"] = None if raw is None else parse_entity(raw, "actor", engine.entities, now)
    if "tenant" in changes:
        update["tenant"] = parse_tenant(changes["tenant"], engine.entities, now)
    for name in ("scheduled_at", "ending_at"):
        if name in changes:
            update[name] = parse_moment(changes[name], name)
    return update
