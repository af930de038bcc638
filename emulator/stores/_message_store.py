"""The message store: every message in creation order, indexed by id, recipient and run.

A message nobody else holds is kept packed (`_packed_messages`): one tuple of plain values the
garbage collector soon stops looking at, where a `Message` keeps five to nine objects it scans.
Packing is invisible: a message is packed only when the store holds the one reference to it
(CPython's reference count says so), some adds after it was stored (the engine is done with it by
then), and any read makes it a `Message` again, kept as such while anyone holds it, so every read
of a held message returns the same object and sees its changes.
"""

from __future__ import annotations

import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import Any, cast

from emulator.stores._messages import Message, UnknownMessageError
from emulator.stores._packed_messages import ROW_INDEX, Row, pack, recipient_id, unpack

__all__ = ["MessageListener", "MessageStore"]

MessageListener = Callable[[Message], None]
_SETTLE = 8  # adds after which a message is offered for packing
_Entry = Message | Row


def _references(entries: dict[str, Any], key: str) -> int:
    """The reference count `_pack` reads of `entries[key]` (the dict's, this frame's, the
    call's: how many depends on the interpreter, so `_ALONE` is measured the same way)."""
    return sys.getrefcount(entries.get(key))


# What `_references` reads of a value only a dict holds; a message counting more is held.
# Only CPython's reference counts tell that nothing else holds a message.
_ALONE = _references({"probe": object()}, "probe")
_PACKS = sys.implementation.name == "cpython"


