"""The message store's run index: each run's message ids as one tuple (which the collector stops
tracking), kept true through adds, removals and run removal."""

from __future__ import annotations

import gc
from datetime import UTC, datetime

import pytest

from emulator.stores import Message, MessageStore

_AT = datetime(2025, 1, 1, tzinfo=UTC)


def _message(n: int, run: str) -> Message:
    return Message(f"m{n}", "email", None, "u1", "w", "s", run, "wr", {}, _AT)


@pytest.mark.parametrize(
    ("runs", "removed", "dropped_run"),
    [
        (["r1"], [], None),
        (["r1", "r2", "r1", "r1"], ["m2"], None),
        (["r1", "r2", "r1"], ["m0", "m2"], "r2"),
        (["r1", "r1"], [], "r1"),
    ],
)
def test_messages_by_run_follow_adds_and_removals(
    runs: list[str], removed: list[str], dropped_run: str | None
) -> None:
    store = MessageStore()
    model = [_message(n, run) for n, run in enumerate(runs)]
    for message in model:
        store.add(message)
    for message_id in removed:
        store.remove(message_id)
    model = [m for m in model if m.id not in removed]
    if dropped_run is not None:
        assert store.remove_run(dropped_run) == sum(m.run_id == dropped_run for m in model)
        model = [m for m in model if m.run_id != dropped_run]
    for run in {*runs, "r9"}:
        assert store.query(run_id=run) == [m for m in model if m.run_id == run]
    assert list(store) == model
    gc.collect()
    assert not any(gc.is_tracked(ids) for ids in store._by_run.values())
