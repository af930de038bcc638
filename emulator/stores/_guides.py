"""Guide engagement: one `GuideMessage` per user, guide and step, made on first engagement.

Knock creates a guide's message when the user first sees, interacts with or archives a step
(in-app-ui/guides/handling-engagement); its timestamps are what the guides API reports under
each step's `message`. Engagement is per user (Knock's default "global" guide scope).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

ENGAGEMENTS = ("seen", "interacted", "archived")


@dataclass(slots=True)
class GuideMessage:
    """A user's engagement with one guide step: when it was seen, read, interacted with and
    archived, with the content the user saw and the metadata of the interaction."""

    id: str
    user_id: str
    guide_key: str
    guide_id: str
    step_ref: str
    channel_id: str
    inserted_at: datetime
    tenant: str | None = None
    seen_at: datetime | None = None
    read_at: datetime | None = None
    interacted_at: datetime | None = None
    archived_at: datetime | None = None
    link_clicked_at: datetime | None = None
    content: Mapping[str, Any] = field(default_factory=dict)
    data: Mapping[str, Any] | None = None
    metadata: Mapping[str, Any] | None = None

    def state(self) -> dict[str, datetime | str | None]:
        """The step's `message` as the guides API reports it (timestamps unformatted)."""
        return {
            "id": self.id,
            "seen_at": self.seen_at,
            "read_at": self.read_at,
            "interacted_at": self.interacted_at,
            "archived_at": self.archived_at,
            "link_clicked_at": self.link_clicked_at,
        }


class GuideEngagements:
    """Every `GuideMessage`, by (user, guide key, step ref), and each user's last throttled
    archive time (the default guide group's display log)."""

    def __init__(self) -> None:
        self._messages: dict[tuple[str, str, str], GuideMessage] = {}
        self.display_logs: dict[str, datetime] = {}  # user id -> last throttled archive

    def get(self, user_id: str, guide_key: str, step_ref: str) -> GuideMessage | None:
        return self._messages.get((user_id, guide_key, step_ref))

    def put(self, message: GuideMessage) -> None:
        self._messages[(message.user_id, message.guide_key, message.step_ref)] = message

    def of_guide(self, user_id: str, guide_key: str) -> list[GuideMessage]:
        return [m for (u, g, _), m in self._messages.items() if u == user_id and g == guide_key]

    def of_user(self, user_id: str) -> list[GuideMessage]:
        return [m for (u, _, _), m in self._messages.items() if u == user_id]

    def all(self) -> list[GuideMessage]:
        return list(self._messages.values())

    def remove_guide(self, user_id: str, guide_key: str) -> int:
        """Forget a user's engagement with a guide (Knock's engagement reset); how many went."""
        keys = [k for k in self._messages if k[0] == user_id and k[1] == guide_key]
        for key in keys:
            del self._messages[key]
        return len(keys)

    def remove_user(self, user_id: str) -> None:
        for key in [k for k in self._messages if k[0] == user_id]:
            del self._messages[key]
        self.display_logs.pop(user_id, None)

    def clear(self) -> None:
        self._messages.clear()
        self.display_logs.clear()
