"""Knock's template root scope, built once per message."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from functools import lru_cache
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


# template-editor/branding.mdx: the documented defaults of `vars.branding`.
BRANDING_DEFAULTS: dict[str, str] = {
    "primary_color": "#000000",
    "primary_color_contrast": "#FFFFFF",
    "dark_primary_color": "#FFFFFF",
    "dark_primary_color_contrast": "#000000",
}
_DARK_FALLBACKS = (("dark_logo_url", "logo_url"), ("dark_icon_url", "icon_url"))


def with_branding_defaults(variables: Mapping[str, Any] | None) -> dict[str, Any]:
    """`vars` with `vars.branding` completed as Knock documents it: colors default to
    #000000/#FFFFFF (dark: #FFFFFF/#000000), `dark_logo_url`/`dark_icon_url` to the light ones."""
    out = dict(variables or {})
    given = out.get("branding")
    branding = dict(given) if isinstance(given, Mapping) else {}
    for key, default in BRANDING_DEFAULTS.items():
        if not branding.get(key):
            branding[key] = default
    for dark, light in _DARK_FALLBACKS:
        if not branding.get(dark) and branding.get(light):
            branding[dark] = branding[light]
    out["branding"] = branding
    return out


def iso_timestamp(when: datetime | str | None) -> str | None:
    """Knock's ISO-8601 form (`2023-12-31T19:30:00Z`); strings pass through untouched."""
    if when is None or isinstance(when, str):
        return when
    return _formatted(when)


@lru_cache(maxsize=1024)
def _formatted(when: datetime) -> str:
    """A run's timestamp is read by every message it renders: formatted once."""
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
        vars=with_branding_defaults(vars),
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
