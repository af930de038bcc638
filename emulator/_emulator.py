"""`Emulator`: the public face of the engine (see design.md section 3)."""

from __future__ import annotations

import json
import os
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from emulator._feed import Feed
from emulator.core._clock import Clock
from emulator.core._errors import DoorstepError
from emulator.definitions._channels import Channel, Channels
from emulator.definitions._config import EmulatorConfig, load_config
from emulator.definitions._model import Definitions
from emulator.engine._dispatch import start_trigger
from emulator.engine._engine import Engine
from emulator.engine._events import Event
from emulator.engine._preferences import merge_preference_set, validate_preference_set
from emulator.engine._responders import AiResponder, Responder
from emulator.engine._schedule_requests import new_schedules, schedule_changes
from emulator.engine._state import OpenBatch, RunState
from emulator.engine._targets import TENANTS, parse_entity
from emulator.engine._wiring import wire
from emulator.engine.steps._batch import cancel_member
from emulator.engine.steps._fetch import http_responder as real_http_responder
from emulator.mail import EmailProvider, InProcessProvider, Mailbox
from emulator.stores._entities import USERS
from emulator.stores._messages import Message
from emulator.stores._runs import Run, TriggerResult
from emulator.stores._schedules import Schedule

_SCHEDULE_FIELDS = frozenset({"repeats", "data", "actor", "tenant", "scheduled_at", "ending_at"})


