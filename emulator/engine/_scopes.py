"""The parts of a run's scopes that need no engine: `workflow.*`, `run.*`, branded `vars` and
what `refs.<step>` reads. The engine's scope methods delegate here."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from emulator.engine._conditions import RefState
from emulator.engine._state import RunState
from emulator.stores import MessageStore

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


def branded_vars(vars: dict[str, Any], tenant: Mapping[str, Any] | None) -> dict[str, Any]:
    """`vars`, with the tenant's `settings.branding` over the account's `vars.branding`."""
    settings = tenant.get("settings") if tenant else None
    branding = settings.get("branding") if isinstance(settings, Mapping) else None
    if not isinstance(branding, Mapping) or not branding:
        return vars
    account = vars.get("branding")
    merged = {**(account if isinstance(account, Mapping) else {}), **branding}
    return {**vars, "branding": merged}


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
