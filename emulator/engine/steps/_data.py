"""Data steps: update_data, update_user / update_tenant / update_object, and trigger_workflow."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from emulator.core import DoorstepError, TriggerError
from emulator.definitions import TRIGGER_WORKFLOW_DEFAULTS, TriggerWorkflowStep, UpdateStep
from emulator.engine._dispatch import start_trigger
from emulator.engine._state import RunState
from emulator.engine._targets import TENANTS
from emulator.stores import StepRecord
from emulator.templates import TemplateLocation

if TYPE_CHECKING:
    from emulator.engine._engine import Engine

NEXT = "next"


class DataStepError(DoorstepError):
    """An update or trigger-workflow step whose rendered settings are unusable."""


def _render_json(
    engine: Engine, rs: RunState, ref: str, field: str, source: str, *, strict: bool
) -> Any:
    where = TemplateLocation(rs.workflow.key, ref, field)
    rendered = engine.templates.render(source, engine.template_context(rs), where)
    undefined = [d for d in rendered.diagnostics if d.kind == "undefined_variable"]
    if strict and undefined:
        raise DataStepError(
            f"{where}: {undefined[0].message} (Knock fails the step when the "
            "data references a missing property; add `| default: ...`)"
        )
    try:
        return json.loads(rendered.text)
    except json.JSONDecodeError as exc:
        raise DataStepError(
            f"{where}: rendered text is not JSON ({exc}): {rendered.text[:200]!r}"
        ) from exc


def run_update(engine: Engine, rs: RunState, step: UpdateStep, record: StepRecord) -> str:
    field = "data" if step.type == "update_data" else "update_properties"
    properties = _render_json(engine, rs, step.ref, field, step.properties, strict=True)
    if not isinstance(properties, dict):
        raise DataStepError(
            f"step {step.ref!r}: {field} must render to a JSON object, got "
            f"{type(properties).__name__}"
        )
    record.detail["properties"] = properties
    if step.type == "update_data":
        rs.data = {**rs.data, **properties}
        return NEXT
    target = _target(rs, step)
    if target is None:
        return engine.skip(rs, record, "the run has no tenant to update")
    properties.pop("channel_data", None)  # Knock does not let workflow steps change it
    before = engine.entities.get(*target)
    after = engine.entities.upsert(target[0], target[1], properties, engine.clock.now)
    record.detail.update(target=target, before=before, after=dict(after))
    return NEXT


def _target(rs: RunState, step: UpdateStep) -> tuple[str, str] | None:
    if step.type == "update_user" and step.recipient_mode == "current":
        return rs.recipient_ref
    if step.type == "update_tenant" and step.recipient_mode == "current":
        return None if rs.tenant_id is None else (TENANTS, rs.tenant_id)
    gid = step.recipient_gid or ""
    prefix = "gid://Object/"
    parts = gid[len(prefix) :].split("/", 1) if gid.startswith(prefix) else []
    if len(parts) != 2 or not all(parts):
        raise DataStepError(
            f"step {step.ref!r}: recipient_gid {gid!r} is not of the form "
            "gid://Object/<collection>/<id> (users: $users, tenants: $tenants)"
        )
    return (parts[0], parts[1])


def run_trigger_workflow(
    engine: Engine, rs: RunState, step: TriggerWorkflowStep, record: StepRecord
) -> str:
    context = engine.template_context(rs)

    def render(source: str, field: str) -> str:
        plain = _knock_default(rs, field, source)
        if plain is not None:
            return plain
        where = TemplateLocation(rs.workflow.key, step.ref, field)
        return engine.templates.render(source, context, where).text.strip()

    key = render(step.workflow_key, "workflow_key")
    target = engine.definitions.workflows.get(key)
    if target is None:
        raise DataStepError(f"step {step.ref!r}: no workflow {key!r} to trigger")
    if not target.active:
        return engine.skip(rs, record, f"workflow {key!r} is inactive")
    recipients = _decode(render(step.recipients, "recipients"))
    actor = _decode(render(step.actor, "actor")) or None
    tenant = _decode(render(step.tenant, "tenant")) or None
    data = _render_json(engine, rs, step.ref, "data", step.data, strict=False)
    cancellation_key = render(step.cancellation_key, "cancellation_key") or None
    try:
        result = start_trigger(
            engine,
            key,
            recipients if isinstance(recipients, list) else [recipients],
            actor=actor,
            data=data,
            tenant=tenant,
            cancellation_key=cancellation_key,
            source="workflow_step",
            parent=rs,
        )
    except TriggerError as exc:
        raise DataStepError(f"step {step.ref!r}: triggering {key!r} failed: {exc}") from exc
    record.detail.update(
        workflow_run_id=result.workflow_run_id, run_ids=[r.id for r in result.runs]
    )
    return NEXT


def _knock_default(rs: RunState, field: str, source: str) -> str | None:
    """A built-in default the user did not write, rendered as Knock renders it: empty when the
    run has no actor, tenant or cancellation key (never a strict-mode error about a template
    nobody wrote)."""
    if source != TRIGGER_WORKFLOW_DEFAULTS.get(field):
        return None
    if field == "actor":
        return "" if rs.actor_ref is None else rs.actor_ref[1]
    if field == "tenant":
        return rs.tenant_id or ""
    if field == "cancellation_key":
        return rs.record.cancellation_key or ""
    return None


def _decode(text: str) -> Any:
    """Rendered settings are ids or JSON (`["u1", "u2"]`, `{"id": ...}`); keep plain ids as text."""
    if text[:1] in '[{"':
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            return text
    return text