class Emulator(Engine):
    """Runs Knock workflows in process, on a virtual clock, capturing every message."""

    def __init__(
        self,
        definitions: Definitions | None = None,
        *,
        clock: Clock | None = None,
        start: datetime | None = None,
        vars: Mapping[str, Any] | None = None,
        channels: Mapping[str, Mapping[str, Any] | Channel] | None = None,
        mailbox: Mailbox | None = None,
        email_provider: EmailProvider | None = None,
        strict: bool = False,
        seed: int = 0,
        http_responder: Responder | None = None,
        allow_hosts: Collection[str] = (),
        config: EmulatorConfig | str | os.PathLike[str] | None = None,
        require_identified_actor: bool = True,
        ai_responder: AiResponder | None = None,
    ) -> None:
        if config is not None and not isinstance(config, EmulatorConfig):
            config = load_config(config)
        if config is not None:  # explicit arguments win over the config file
            start = start or config.start
            vars = {**config.vars, **(vars or {})}
            channels = {**config.channels, **(channels or {})}
        clock = clock or Clock(start)
        # In-process capture keeps every email: a test must never lose mail to retention.
        self.outbox = mailbox if mailbox is not None else Mailbox(clock=clock, retention=0)
        super().__init__(
            definitions or Definitions(),
            clock=clock,
            channels=Channels(channels),
            email_provider=email_provider or InProcessProvider(self.outbox),
            seed=seed,
            vars=vars,
            strict=strict,
        )
        wire(self)
        self.require_identified_actor = require_identified_actor
        if ai_responder is not None:
            self.ai_responder = ai_responder
        if config is not None and config.environment_preferences is not None:
            self.set_environment_preferences(config.environment_preferences)
        for tenant_id, files in (config.tenant_translations if config else {}).items():
            for name, content in files.items():
                self.templates.env.tenant_translations.setdefault(tenant_id, {})[name] = content
        if http_responder is not None:
            self.http_responder = http_responder
        elif allow_hosts:
            self.http_responder = real_http_responder(set(allow_hosts))

    @classmethod
    def from_directory(cls, path: str | os.PathLike[str], **options: Any) -> Emulator:
        """Load workflows, layouts and partials (our YAML and/or Knock CLI layout) from `path`."""
        from emulator.definitions import load_definitions

        return cls(load_definitions(path), **options)

    # -- recipients ----------------------------------------------------------------------
    def identify(self, user_id: str, **properties: Any) -> dict[str, Any]:
        """Create or deep-merge a user, like Knock's identify (`preferences` merge into sets)."""
        with self.clock.lock:
            user = self.entities.upsert(USERS, user_id, properties, self.clock.now)
            payload = {
                "recipient": user_id,
                "event_type": "recipient.updated",
                "timestamp": self.clock.now.isoformat(),
                "properties": dict(properties),
            }
            self.emit(Event("recipient", "updated", (USERS, user_id), payload=payload))
            return user

    def send_event(
        self,
        event_key: str,
        recipient: Any,
        data: Mapping[str, Any] | None = None,
        *,
        source_key: str | None = None,
    ) -> None:
        """An integration-source event for `recipient`: resolves matching wait_for_event steps."""
        with self.clock.lock:
            ref = parse_entity(recipient, "recipient", self.entities, self.clock.now)
            payload = {
                "data": dict(data or {}),
                "user_id": ref[1],
                "inserted_at": self.clock.now.isoformat(),
            }
            self.emit(
                Event(
                    "integration_source", event_key, ref, "integration_source", source_key, payload
                )
            )

    def delete_user(self, user_id: str) -> bool:
        """Hard-delete a user as Knock does: properties, preferences, channel data,
        subscriptions, schedules, audience memberships, messages and finished runs.

        A run still paused for the user stays, and stops at its next channel step instead of
        sending (Knock's docs on merging users). Returns whether the user existed.
        """
        return self._forget((USERS, user_id))

    def delete_object(self, collection: str, object_id: str) -> bool:
        """Delete an object the way `delete_user` deletes a user; its subscribers are
        unsubscribed too. Returns whether the object existed."""
        return self._forget((collection, object_id))

    def _forget(self, ref: tuple[str, str]) -> bool:
        with self.clock.lock:
            collection, entity_id = ref
            existed = self.entities.get(collection, entity_id) is not None
            for sub in self.entities.subscriptions_of(ref):
                obj = sub["object"]
                self.entities.unsubscribe(str(obj["collection"]), str(obj["id"]), ref)
            for subscriber, _properties in self.entities.subscribers(collection, entity_id):
                self.entities.unsubscribe(collection, entity_id, subscriber)
            for schedule in [s for s in self.schedules_store.by_id.values() if s.recipient == ref]:
                self.schedules_store.remove(schedule.id)
            if collection == USERS:
                for key in list(self.audiences):
                    self.audiences.remove_user(key, entity_id)
            addressed = _reference(ref)
            for message in [m for m in self.messages_store if m.recipient == addressed]:
                self.messages_store.remove(message.id)
            for run_id, rs in list(self.runs_by_id.items()):
                if rs.recipient_ref != ref:
                    continue
                if rs.record.finished:
                    del self.runs_by_id[run_id]
                else:
                    rs.recipient_deleted = True
            # A re-used id starts afresh (Knock's deletion docs): once-per-recipient too.
            self.once_per_recipient = {o for o in self.once_per_recipient if o[1:3] != ref}
            self.entities.delete(collection, entity_id)
            return existed

    def user(self, user_id: str) -> dict[str, Any] | None:
        return self.entities.get(USERS, user_id)

    def set_object(self, collection: str, object_id: str, **properties: Any) -> dict[str, Any]:
        with self.clock.lock:
            return self.entities.upsert(collection, object_id, properties, self.clock.now)

    def set_tenant(self, tenant_id: str, **properties: Any) -> dict[str, Any]:
        """Create or merge a tenant; `settings={"preference_set": {...}}` sets its defaults."""
        with self.clock.lock:
            return self.entities.upsert(TENANTS, tenant_id, properties, self.clock.now)

    def subscribe(
        self,
        collection: str,
        object_id: str,
        recipients: Sequence[Any],
        properties: Mapping[str, Any] | None = None,
    ) -> None:
        """Subscribe recipients to an object so triggers to the object fan out to them."""
        with self.clock.lock:
            for index, raw in enumerate(recipients):
                ref = parse_entity(raw, f"recipients[{index}]", self.entities, self.clock.now)
                self.entities.subscribe(collection, object_id, ref, properties)

    def add_to_audience(
        self, audience_key: str, *user_ids: str, tenant: str | None = None
    ) -> list[str]:
        """Add users to a static audience (idempotent, like Knock's API); returns who entered.

        Users that were not members yet emit the audience `enter` event `wait_for_event` steps
        wait for. Users are identified (upserted) if they do not exist, as Knock does.
        """
        with self.clock.lock:
            now = self.clock.now
            entered = []
            for user_id in user_ids:
                if self.entities.get(USERS, user_id) is None:
                    self.entities.upsert(USERS, user_id, {}, now)
                if self.audiences.add(audience_key, user_id, now, tenant):
                    entered.append(user_id)
                    self._audience_event(audience_key, user_id, "enter")
            return entered

    def remove_from_audience(
        self, audience_key: str, *user_ids: str, tenant: str | None = None
    ) -> list[str]:
        """Remove users from a static audience (idempotent); returns who exited."""
        with self.clock.lock:
            exited = [u for u in user_ids if self.audiences.remove(audience_key, u, tenant)]
            for user_id in exited:
                self._audience_event(audience_key, user_id, "exit")
            return exited

    def _audience_event(self, audience_key: str, user_id: str, transition: str) -> None:
        payload = {
            "audience_id": audience_key,
            "audience_key": audience_key,
            "recipient": user_id,
            "transition": transition,
            "happened_at": self.clock.now.isoformat(),
        }
        ref = (USERS, user_id)
        self.emit(Event("audience", transition, ref, "audience", audience_key, payload))

    def set_preferences(
        self,
        user_id: str,
        preference_set: Mapping[str, Any],
        *,
        set_id: str = "default",
        collection: str = USERS,
    ) -> None:
        """Write one preference set (Knock's PreferenceSet shape) for a user or object.

        Replaces the set, like Knock's API, unless it carries `"__persistence_strategy__": "merge"`.
        """
        validate_preference_set(preference_set)
        with self.clock.lock:
            existing = self.entities.preference_sets(collection, user_id).get(set_id)
            merged = merge_preference_set(existing, preference_set, strategy="replace")
            self.entities.set_preference_set(collection, user_id, set_id, merged)

    def set_tenant_translation(
        self,
        tenant_id: str,
        locale: str,
        content: Mapping[str, Any] | str,
        *,
        namespace: str | None = None,
    ) -> None:
        """Knock's per-tenant translations (`PUT /v1/translations/{locale}?tenant=...`): keys
        here override the base `translations/` files when a run belongs to `tenant_id`.

        `content` is a mapping, or Knock's JSON string form; it replaces this tenant's file.
        """
        if isinstance(content, str):
            try:
                content = json.loads(content)
            except ValueError as exc:
                raise DoorstepError(
                    f"the {locale!r} translation for tenant {tenant_id!r} is not valid JSON "
                    f"({exc}); pass a mapping or a JSON object string"
                ) from None
        if not isinstance(content, Mapping):
            raise DoorstepError(
                f"the {locale!r} translation for tenant {tenant_id!r} must be an object of keys "
                "to text, like {'greeting': 'Hello from Acme'}"
            )
        name = f"{namespace}.{locale}" if namespace else locale
        with self.clock.lock:
            self.templates.env.tenant_translations.setdefault(tenant_id, {})[name] = dict(content)

    def set_environment_preferences(self, preference_set: Mapping[str, Any] | None) -> None:
        """The environment default set (the lowest level of Knock's merge hierarchy)."""
        if preference_set is not None:
            validate_preference_set(preference_set, "environment preferences")
        self.environment_preferences = None if preference_set is None else dict(preference_set)

    # -- triggers ------------------------------------------------------------------------
    def trigger(
        self,
        key: str,
        recipients: Sequence[Any],
        *,
        actor: Any = None,
        data: Mapping[str, Any] | None = None,
        tenant: Any = None,
        cancellation_key: str | None = None,
        settings: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> TriggerResult:
        """Start one run per recipient and execute each until it finishes or parks on a timer."""
        with self.clock.lock:
            return start_trigger(
                self,
                key,
                recipients,
                actor=actor,
                data=data,
                tenant=tenant,
                cancellation_key=cancellation_key,
                settings=dict(settings or {}),
                idempotency_key=idempotency_key,
            )

    def cancel(
        self, key: str, cancellation_key: str, *, recipients: Sequence[Any] | None = None
    ) -> list[Run]:
        """Cancel parked runs (and open batch memberships) of `key` with `cancellation_key`."""
        with self.clock.lock:
            self.workflow(key)
            only = None
            if recipients is not None:
                only = {
                    parse_entity(r, f"recipients[{i}]", self.entities, self.clock.now)
                    for i, r in enumerate(recipients)
                }
            cancelled = []
            for rs in self.runs_by_id.values():
                record = rs.record
                if (
                    record.workflow != key
                    or record.cancellation_key != cancellation_key
                    or (only is not None and rs.recipient_ref not in only)
                ):
                    continue
                if self._cancel_run(rs):
                    cancelled.append(record)
            return cancelled

    def _cancel_run(self, rs: RunState) -> bool:
        slot: OpenBatch | None = rs.batch_slot
        if slot is not None and self.batches.get(slot.identity) is slot:
            if not cancel_member(slot, rs):
                return False
            rs.batch_slot = None
        elif rs.record.status != "waiting":
            return False  # only paused runs can be stopped; finished ones are history
        if rs.waiting is not None:
            rs.waiting.outcome, rs.waiting.ended_at = "cancelled", self.clock.now
        self.finish(rs, "cancelled", "cancelled by cancellation key")
        return True

    # -- schedules -----------------------------------------------------------------------
    def create_schedules(
        self,
        workflow: str,
        recipients: Sequence[Any],
        *,
        repeats: Sequence[Mapping[str, Any]] = (),
        data: Mapping[str, Any] | None = None,
        actor: Any = None,
        tenant: Any = None,
        scheduled_at: datetime | str | None = None,
        ending_at: datetime | str | None = None,
    ) -> list[Schedule]:
        """One schedule per recipient, like Knock's `POST /v1/schedules`; the virtual clock runs
        them. Recurring with `repeats`, or once at `scheduled_at`."""
        with self.clock.lock:
            made = new_schedules(
                self,
                workflow,
                recipients,
                repeats=repeats,
                data=data,
                actor=actor,
                tenant=tenant,
                scheduled_at=scheduled_at,
                ending_at=ending_at,
            )
            return [self.schedules_store.add(schedule) for schedule in made]

    def update_schedules(self, schedule_ids: Sequence[str], **changes: Any) -> list[Schedule]:
        """Apply the same changes to each schedule (`repeats`, `data`, `actor`, `tenant`,
        `scheduled_at`, `ending_at`), like Knock's `PUT /v1/schedules`."""
        with self.clock.lock:
            update = schedule_changes(self, changes)
            found = [self.schedules_store.get(i) for i in schedule_ids]
            for schedule in found:
                for name, value in update.items():
                    setattr(schedule, name, value)
                schedule.updated_at = self.clock.now
                self.schedules_store.arm(schedule, reset_anchors=True)
            return found

    def delete_schedules(self, schedule_ids: Sequence[str]) -> list[Schedule]:
        """Delete schedules; their pending occurrences never fire (runs already started go on)."""
        with self.clock.lock:
            for schedule_id in schedule_ids:
                self.schedules_store.get(schedule_id)  # all or nothing: check every id first
            return [self.schedules_store.remove(i) for i in schedule_ids]

    def schedules(
        self, *, workflow: str | None = None, recipient: str | None = None
    ) -> list[Schedule]:
        """Schedules in creation order, optionally for one workflow and/or recipient id."""
        with self.clock.lock:
            return [
                s
                for s in self.schedules_store.by_id.values()
                if (workflow is None or s.workflow == workflow)
                and (recipient is None or s.recipient_id == recipient)
            ]

    # -- time ----------------------------------------------------------------------------
    def run_until_idle(self) -> int:
        """Jump from timer to timer until nothing is parked; returns how many timers fired."""
        return self.clock.run_until_idle()

    def advance(self, delta: timedelta | None = None, /, **units: float) -> int:
        return self.clock.advance(delta, **units)

    # -- reading -------------------------------------------------------------------------
    def runs(
        self,
        *,
        workflow: str | None = None,
        recipient: str | None = None,
        status: str | None = None,
    ) -> list[Run]:
        """Runs matching every given filter, in start order."""
        with self.clock.lock:  # servers may be starting runs from their threads
            return [
                rs.record
                for rs in self.runs_by_id.values()
                if (workflow is None or rs.record.workflow == workflow)
                and (recipient is None or rs.record.recipient_id == recipient)
                and (status is None or rs.record.status == status)
            ]

    def run(self, run_id: str) -> Run:
        try:
            return self.runs_by_id[run_id].record
        except KeyError:
            raise DoorstepError(f"no run with id {run_id!r}") from None

    def messages(
        self,
        *,
        channel_type: str | None = None,
        recipient: str | None = None,
        workflow: str | None = None,
        step_ref: str | None = None,
        status: str | None = None,
    ) -> list[Message]:
        """Message records matching every given filter, oldest first."""
        with self.clock.lock:
            return self.messages_store.query(
                channel_type=channel_type,
                recipient=recipient,
                workflow=workflow,
                step_ref=step_ref,
                status=status,
            )

    def message(self, message_id: str) -> Message:
        return self.messages_store.get(message_id)

    def feed(self, user_id: str, channel_key: str | None = None) -> Feed:
        return Feed(self, user_id, channel_key)

    def reset(self) -> None:
        """Forget runs, messages, recipients, audiences and captured mail; keep definitions and the
        clock."""
        with self.clock.lock:
            for rs in self.runs_by_id.values():
                if rs.timer is not None:
                    rs.timer.cancel()
            for batch in self.batches.values():
                if batch.timer is not None:
                    batch.timer.cancel()
            self.runs_by_id.clear()
            self.batches.clear()
            self.throttles.clear()
            self.once_per_recipient.clear()
            for wait in self.waits:
                if wait.timer is not None:
                    wait.timer.cancel()
            self.waits.clear()
            self.messages_store.clear()
            self.entities.clear()
            self.audiences.clear()
            self.schedules_store.clear()
            self.idempotency.clear()
            self.outbox.clear()


def _reference(ref: tuple[str, str]) -> str | dict[str, str]:
    return ref[1] if ref[0] == USERS else {"id": ref[1], "collection": ref[0]}
