"""The parts of a run's scopes that need no engine: `workflow.*`, `run.*`, `vars` as sent, what
`refs.<step>` reads, and the whole template scope (`template_context`, given the engine's
scope methods through `ScopeSource`). The engine's scope methods delegate here."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any, Protocol

from emulator.definitions import knock_var
from emulator.engine._conditions import RefState
from emulator.engine._preferences import template_preferences
from emulator.engine._state import RunState
from emulator.stores import MessageStore
from emulator.templates import build_context

# Delivery-status order for picking the highest status of a step's messages (channel groups).
_DELIVERY_RANK = {
    s: i
    for i, s in enumerate(
        ("undelivered", "bounced", "delivery_attempted", "queued", "not_sent", "sent", "delivered")
    )
}


def workflow_scope(rs: RunState) -> dict[str, Any]:
    """`workflow.*` in conditions and templates."""
    wf = rs.workflow
    return {
        "key": wf.key,
        "id": wf.key,
        "name": wf.name,
        "categories": list(wf.categories),
        "commercial": wf.settings.is_commercial,
        "override_preferences": wf.settings.override_preferences,
        "cancellation_key": rs.record.cancellation_key,
    }


def run_scope(rs: RunState) -> dict[str, Any]:
    """`run.total_activities` / `run.total_actors` for conditions."""
    batch = rs.batch
    return {
        "total_activities": batch.total_activities if batch else 1,
        "total_actors": batch.total_actors if batch else int(rs.actor_ref is not None),
    }


def send_vars(vars: Mapping[str, Any], tenant: Mapping[str, Any] | None) -> dict[str, Any]:
    """`vars` as a message sees them: each value JSON-decoded at send time, as Knock stores
    variables as text (`"123"` -> 123, `"true"` -> true, `"007"` stays text), whatever set them
    (the config file, `Emulator(vars=)`, `emulator.vars[...]`, the plugin's option or marker);
    then the tenant's `settings.branding` over the account's `vars.branding`."""
    out = {key: _send_var(value) for key, value in vars.items()}
    settings = tenant.get("settings") if tenant else None
    branding = settings.get("branding") if isinstance(settings, Mapping) else None
    if not isinstance(branding, Mapping) or not branding:
        return out
    account = out.get("branding")
    out["branding"] = {**(account if isinstance(account, Mapping) else {}), **branding}
    return out


@lru_cache(maxsize=1024)
def _decoded(text: str) -> Any:
    return knock_var(text)


def _send_var(value: Any) -> Any:
    """`knock_var(value)`, text decoded once (a list or object is decoded afresh each time:
    a message may not share it with another)."""
    if not isinstance(value, str):
        return knock_var(value)
    decoded = _decoded(value)
    return knock_var(value) if isinstance(decoded, list | dict) else decoded


class ScopeSource(Protocol):
    """What `template_context` reads from the engine."""

    vars: dict[str, Any]

    def recipient_scope(self, rs: RunState) -> dict[str, Any]: ...
    def actor_scope(self, rs: RunState) -> dict[str, Any] | None: ...
    def tenant_scope(self, rs: RunState) -> dict[str, Any] | None: ...
    def run_preferences(self, rs: RunState) -> dict[str, Any] | None: ...


def template_context(
    engine: ScopeSource,
    rs: RunState,
    current_message: Mapping[str, Any] | None,
    known: tuple[dict[str, Any], dict[str, Any] | None] | None = None,
) -> dict[str, Any]:
    """Knock's template scope for one run (template-editor/variables.mdx): `recipient` carries
    `preferences`, the run's resolved PreferenceSet; after a batch, the batch variables.
    `known`: the recipient scope and run preferences when the caller has just built them."""
    batch = rs.batch
    actor = engine.actor_scope(rs)
    tenant = engine.tenant_scope(rs)
    recipient, preferences = known or (engine.recipient_scope(rs), engine.run_preferences(rs))
    set_id = rs.tenant_id if rs.tenant_id else "default"
    recipient["preferences"] = template_preferences(preferences, set_id)
    return build_context(
        data=rs.data,
        recipient=recipient,
        actor=actor,
        tenant=tenant,
        vars=send_vars(engine.vars, tenant),
        current_message=current_message,
        workflow=workflow_scope(rs),
        timestamp=rs.record.inserted_at,
        total_activities=batch.total_activities if batch else 1,
        total_actors=batch.total_actors if batch else (1 if actor else 0),
        activities=[a.to_template() for a in batch.activities] if batch else (),
        actors=list(batch.actors) if batch else ([actor] if actor else []),
        refs=rs.wait_results,  # Knock: `refs.<wait ref>.signal_variables` in templates
    )


def ref_state(rs: RunState, ref: str, messages: MessageStore) -> RefState:
    """What `refs.<ref>` reads: a wait step's outputs, or the highest status of its messages."""
    if ref in rs.wait_results:  # a wait step: `refs.<ref>.matched`, `.signal_variables`
        return RefState("skipped", extra=rs.wait_results[ref])
    ids = rs.refs.get(ref)
    if not ids:
        return RefState("skipped")
    found = [messages.get(i) for i in ids]
    status = max((m.status for m in found), key=lambda s: _DELIVERY_RANK.get(s, -1))
    engagement = frozenset(s for m in found for s in m.engagement_statuses)
    return RefState(status, engagement)


class RefView(Mapping[str, RefState]):
    """`refs.<step_ref>` computed when a condition reads it, not for every step."""

    def __init__(self, rs: RunState, messages: MessageStore) -> None:
        self._rs, self._messages = rs, messages

    def __getitem__(self, ref: str) -> RefState:
        return ref_state(self._rs, ref, self._messages)

    def __iter__(self) -> Any:
        return iter(self._rs.refs)

    def __len__(self) -> int:
        return len(self._rs.refs)

    def __contains__(self, ref: object) -> bool:
        return True  # a step not reached yet reads as skipped, as Knock does
