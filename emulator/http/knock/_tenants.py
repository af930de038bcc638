"""Writing a tenant (`PUT /v1/tenants/{id}` and `POST /v1/tenants/bulk/set`): the checks that
run before anything is stored, and the upsert with Knock's `settings.preference_set` merge."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from emulator import TENANTS
from emulator.http.knock._core import KnockContext
from emulator.http.knock._entity_fields import check_entity_fields, check_settings
from emulator.http.knock._errors import invalid
from emulator.http.knock._preferences import check_preference_set


def check_tenant(body: Mapping[str, Any], where: str = "") -> None:
    """`settings` and its `preference_set`, checked before anything is stored; `where` prefixes
    the JSON paths of a bulk item (`tenants[2]`)."""
    at = f"{where}." if where else ""
    check_entity_fields(body, where, TENANTS)
    settings = body.get("settings")
    if settings is None:
        return
    if not isinstance(settings, Mapping):
        raise invalid(f"{at}settings", f"must be an object, got {type(settings).__name__}")
    check_settings(settings, f"{at}settings")
    pref = settings.get("preference_set")
    if isinstance(pref, Mapping):
        pref = {k: v for k, v in pref.items() if k != "__persistence_strategy__"}
    if pref is not None:
        check_preference_set(pref, f"{at}settings.preference_set")


def upsert_tenant(ctx: KnockContext, tenant_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
    """`settings.preference_set` merges into the stored one by default (knock.md 5.1); its
    `__persistence_strategy__: "replace"` overwrites it and `null` removes it."""
    return ctx.emulator.set_tenant(tenant_id, **body)
