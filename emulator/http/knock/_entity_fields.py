"""The typed fields of users, objects and tenants (knock-api.yml `IdentifyUserRequest`,
`SetObjectRequest`, `SetTenantRequest`), checked before anything is stored.

Everything else on an entity is a free-form custom property, but these fields drive delivery:
an `email` of `5` would be "delivered" to `"5"`, a `timezone` of `"Mars/Olympus"` would make
schedules and send windows silently run in UTC. So, as Knock does, a wrong one is a 422
`invalid_params` naming the field (`email`, or `users[2].email` in a bulk request).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from emulator import TENANTS, USERS
from emulator.http.knock._errors import invalid

_STRINGS: dict[str, tuple[str, ...]] = {
    USERS: ("avatar", "email", "locale", "name", "phone_number", "timezone", "created_at"),
    TENANTS: ("name",),
}
_OBJECT_STRINGS = ("name", "locale", "timezone", "created_at")
_SETTINGS = ("branding", "preference_set")
_BRANDING = tuple(
    f"{dark}{name}"
    for dark in ("", "dark_")
    for name in ("icon_url", "logo_url", "primary_color", "primary_color_contrast")
)
_HEX_COLOR = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})")


def _at(where: str, name: str) -> str:
    return f"{where}.{name}" if where else name


def check_entity_fields(raw: Mapping[str, Any], where: str, collection: str) -> None:
    """The typed fields of an entity of `collection`: strings (or null), a real IANA time
    zone, an ISO-8601 `created_at`; `where` prefixes a bulk item's paths (`users[2]`)."""
    for name in _STRINGS.get(collection, _OBJECT_STRINGS):
        value = raw.get(name)
        if value is not None and not isinstance(value, str):
            raise invalid(_at(where, name), f"must be a string or null, got {value!r}")
    zone = raw.get("timezone")
    if isinstance(zone, str) and not _is_zone(zone):
        raise invalid(
            _at(where, "timezone"),
            f"{zone!r} is not an IANA time zone name; use one like America/New_York or UTC",
        )
    created = raw.get("created_at")
    if isinstance(created, str) and not _is_timestamp(created):
        raise invalid(
            _at(where, "created_at"),
            f"must be an ISO-8601 date-time like 2024-01-31T09:00:00Z, got {created!r}",
        )


def check_settings(settings: Mapping[str, Any], where: str) -> None:
    """A tenant's `settings`: only `branding` (strings, hex colors) and `preference_set`."""
    unknown = sorted(set(settings) - set(_SETTINGS))
    if unknown:
        raise invalid(
            _at(where, unknown[0]), f"is not a tenant setting; use {' or '.join(_SETTINGS)}"
        )
    branding = settings.get("branding")
    if branding is None:
        return
    path = _at(where, "branding")
    if not isinstance(branding, Mapping):
        raise invalid(
            path, f'must be an object like {{"primary_color": "#FF0000"}}, got {branding!r}'
        )
    for key, value in branding.items():
        if key not in _BRANDING:
            raise invalid(
                _at(path, key), f"is not a branding field; use one of {', '.join(_BRANDING)}"
            )
        if value is None:
            continue
        if not isinstance(value, str):
            raise invalid(_at(path, key), f"must be a string or null, got {value!r}")
        if "color" in key and not _HEX_COLOR.fullmatch(value):
            raise invalid(_at(path, key), f"must be a hex color like #FF0000, got {value!r}")


def _is_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (KeyError, ValueError, OSError):  # ZoneInfoNotFoundError is a KeyError
        return False
    return True


def _is_timestamp(text: str) -> bool:
    try:
        datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True