class MessageStore:
    """Every message in creation order, indexed by id; listeners hear of each new one."""

    def __init__(self) -> None:
        self._by_id: dict[str, _Entry] = {}
        # Indexes (dicts keep insertion order, so each is oldest first): the recipient and
        # run never change once stored, except through `readdress`. Ids only, so a dict of
        # them holds no object the collector tracks.
        self._by_recipient: dict[str, dict[str, None]] = {}
        # A run's message ids as a tuple: untracked by the collector, unlike a dict per run.
        self._by_run: dict[str, tuple[str, ...]] = {}
        self._listeners: tuple[MessageListener, ...] = ()
        self._fresh: deque[str] = deque()  # ids of messages to offer for packing, oldest first
        self._message_listeners: list[Callable[[Message, str], None]] = []  # rows name them
        self._shapes: dict[tuple[str, ...], tuple[str, ...]] = {}  # content keys, shared

    def add(self, message: Message) -> None:
        """Store `message`, then tell every listener (a failing listener is logged, the
        others still hear it and the engine goes on)."""
        self._by_id[message.id] = message
        self._by_recipient.setdefault(message.recipient_id, {})[message.id] = None
        self._by_run[message.run_id] = (*self._by_run.get(message.run_id, ()), message.id)
        for listener in self._listeners:
            try:
                listener(message)
            except Exception:
                import logging  # only when a listener fails

                logging.getLogger(__name__).exception(
                    "message listener %r failed on %s", listener, message.id
                )
        self._settle(message.id)

    def _settle(self, message_id: str) -> None:
        """Queue `message_id` for packing; offer the oldest queued ones (two per call, so the
        queue shrinks when reads have refilled it)."""
        fresh = self._fresh
        fresh.append(message_id)
        for _ in range(2):
            if len(fresh) <= _SETTLE:
                break
            self._pack(fresh.popleft())

    def _pack(self, message_id: str) -> None:
        if not _PACKS or type(self._by_id.get(message_id)) is not Message:
            return  # gone, packed already, or of a subclass (which a row would not give back)
        if _references(self._by_id, message_id) > _ALONE:
            self._fresh.append(message_id)  # held: offered again once the queue comes round
            return
        row = pack(cast(Message, self._by_id[message_id]), self._message_listeners, self._shapes)
        if row is not None:
            self._by_id[message_id] = row

    def _message(self, message_id: str, entry: _Entry) -> Message:
        """The stored message as a `Message` (unpacked, and kept so, when it was packed)."""
        if isinstance(entry, Message):
            return entry
        message = unpack(entry, self._message_listeners)
        self._by_id[message_id] = message
        self._fresh.append(message_id)  # packed again once nobody holds it
        return message

    def subscribe(self, listener: MessageListener) -> Callable[[], None]:
        """Call `listener(message)` for every message added from now on (they outlive
        `clear()`); returns `unsubscribe`. The owner's lock guards both calls."""
        self._listeners = (*self._listeners, listener)

        def unsubscribe() -> None:
            remaining = list(self._listeners)
            if listener in remaining:
                remaining.remove(listener)
                self._listeners = tuple(remaining)

        return unsubscribe

    def get(self, message_id: str) -> Message:
        try:
            entry = self._by_id[message_id]
        except KeyError:
            raise UnknownMessageError(
                f"no message with id {message_id!r}; list ids with emulator.messages()"
            ) from None
        return self._message(message_id, entry)

    def remove(self, message_id: str) -> Message:
        """Delete one message (Knock's bulk `delete` action); raises UnknownMessageError."""
        message = self.get(message_id)
        self._discard(message_id)
        return message

    def _discard(self, message_id: str) -> None:
        entry = self._by_id.pop(message_id)
        _unindex(self._by_recipient, _recipient_id(entry), message_id)
        run_id = entry.run_id if isinstance(entry, Message) else entry[ROW_INDEX["run_id"]]
        kept = tuple(i for i in self._by_run.get(run_id, ()) if i != message_id)
        if kept:
            self._by_run[run_id] = kept
        else:
            self._by_run.pop(run_id, None)

    def remove_run(self, run_id: str) -> int:
        """Delete every message of one run (run retention forgets them with the run)."""
        doomed = [i for i in self._by_run.get(run_id, ()) if i in self._by_id]
        for message_id in doomed:
            self._discard(message_id)
        return len(doomed)

    def readdress(self, messages: Iterable[Message], recipient: str) -> None:
        """Move stored messages to another user (a user merge), keeping the indexes true and
        the new recipient's messages in creation order."""
        for message in messages:
            _unindex(self._by_recipient, message.recipient_id, message.id)
            message.recipient = recipient
        self._by_recipient[recipient] = {
            i: None for i, entry in self._by_id.items() if _recipient_id(entry) == recipient
        }

    def __iter__(self) -> Iterator[Message]:
        for message_id, entry in self._by_id.items():
            yield self._message(message_id, entry)

    def __len__(self) -> int:
        return len(self._by_id)

    def clear(self) -> None:
        self._by_id.clear()
        self._by_recipient.clear()
        self._by_run.clear()
        self._fresh.clear()
        self._message_listeners.clear()
        self._shapes.clear()

    def query(
        self,
        *,
        channel_type: str | None = None,
        recipient: str | None = None,
        workflow: str | None = None,
        step_ref: str | None = None,
        run_id: str | None = None,
        status: str | None = None,
        tenant: str | None = None,
    ) -> list[Message]:
        """Messages matching every given filter, oldest first (packed ones are read as they are
        and only the matches unpacked)."""
        ids: Iterable[str]
        if recipient is not None:
            ids = self._by_recipient.get(recipient, {})
        elif run_id is not None:
            ids = self._by_run.get(run_id, ())
        else:
            ids = self._by_id
        wanted = {
            name: value
            for name, value in (
                ("channel_type", channel_type),
                ("workflow", workflow),
                ("step_ref", step_ref),
                ("run_id", run_id),
                ("status", status),
                ("tenant", tenant),
            )
            if value is not None
        }
        by_id = self._by_id
        return [
            self._message(i, by_id[i])
            for i in ids
            if (recipient is None or _recipient_id(by_id[i]) == recipient)
            and all(_field(by_id[i], name) == value for name, value in wanted.items())
        ]


def _field(entry: _Entry, name: str) -> Any:
    return getattr(entry, name) if isinstance(entry, Message) else entry[ROW_INDEX[name]]


def _recipient_id(entry: _Entry) -> Any:
    return entry.recipient_id if isinstance(entry, Message) else recipient_id(entry)


def _unindex(index: dict[str, dict[str, None]], key: str, message_id: str) -> None:
    entry = index.get(key)
    if entry is not None:
        entry.pop(message_id, None)
        if not entry:
            del index[key]
