"""The `Emulator`'s guides: which guides a user is eligible for (rendered for them) and their
engagement with them (seen, interacted, archived, unarchived, reset), as Knock's guides API
and `@knocklabs/client`'s guide client read and write them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

# binds `emulator`: the other packages load on first use (the engine with the first Emulator)
import emulator.core
from emulator.core import journaled

if TYPE_CHECKING:
    import emulator.engine
    import emulator.stores
    from emulator.core import Recorder
    from emulator.engine import Engine, GuideList
    from emulator.stores import GuideMessage


class GuidesFacade:
    """Mixed into `Emulator`; every method takes the engine's lock."""

    _engine: Engine
    _journal: Recorder | None

    def guides(
        self,
        user_id: str,
        channel: str | None = None,
        *,
        tenant: str | None = None,
        data: Mapping[str, Any] | None = None,
        type: str | None = None,
    ) -> GuideList:
        """The guides `user_id` is eligible for (of channel key `channel`, None: every channel;
        of guide `type`), content rendered with `recipient`, `data`, `tenant` and `vars`, and the
        ineligible ones with Knock's reason (`guide_not_active`, `marked_as_archived`,
        `not_in_target_audience`, `target_conditions_not_met`)."""
        with self._engine.lock:
            return emulator.engine.select_guides(
                self._engine, user_id, channel=channel, tenant=tenant, data=data, type=type
            )

    def guide_messages(
        self, user_id: str | None = None, guide_key: str | None = None
    ) -> list[GuideMessage]:
        """Guide engagement records (one per user, guide and step engaged), oldest first."""
        with self._engine.lock:
            found = [
                m
                for m in self._engine.guide_engagements.all()
                if user_id in (None, m.user_id) and guide_key in (None, m.guide_key)
            ]
            return sorted(found, key=lambda m: (m.inserted_at, m.id))

    @journaled("emulator")
    def mark_guide(
        self,
        user_id: str,
        guide_key: str,
        status: str,
        *,
        step: str | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> GuideMessage:
        """Record that `user_id` has `seen`, `interacted` with or `archived` a guide's step
        (`step`: its ref, default the first) at the current virtual time. `details` holds what
        Knock's client sends: `channel_id`, `tenant`, `content`, `data`, `metadata`,
        `unthrottled` (archiving then opens no new throttle window)."""
        known = emulator.stores.ENGAGEMENTS
        if status not in known:
            raise emulator.core.DoorstepError(
                f"unknown guide engagement {status!r}; use one of {', '.join(known)}"
            )
        with self._engine.lock:
            if step is None:
                guide = emulator.engine.find_guide(self._engine, guide_key)
                step = guide.steps[0].ref if guide.steps else ""
            return emulator.engine.engage(
                self._engine, user_id, status, guide_key, step, details or {}
            )

    @journaled("emulator")
    def unarchive_guide(self, user_id: str, guide_key: str) -> list[GuideMessage]:
        """Undo `archived` on every step of a guide for `user_id` (it is eligible again)."""
        with self._engine.lock:
            return emulator.engine.unarchive(self._engine, user_id, guide_key)

    @journaled("emulator")
    def reset_guide_engagement(self, user_id: str, guide_key: str) -> int:
        """Forget `user_id`'s engagement with a guide, as Knock's engagement reset does; how
        many step records went."""
        with self._engine.lock:
            return emulator.engine.reset_engagement(self._engine, user_id, guide_key)
