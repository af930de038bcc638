"""Knock's template root scope, built once per message."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from emulator.core import format_timestamp
from emulator.definitions import Workflow

RESERVED_NAMES: tuple[str, ...] = (
    "data",
    "recipient",
    "actor",
    "tenant",
    "vars",
    "workflow",
    "timestamp",
    "total_activities",
    "total_actors",
    "activities",
    "actors",
    "current_message",
    "refs",
)


def iso_timestamp(when: datetime | str | None) -> str | None:
    """Knock's ISO-8601 form (`2023-12-31T19:30:00Z`); strings pass through untouched."""
    if when is None or isinstance(when, str):
        return when
    return format_timestamp(when)


def workflow_scope(workflow: Workflow | Mapping[str, Any] | str) -> dict[str, Any]:
    """`workflow.key`, `workflow.id`, `workflow.categories`, ... from a model or a mapping."""
    if isinstance(workflow, Workflow):
        return {
            "key": workflow.key,
            "id": workflow.key,
            "name": workflow.name,
            "categories": list(workflow.categories),
            "commercial": workflow.settings.is_commercial,
            "override_preferences": workflow.settings.override_preferences,
        }
    if isinstance(workflow, str):
        return {"key": workflow, "id": workflow, "categories": []}
    return dict(workflow)


def build_context(
    *,
    data: Mapping[str, Any] | None,
    recipient: Mapping[str, Any] | None,
    actor: Mapping[str, Any] | None,
    tenant: Mapping[str, Any] | None,
    vars: Mapping[str, Any] | None,
    workflow: Workflow | Mapping[str, Any] | str,
    timestamp: datetime | str | None,
    total_activities: int = 1,
    total_actors: int | None = None,
    activities: Sequence[Mapping[str, Any]] = (),
    actors: Sequence[Mapping[str, Any]] = (),
    current_message: Mapping[str, Any] | None = None,
    refs: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Knock's root scope: `data`'s keys at the root (`{{ page_name }}`), reserved names on top.

    `total_actors` defaults to the number of `actors`, or 1 when there is an actor and no batch.
    `refs` holds earlier steps' outputs templates may read (`refs.<wait ref>.signal_variables`).
    """
    payload = dict(data or {})
    if total_actors is None:
        total_actors = len(actors) if actors else (1 if actor else 0)
    scope: dict[str, Any] = dict(payload)
    scope.update(
        data=payload,
        recipient=recipient,
        actor=actor,
        tenant=tenant,
        vars=dict(vars or {}),
        workflow=workflow_scope(workflow),
        timestamp=iso_timestamp(timestamp),
        total_activities=total_activities,
        total_actors=total_actors,
        activities=list(activities),
        actors=list(actors),
        current_message=dict(current_message) if current_message is not None else None,
        refs=dict(refs or {}),
    )
    return scope
