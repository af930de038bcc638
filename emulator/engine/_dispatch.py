"""Starting workflows: validation, idempotency, trigger frequency and one run per recipient."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from emulator.core import TriggerError
from emulator.definitions import Workflow
from emulator.engine._state import (
    MAX_NESTED_RUNS,
    MAX_TRIGGER_DEPTH,
    NO_SETTINGS,
    Lineage,
    RunState,
)
from emulator.engine._targets import Target, parse_entity, parse_targets, parse_tenant
from emulator.stores import USERS, Run, Schedule, TriggerResult

if TYPE_CHECKING:
    from emulator.engine._engine import Engine

# TriggerResult lives in stores/_runs; importable from here too.
__all__ = ["TriggerResult", "require_identified_actor", "start_trigger", "trigger_schedule"]

IDEMPOTENCY_WINDOW = timedelta(hours=24)


def start_trigger(
    engine: Engine,
    key: str,
    recipients: Sequence[Any],
    *,
    actor: Any = None,
    data: Mapping[str, Any] | None = None,
    tenant: Any = None,
    cancellation_key: str | None = None,
    settings: dict[str, Any] | None = None,
    idempotency_key: str | None = None,
    source: str = "api",
    schedule: Mapping[str, Any] | None = None,
    parent: RunState | None = None,
) -> TriggerResult:
    """Validate a trigger, fan it out to recipient runs and run them (Knock's section 2.1).

    A scheduled trigger (`schedule` is the `recipient.schedule` scope) runs for its recipient
    alone: Knock does not fan a schedule out to an object's subscribers. `parent` is the run
    whose trigger_workflow step triggers: `_lineage` bounds how deep and wide that family grows.
    """
    settings = settings or {}
    now = engine.clock.now
    workflow = engine.workflow(key)
    parameters = [key, recipients, actor, data, tenant, cancellation_key, settings]
    fingerprint, seen = _replay(engine, idempotency_key, parameters)
    if seen is not None:
        return seen
    payload, actor_ref, tenant_id = _inputs(engine, workflow, actor, data, tenant)
    targets = parse_targets(recipients, actor_ref, engine.entities, now, fan_out=schedule is None)
    depth, lineage = _lineage(parent, key, len(targets))
    result = TriggerResult(engine.ids.uuid4())
    for target in targets:
        if _once_already(engine, key, workflow.trigger_frequency, target.ref, tenant_id):
            continue
        record = Run(
            id=engine.ids.uuid4(),
            workflow_run_id=result.workflow_run_id,
            workflow=key,
            recipient=_reference(target.ref),
            actor=None if actor_ref is None else _reference(actor_ref),
            tenant=tenant_id,
            data=_run_data(payload, target, len(targets)),
            cancellation_key=cancellation_key,
            inserted_at=now,
            updated_at=now,
            trigger_source=source,
            schedule_id=None if schedule is None else schedule.get("id"),
        )
        rs = RunState(
            record, workflow, target.ref, actor_ref, tenant_id, record.data, settings or NO_SETTINGS
        )  # steps replace rs.data, never change it in place: sharing the record's is safe
        rs.subscription, rs.depth, rs.lineage = target.subscription, depth, lineage
        rs.schedule = None if schedule is None else dict(schedule)
        result.runs.append(record)
        engine.start_run(rs)
    engine.drain()
    if idempotency_key is not None:
        engine.idempotency[idempotency_key] = (fingerprint, now, result)
    return result


def _run_data(payload: dict[str, Any], target: Target, count: int) -> dict[str, Any]:
    """A lone run owns the trigger's copy of the data; several runs each get their own."""
    if count == 1 and not target.trigger_data:
        return payload
    return {**payload, **target.trigger_data}


def _lineage(parent: RunState | None, key: str, count: int) -> tuple[int, Lineage | None]:
    """The new runs' nesting depth and family; refuse a trigger that goes past either bound.
    A lone run from outside has no family object until it triggers (one object fewer per run)."""
    if parent is None:
        return 0, Lineage() if count > 1 else None
    depth, lineage = parent.depth + 1, parent.lineage
    if lineage is None:
        lineage = parent.lineage = Lineage()
    if depth > MAX_TRIGGER_DEPTH:
        raise TriggerError(
            "trigger_depth_exceeded",
            f"trigger_workflow steps nested more than {MAX_TRIGGER_DEPTH} deep (Doorstep's "
            f"limit; Knock documents none) when triggering {key!r}: a workflow probably "
            "triggers itself (A -> A or A -> B -> A); add a condition that ends the chain or "
            "remove the cycle (`doorstep validate` lists static cycles)",
        )
    if lineage.nested_runs + count > MAX_NESTED_RUNS:
        raise TriggerError(
            "trigger_runs_exceeded",
            f"trigger_workflow steps started more than {MAX_NESTED_RUNS} runs below one trigger "
            f"(Doorstep's limit; Knock documents none) when triggering {key!r}: trigger fewer "
            "recipients per step or end the chain with a condition",
        )
    lineage.nested_runs += count
    return depth, lineage


def _inputs(
    engine: Engine, workflow: Workflow, actor: Any, data: Mapping[str, Any] | None, tenant: Any
) -> tuple[dict[str, Any], tuple[str, str] | None, str | None]:
    """The checked trigger: its data, actor and tenant (both upserted when given inline)."""
    now = engine.clock.now
    if not workflow.active:
        raise TriggerError(
            "workflow_inactive",
            f"workflow {workflow.key!r} is inactive; activate it (remove `active: false`) to "
            "trigger it",
        )
    payload = _validate_data(workflow.key, workflow.trigger_data_json_schema, data)
    actor_ref = None if actor is None else parse_entity(actor, "actor", engine.entities, now)
    require_identified_actor(engine, actor)
    return payload, actor_ref, parse_tenant(tenant, engine.entities, now)


def _replay(
    engine: Engine, idempotency_key: str | None, parameters: list[Any]
) -> tuple[str, TriggerResult | None]:
    """The trigger's fingerprint, and the earlier result for a reused Idempotency-Key within 24
    hours (refused if its parameters differ)."""
    if idempotency_key is None:
        return "", None
    fingerprint = json.dumps(parameters, sort_keys=True, default=str)
    seen = engine.idempotency.get(idempotency_key)
    if seen is None or engine.clock.now - seen[1] >= IDEMPOTENCY_WINDOW:
        return fingerprint, None
    if seen[0] != fingerprint:
        raise TriggerError(
            "idempotency_key_reused",
            "this Idempotency-Key was used with different parameters in the last 24 hours; use "
            "a new key",
            status=422,
        )
    return fingerprint, seen[2]


def _once_already(
    engine: Engine, key: str, frequency: str, ref: tuple[str, str], tenant_id: str | None
) -> bool:
    """Trigger frequency `once_per_recipient[_per_tenant]`: True if this target already ran."""
    if frequency == "every_trigger":
        return False
    once = (key, *ref) + ((tenant_id or "",) if "tenant" in frequency else ())
    if once in engine.once_per_recipient:
        return True
    engine.once_per_recipient.add(once)
    return False


def trigger_schedule(engine: Engine, schedule: Schedule, scope: dict[str, Any]) -> TriggerResult:
    """One occurrence of `schedule`: its workflow for its recipient alone, source `schedule`."""
    return start_trigger(
        engine,
        schedule.workflow,
        [_reference(schedule.recipient)],
        actor=None if schedule.actor is None else _reference(schedule.actor),
        data=schedule.data,
        tenant=schedule.tenant,
        source="schedule",
        schedule=scope,
    )


def require_identified_actor(engine: Engine, actor: Any) -> None:
    """An actor given as a bare id must be a user Knock knows (`actor_missing`, 404)."""
    if (
        isinstance(actor, str)
        and engine.require_identified_actor
        and engine.entities.get(USERS, actor) is None
    ):
        raise TriggerError(
            "actor_missing",
            f"actor {actor!r} has not been identified; identify the user first, pass the actor "
            'inline ({"id": ..., "name": ...}), or build the Emulator with '
            "require_identified_actor=False",
            status=404,
        )


def _validate_data(
    key: str, schema: Mapping[str, Any] | None, data: Mapping[str, Any] | None
) -> dict[str, Any]:
    if data is not None and not isinstance(data, Mapping):
        raise TriggerError("invalid_params", f"data must be an object; got {data!r}")
    payload = dict(data or {})
    if schema:
        import jsonschema

        errors = sorted(
            jsonschema.Draft202012Validator(schema).iter_errors(payload),
            key=lambda e: list(e.absolute_path),
        )
        if errors:
            lines = [
                f"data.{'.'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}"
                for e in errors
            ]
            raise TriggerError(
                "trigger_data_invalid",
                f"data does not match workflow "
                f"{key!r} trigger_data_json_schema: " + "; ".join(lines),
            )
    return payload


def _reference(ref: tuple[str, str]) -> str | dict[str, str]:
    return ref[1] if ref[0] == USERS else {"id": ref[1], "collection": ref[0]}
