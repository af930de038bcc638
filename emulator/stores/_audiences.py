"""Static audiences: members added and removed by the API, the emulator or workflow steps.

A member is a user, optionally within a tenant (Knock's `AudienceMember`). Conditions read an
audience as the set of its member user ids; entering (first membership) and exiting (last one
gone) are the transitions `wait_for_event` steps can wait for.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Membership:
    """One member of one audience, shaped like Knock's `AudienceMember`."""

    user_id: str
    added_at: datetime
    tenant: str | None = None


class Audiences(Mapping[str, frozenset[str]]):
    """Audience key -> member user ids (what `is_audience_member` reads), plus memberships."""

    def __init__(self) -> None:
        self._members: dict[str, dict[tuple[str, str | None], Membership]] = {}

    def add(self, key: str, user_id: str, now: datetime, tenant: str | None = None) -> bool:
        """Add a membership (idempotent); True when the user was not a member before."""
        members = self._members.setdefault(key, {})
        entered = user_id not in self._ids(members)
        members.setdefault((user_id, tenant), Membership(user_id, now, tenant))
        return entered

    def remove(self, key: str, user_id: str, tenant: str | None = None) -> bool:
        """Remove a membership (idempotent); True when the user's last membership went."""
        members = self._members.get(key)
        if members is None or members.pop((user_id, tenant), None) is None:
            return False
        return user_id not in self._ids(members)

    def remove_user(self, key: str, user_id: str) -> None:
        """Drop every membership of `user_id` (any tenant) without an `exit` event: the user
        is being deleted, not leaving."""
        members = self._members.get(key)
        if members is not None:
            for entry in [e for e in members if e[0] == user_id]:
                del members[entry]

    def members(self, key: str) -> list[Membership]:
        """Memberships in the order they were added."""
        return list(self._members.get(key, {}).values())

    def clear(self) -> None:
        self._members.clear()

    @staticmethod
    def _ids(members: Mapping[tuple[str, str | None], Membership]) -> set[str]:
        return {user_id for user_id, _tenant in members}

    def __getitem__(self, key: str) -> frozenset[str]:
        return frozenset(self._ids(self._members[key]))

    def __iter__(self) -> Iterator[str]:
        return iter(self._members)

    def __len__(self) -> int:
        return len(self._members)
