"""The `Emulator`'s reads and writes of users, tenants, objects, subscriptions, preference sets,
channel data and audiences: what the Knock API and tests need, without reaching into a store.

Reads return copies, so changing a returned dict never changes the emulator behind its back.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

# binds `emulator`: the other packages load on first use (the engine with the first Emulator)
import emulator.core
from emulator.core import journaled

if TYPE_CHECKING:
    import emulator.engine
    from emulator.core import Recorder
    from emulator.engine import Engine
    from emulator.stores import Membership, Ref, Subscription

# Knock's collection names, `emulator.core.USERS` and `TENANTS` (a test checks they agree),
# written out: importing their module for two strings costs `from emulator import Emulator` a
# module more to find and read.
USERS = "$users"
TENANTS = "$tenants"


def _copy(entity: dict[str, Any] | None) -> dict[str, Any] | None:
    return None if entity is None else copy.deepcopy(entity)


class RecipientsFacade:
    """Mixed into `Emulator`; every method takes the engine's lock."""

    _engine: Engine
    _journal: Recorder | None

    # -- users ---------------------------------------------------------------------------
    @journaled("emulator")
    def identify(self, user_id: str, /, **properties: Any) -> dict[str, Any]:
        """Create or deep-merge a user, like Knock's identify (`preferences` merge into sets)."""
        with self._engine.lock:
            return copy.deepcopy(emulator.engine.identify(self._engine, user_id, properties))

    def user(self, user_id: str) -> dict[str, Any] | None:
        """The stored user (id, properties, `created_at`, `updated_at`), or None."""
        with self._engine.lock:
            return _copy(self._engine.entities.get(USERS, user_id))

    def users(self) -> list[dict[str, Any]]:
        """Every user, in the order they were first identified."""
        with self._engine.lock:
            return copy.deepcopy(self._engine.entities.all(USERS))

    @journaled("emulator")
    def delete_user(self, user_id: str) -> bool:
        """Hard-delete a user as Knock does: properties, preferences, channel data,
        subscriptions, schedules, audience memberships, messages and finished runs.

        A run still paused for the user stays, and stops at its next channel step instead of
        sending (Knock's docs on merging users). Returns whether the user existed.
        """
        with self._engine.lock:
            return emulator.engine.forget(self._engine, (USERS, user_id))

    @journaled("emulator")
    def merge_users(self, user_id: str, from_user_id: str) -> dict[str, Any]:
        """Knock's user merge: `from_user_id`'s properties, preference sets, channel data and
        last 30 days of messages and finished runs move to `user_id` (which wins conflicts),
        then `from_user_id` is deleted. Returns the merged user."""
        with self._engine.lock:
            return copy.deepcopy(emulator.engine.merge_users(self._engine, user_id, from_user_id))

    # -- objects -------------------------------------------------------------------------
    @journaled("emulator")
    def set_object(self, collection: str, object_id: str, /, **properties: Any) -> dict[str, Any]:
        """Create or deep-merge an object (no event: objects are not waited on)."""
        with self._engine.lock:
            stored = self._engine.entities.upsert(
                collection, object_id, properties, self._engine.clock.now
            )
            return copy.deepcopy(stored)

    def object(self, collection: str, object_id: str) -> dict[str, Any] | None:
        """The stored object, or None. `collection` may also be `USERS` or `TENANTS`."""
        with self._engine.lock:
            return _copy(self._engine.entities.get(collection, object_id))

    def objects(self, collection: str) -> list[dict[str, Any]]:
        """Every object of `collection`, in the order they were first set."""
        with self._engine.lock:
            return copy.deepcopy(self._engine.entities.all(collection))

    @journaled("emulator")
    def delete_object(self, collection: str, object_id: str) -> bool:
        """Delete an object the way `delete_user` deletes a user; its subscribers are
        unsubscribed too. Returns whether the object existed."""
        with self._engine.lock:
            return emulator.engine.forget(self._engine, (collection, object_id))

    # -- tenants -------------------------------------------------------------------------
    @journaled("emulator")
    def set_tenant(self, tenant_id: str, /, **properties: Any) -> dict[str, Any]:
        """Create or merge a tenant; `settings={"preference_set": {...}}` merges into its
        default set (`"__persistence_strategy__": "replace"` overwrites it, None removes it)."""
        with self._engine.lock:
            return copy.deepcopy(emulator.engine.set_tenant(self._engine, tenant_id, properties))

    def tenant(self, tenant_id: str) -> dict[str, Any] | None:
        """The stored tenant (with `settings.preference_set`, its default set), or None."""
        with self._engine.lock:
            return _copy(self._engine.entities.get(TENANTS, tenant_id))

    def tenants(self) -> list[dict[str, Any]]:
        """Every tenant, in the order they were first set."""
        with self._engine.lock:
            return copy.deepcopy(self._engine.entities.all(TENANTS))

    @journaled("emulator")
    def delete_tenant(self, tenant_id: str) -> bool:
        """Delete a tenant and its settings; runs and messages keep naming it. Returns whether
        the tenant existed."""
        with self._engine.lock:
            return self._engine.entities.delete(TENANTS, tenant_id)

    # -- subscriptions -------------------------------------------------------------------
    @journaled("emulator")
    def subscribe(
        self,
        collection: str,
        object_id: str,
        recipients: Sequence[Any],
        properties: Mapping[str, Any] | None = None,
    ) -> list[Subscription]:
        """Subscribe recipients to an object so triggers to the object fan out to them.

        Each subscription is stamped `inserted_at` now; subscribing again replaces its
        properties and stamps it afresh, as Knock does.
        """
        with self._engine.lock:
            return emulator.engine.subscribe(
                self._engine, collection, object_id, recipients, properties
            )

    @journaled("emulator")
    def unsubscribe(
        self, collection: str, object_id: str, recipients: Sequence[Any]
    ) -> list[Subscription]:
        """Remove subscriptions (recipients as `subscribe` takes them); returns those that
        existed."""
        with self._engine.lock:
            return emulator.engine.unsubscribe(self._engine, collection, object_id, recipients)

    def subscriptions(self, collection: str, object_id: str) -> list[Subscription]:
        """The object's subscriptions, in the order they were made."""
        with self._engine.lock:
            return self._engine.entities.subscriptions(collection, object_id)

    def subscriptions_for(self, recipient: Ref) -> list[Subscription]:
        """Every subscription of a (collection, id) recipient, e.g. `(USERS, "u1")`."""
        with self._engine.lock:
            return self._engine.entities.subscriptions_for(recipient)

    # -- preferences ---------------------------------------------------------------------
    @journaled("emulator")
    def set_preferences(
        self,
        user_id: str,
        preference_set: Mapping[str, Any],
        *,
        set_id: str = "default",
        collection: str = USERS,
    ) -> dict[str, Any]:
        """Write one preference set (Knock's PreferenceSet shape) for a user or object.

        Replaces the set, like Knock's API, unless it carries `"__persistence_strategy__": "merge"`.
        Returns the stored set.
        """
        with self._engine.lock:
            return emulator.engine.set_preferences(
                self._engine, collection, user_id, set_id, preference_set
            )

    @journaled("emulator")
    def merge_preferences(
        self,
        user_id: str,
        preference_set: Mapping[str, Any],
        *,
        set_id: str = "default",
        collection: str = USERS,
    ) -> None:
        """Deep-merge into one set, as inline `preferences` of an identify do (a set carrying
        `"__persistence_strategy__": "replace"` replaces it). Not validated: check it first."""
        with self._engine.lock:
            emulator.engine.merge_preferences(
                self._engine, collection, user_id, set_id, preference_set
            )

    def preference_sets(self, user_id: str, *, collection: str = USERS) -> dict[str, Any]:
        """Every stored preference set of a user or object, by set id (`default`, tenant ids)."""
        with self._engine.lock:
            return copy.deepcopy(self._engine.entities.preference_sets(collection, user_id))

    @journaled("emulator")
    def delete_preferences(
        self, user_id: str, *, set_id: str = "default", collection: str = USERS
    ) -> bool:
        """Delete one preference set; returns whether it existed."""
        with self._engine.lock:
            entities = self._engine.entities
            return entities.delete_preference_set(collection, user_id, set_id)

    # -- channel data --------------------------------------------------------------------
    @journaled("emulator")
    def set_channel_data(
        self,
        collection: str,
        entity_id: str,
        channel_data: Mapping[str, Mapping[str, Any] | None],
    ) -> dict[str, Any]:
        """Set (a mapping) or unset (None) the channel data of a user or object, by channel key,
        where push and chat steps read it; creates a missing user or object. Returns it."""
        with self._engine.lock:
            stored = emulator.engine.set_channel_data(
                self._engine, collection, entity_id, channel_data
            )
            return copy.deepcopy(stored)

    # -- audiences -----------------------------------------------------------------------
    @journaled("emulator")
    def add_to_audience(
        self, audience_key: str, *user_ids: str, tenant: str | None = None
    ) -> list[str]:
        """Add users to a static audience (idempotent, like Knock's API); returns who entered.

        Users that were not members yet emit the audience `enter` event `wait_for_event` steps
        wait for. Users are identified (upserted) if they do not exist, as Knock does.
        """
        with self._engine.lock:
            return emulator.engine.add_to_audience(self._engine, audience_key, user_ids, tenant)

    @journaled("emulator")
    def remove_from_audience(
        self, audience_key: str, *user_ids: str, tenant: str | None = None
    ) -> list[str]:
        """Remove users from a static audience (idempotent); returns who exited."""
        with self._engine.lock:
            return emulator.engine.remove_from_audience(
                self._engine, audience_key, user_ids, tenant
            )

    def audiences(self) -> list[str]:
        """Keys of the audiences that ever had a member, in the order they got one."""
        with self._engine.lock:
            return list(self._engine.audiences)

    def audience_members(self, audience_key: str) -> list[Membership]:
        """An audience's memberships (user, tenant, `added_at`) in the order they were added."""
        with self._engine.lock:
            return self._engine.audiences.members(audience_key)

    # -- events --------------------------------------------------------------------------
    @journaled("emulator")
    def send_event(
        self,
        event_key: str,
        recipient: Any,
        data: Mapping[str, Any] | None = None,
        *,
        source_key: str | None = None,
    ) -> None:
        """An integration-source event for `recipient`: resolves matching wait_for_event steps."""
        with self._engine.lock:
            emulator.engine.send_event(self._engine, event_key, recipient, data, source_key)
