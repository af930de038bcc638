"""The `Emulator`'s reads and writes of messages: queries, engagement, metadata, deletion, the
email a message becomes, and the in-app feed."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from emulator.core import journaled

if TYPE_CHECKING:
    from emulator._feed import Feed
    from emulator.core import Recorder
    from emulator.engine import Engine
    from emulator.mail import OutgoingEmail
    from emulator.stores import Message


class MessagesFacade:
    """Mixed into `Emulator`; every method takes the engine's lock."""

    _engine: Engine
    _journal: Recorder | None

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
        with self._engine.lock:
            return self._engine.messages_store.query(
                channel_type=channel_type,
                recipient=recipient,
                workflow=workflow,
                step_ref=step_ref,
                status=status,
            )

    def message(self, message_id: str) -> Message:
        """One message by id; raises UnknownMessageError (a KeyError) naming the id."""
        with self._engine.lock:
            return self._engine.messages_store.get(message_id)

    @journaled("emulator")
    def mark_message(self, message_id: str, status: str, on: bool = True) -> Message:
        """Set (on) or clear an engagement status (`seen`, `read`, `interacted`,
        `link_clicked`, `archived`) at the current virtual time; later step conditions and
        `wait_for_event` steps see it."""
        with self._engine.lock:
            message = self._engine.messages_store.get(message_id)
            message.set_engagement(status, on, self._engine.clock.now)
            return message

    @journaled("emulator")
    def set_message_metadata(self, message_id: str, metadata: Mapping[str, Any]) -> Message:
        """Attach the app's metadata to a message (Knock's `Message.metadata`, sent when
        marking it interacted); replaces what was there."""
        with self._engine.lock:
            message = self._engine.messages_store.get(message_id)
            message.metadata = dict(metadata)
            return message

    @journaled("emulator")
    def delete_message(self, message_id: str) -> Message:
        """Delete a message (Knock's bulk `delete` action) with its metadata; returns it."""
        with self._engine.lock:
            return self._engine.messages_store.remove(message_id)

    def outgoing_email(self, message_id: str) -> OutgoingEmail:
        """The email an email message is handed to the provider as (from, to, subject, bodies,
        headers), built from the message and its channel's settings."""
        with self._engine.lock:
            message = self._engine.messages_store.get(message_id)
            channel = self._engine.channels.resolve(message.channel_key, "email")
            return self._engine.delivery.outgoing_email(message, channel)

    def subscribe_messages(self, callback: Callable[[Message], None]) -> Callable[[], None]:
        """Call `callback(message)` for every message created from now on, whether a trigger
        (Python or HTTP), a schedule or the clock (a batch closing, a delay ending) made it;
        returns `unsubscribe`. The callback runs on the thread that made the message with the
        engine's lock held, after rendering and before delivery: keep it quick and hand work
        off (e.g. `loop.call_soon_threadsafe`); an exception in it is logged, never raised
        into the run. Subscriptions outlive `reset()`."""
        with self._engine.lock:
            unsubscribe = self._engine.messages_store.subscribe(callback)

        def locked_unsubscribe() -> None:
            with self._engine.lock:
                unsubscribe()

        return locked_unsubscribe

    def feed(self, user_id: str, channel_key: str | None = None) -> Feed:
        """The user's in-app feed (optionally one in-app channel), as Knock's feed API lists it."""
        from emulator._feed import Feed  # with the first feed read

        return Feed(self, user_id, channel_key)
