"""Configured channels: what a step's `channel_key` points at, and its provider settings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from emulator.core import DoorstepError

DEFAULT_FROM = "notifications@example.com"


@dataclass(frozen=True, slots=True)
class Channel:
    """A channel as Knock's dashboard configures it (key, type, provider settings)."""

    key: str
    type: str
    from_address: str = DEFAULT_FROM
    from_name: str | None = None
    sandbox_mode: bool = False
    confirm_delivery: bool = True  # providers that report delivery (webhooks) reach `delivered`
    settings: Mapping[str, Any] = field(default_factory=dict)


class Channels:
    """Lookup by key, falling back to a default channel per type for keys nobody configured."""

    def __init__(self, configured: Mapping[str, Mapping[str, Any] | Channel] | None = None) -> None:
        self._by_key: dict[str, Channel] = {}
        for key, raw in (configured or {}).items():
            self._by_key[key] = raw if isinstance(raw, Channel) else parse_channel(key, raw)

    def resolve(self, key: str | None, channel_type: str) -> Channel:
        if key is not None and key in self._by_key:
            found = self._by_key[key]
            if found.type != channel_type:
                raise DoorstepError(
                    f"channel {key!r} is configured as {found.type!r} but the "
                    f"step sends {channel_type!r}; fix the step's channel_key or "
                    "the channel configuration"
                )
            return found
        return Channel(key or channel_type, channel_type)

    def __iter__(self) -> Any:
        return iter(self._by_key.values())


def parse_channel(key: str, raw: Mapping[str, Any]) -> Channel:
    known = {"type", "from_address", "from_name", "sandbox_mode", "confirm_delivery"}
    if "type" not in raw:
        raise DoorstepError(
            f"channel {key!r}: missing 'type' (one of email, in_app_feed, sms, push, chat, http)"
        )
    return Channel(
        key=key,
        type=str(raw["type"]),
        from_address=str(raw.get("from_address", DEFAULT_FROM)),
        from_name=raw.get("from_name"),
        sandbox_mode=bool(raw.get("sandbox_mode")),
        confirm_delivery=bool(raw.get("confirm_delivery", True)),
        settings={k: v for k, v in raw.items() if k not in known},
    )
