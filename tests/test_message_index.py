"""The message store's indexes answer exactly what a scan of every message answers."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from emulator import Message
from emulator.stores import MessageStore

AT = datetime(2025, 1, 1, tzinfo=UTC)


def _message(n: int, recipient: str | dict[str, str]) -> Message:
    return Message(
        id=f"m{n}",
        channel_type="in_app_feed" if n % 2 else "email",
        channel_key=None,
        recipient=recipient,
        workflow="w",
        step_ref="s",
        run_id=f"r{n % 3}",
        workflow_run_id="x",
        content={},
        inserted_at=AT,
    )


def _filled() -> MessageStore:
    store = MessageStore()
    for n in range(12):
        store.add(_message(n, ["a", "b", {"id": "o1", "collection": "c"}][n % 3]))
    return store


def _scan(store: MessageStore, **filters: str) -> list[str]:
    return [
        m.id
        for m in store
        if all(
            (m.recipient_id if k == "recipient" else getattr(m, k)) == v for k, v in filters.items()
        )
    ]


def _remove(store: MessageStore) -> None:
    store.remove("m0")
    store.remove("m4")


def _readdress(store: MessageStore) -> None:
    store.readdress([m for m in store if m.recipient == "b"], "a")


def _clear_and_refill(store: MessageStore) -> None:
    store.clear()
    store.add(_message(20, "b"))


@pytest.mark.parametrize("change", [None, _remove, _readdress, _clear_and_refill])
@pytest.mark.parametrize(
    "filters",
    [
        {"recipient": "a"},
        {"recipient": "b"},
        {"recipient": "o1"},
        {"recipient": "nobody"},
        {"run_id": "r1"},
        {"run_id": "r1", "recipient": "a"},
        {"recipient": "a", "channel_type": "email"},
        {"channel_type": "in_app_feed"},
    ],
)
def test_indexed_queries_match_a_scan(change: object, filters: dict[str, str]) -> None:
    store = _filled()
    if callable(change):
        change(store)
    assert [m.id for m in store.query(**filters)] == _scan(store, **filters)


def test_readdressed_messages_keep_creation_order() -> None:
    store = _filled()
    _readdress(store)
    assert [m.id for m in store.query(recipient="a")] == [f"m{n}" for n in range(12) if n % 3 < 2]
