"""Messages the store alone holds are kept packed (`stores/_packed_messages.py`): every read
gives a `Message` equal to the one stored, a held message is never packed (reads return that
very object and see its changes), and filters, removals, merges and snapshots see packed
messages as they saw whole ones."""

from __future__ import annotations

import copy
import gc
import pickle
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from emulator import Emulator
from emulator.stores import DeliveryAttempt, Message, MessageStore
from emulator.stores._packed_messages import pack, unpack

_AT = datetime(2025, 1, 1, tzinfo=UTC)
_WHEN = st.builds(lambda s: _AT + timedelta(seconds=s), st.integers(0, 10**6))
_ATOMS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
_JSON = st.recursive(
    _ATOMS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=8,
)
_REF = st.text(min_size=1) | st.builds(
    lambda i, c: {"id": i, "collection": c}, st.text(), st.text()
)


def _listener(message: Message, key: str) -> None:
    """A listener a message carries (rows name it by its place in the store's list)."""


@st.composite
def _messages(draw: st.DrawFn) -> Message:
    text, maybe_text, maybe_when = st.text(), st.none() | st.text(), st.none() | _WHEN
    return Message(
        id=draw(st.text(min_size=1)),
        channel_type=draw(st.sampled_from(["email", "in_app_feed", "sms"])),
        channel_key=draw(maybe_text),
        recipient=draw(_REF),
        workflow=draw(text),
        step_ref=draw(text),
        run_id=draw(text),
        workflow_run_id=draw(text),
        content=draw(st.dictionaries(st.text(), _ATOMS) | st.dictionaries(st.text(), _JSON)),
        inserted_at=draw(_WHEN),
        actors=draw(st.lists(_REF, max_size=3)),
        tenant=draw(maybe_text),
        categories=tuple(draw(st.lists(text, max_size=2))),
        data=draw(st.dictionaries(st.text(), _JSON, max_size=4)),
        status=draw(st.sampled_from(["queued", "sent", "delivered"])),
        updated_at=draw(maybe_when),
        scheduled_at=draw(maybe_when),
        seen_at=draw(maybe_when),
        read_at=draw(maybe_when),
        archived_at=draw(maybe_when),
        batch=draw(st.none() | st.dictionaries(st.text(), _JSON, max_size=3)),
        events=tuple(draw(st.lists(st.tuples(text, _WHEN), max_size=3))),
        attempts=draw(st.integers(0, 8)),
        error=draw(maybe_text),
        deliveries=tuple(
            draw(
                st.lists(
                    st.builds(DeliveryAttempt, _WHEN, st.booleans(), maybe_text, st.none()),
                    max_size=2,
                )
            )
        ),
        provider_id=draw(maybe_text),
        metadata=draw(st.none() | st.dictionaries(st.text(), _JSON, max_size=3)),
        listener=draw(st.sampled_from([None, _listener])),
    )


def _shape(value: Any) -> Any:
    """`value` with every container's type spelled out (equality alone says 1 == True)."""
    if isinstance(value, dict):
        return ("dict", [(_shape(k), _shape(v)) for k, v in value.items()])
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, [_shape(v) for v in value])
    return (type(value).__name__, repr(value))


def _read(message: Message) -> Any:
    fields = [getattr(message, name) for name in Message.__dataclass_fields__ if name != "listener"]
    return message, _shape(fields), message.listener


@given(st.lists(_messages(), min_size=1, max_size=4))
def test_a_packed_message_unpacks_to_the_message_it_was(messages: list[Message]) -> None:
    listeners: list[Any] = []
    shapes: dict[tuple[str, ...], tuple[str, ...]] = {}
    rows = [pack(m, listeners, shapes) for m in messages]
    assert all(row is not None for row in rows)
    for message, row in zip(messages, rows, strict=True):
        assert row is not None
        assert _read(unpack(row, listeners)) == _read(message)
        again = unpack(row, listeners)
        again.content["changed"] = again.actors.append("x")  # a copy: the row keeps its own
        assert _read(unpack(row, listeners)) == _read(message)
    kept = pickle.loads(pickle.dumps((rows, [None if f is None else 0 for f in listeners])))
    for message, row in zip(messages, kept[0], strict=True):
        assert unpack(row, listeners) == message  # rows survive a `serve --data-dir` snapshot


def test_a_message_with_a_value_marshal_refuses_stays_whole() -> None:
    message = Message("m1", "email", None, "u1", "w", "s", "r", "wr", {}, _AT, data={"at": _AT})
    assert pack(message, [], {}) is None


def _stored(n: int, **fields: Any) -> Message:
    defaults: dict[str, Any] = {"recipient": f"u{n % 3}", "run_id": f"r{n % 4}"}
    defaults.update(fields)
    return Message(
        f"m{n}",
        ["email", "in_app_feed"][n % 2],
        None,
        workflow=f"w{n % 2}",
        step_ref="s",
        workflow_run_id="wr",
        content={"subject": f"hello {n}", "n": n},
        inserted_at=_AT,
        actors=[f"a{n}"],
        data={"n": n, "nested": {"list": [n]}},
        batch={"key": "k", "run_ids": [f"r{n}"]} if n % 3 == 0 else None,
        **defaults,
    )


def _filled(count: int) -> tuple[MessageStore, list[Message]]:
    """A store of `count` messages the test does not hold, and a copy of each to compare."""
    store, expected = MessageStore(), []
    for n in range(count):
        message = _stored(n)
        expected.append(copy.deepcopy(message))
        store.add(message)
        del message
    return store, expected


def _packed(store: MessageStore) -> int:
    return sum(type(entry) is tuple for entry in store._by_id.values())


def test_messages_nobody_holds_are_packed_and_read_back_equal() -> None:
    store, expected = _filled(40)
    assert _packed(store) >= 30  # all but the newest few, which settle first
    assert list(store) == expected
    assert _packed(store) == 0  # read: whole again, while the reader holds them


def test_a_held_message_is_never_packed_and_reads_return_it() -> None:
    store = MessageStore()
    held = _stored(0)
    store.add(held)
    for n in range(1, 40):
        store.add(_stored(n))
    assert store.get("m0") is held
    held.status = "sent"  # a change through the held object is what every read sees
    assert store.query(status="sent") == [held]
    assert store.query(status="sent")[0] is held


def test_a_read_message_stays_itself_while_held_and_packs_once_let_go() -> None:
    store, _ = _filled(20)
    first = store.get("m0")
    assert store.get("m0") is first
    first.set_engagement("read", True, _AT)
    for n in range(20, 60):
        store.add(_stored(n))
    assert type(store._by_id["m0"]) is Message  # still held by `first`
    del first
    for n in range(60, 100):
        store.add(_stored(n))
    assert type(store._by_id["m0"]) is tuple
    assert store.get("m0").read_at == _AT  # the change was packed with it


FILTERS = [
    {"channel_type": "email"},
    {"recipient": "u1"},
    {"workflow": "w1", "step_ref": "s"},
    {"run_id": "r2"},
    {"status": "queued", "tenant": None},
    {"recipient": "u2", "channel_type": "in_app_feed", "run_id": "r1"},
]


@pytest.mark.parametrize("filters", FILTERS)
def test_queries_see_packed_messages_as_whole_ones(filters: dict[str, Any]) -> None:
    store, expected = _filled(50)
    wanted = [
        m
        for m in expected
        if all(
            (m.recipient_id if name == "recipient" else getattr(m, name)) == value
            for name, value in filters.items()
        )
    ]
    assert wanted
    assert store.query(**filters) == wanted


def test_removals_and_merges_keep_packed_messages_indexed() -> None:
    store, expected = _filled(50)
    assert store.remove_run("r1") == sum(m.run_id == "r1" for m in expected)
    assert store.remove("m2") == expected[2]
    kept = [m for m in expected if m.run_id != "r1" and m.id != "m2"]
    assert list(store) == kept
    moved = [m for m in store if m.recipient == "u0"]
    store.readdress(moved, "u9")
    del moved
    for n in range(50, 90):
        store.add(_stored(n, recipient="v1"))
    assert [m.id for m in store.query(recipient="u9")] == [
        m.id for m in kept if m.recipient == "u0"
    ]
    assert store.query(recipient="u0") == []


def test_packed_rows_leave_the_collectors_view() -> None:
    store, _ = _filled(40)
    for _ in range(3):  # each level of tuples inside (events hold tuples) takes one more pass
        gc.collect()
    rows = [entry for entry in store._by_id.values() if type(entry) is tuple]
    assert rows
    assert not any(gc.is_tracked(row) for row in rows)


def test_an_emulator_snapshot_keeps_packed_messages(tmp_path: Any) -> None:
    from emulator._snapshot import dump_state, load_state

    def made() -> Emulator:
        emu = Emulator.from_directory("fixtures/workflows", config="fixtures/doorstep.yaml")
        emu.identify("u1", email="u1@example.com", name="U1")
        return emu

    emu = made()
    for n in range(30):
        emu.trigger("invoice-created", ["u1"], data={"invoice_id": f"i{n}", "amount": n})
    emu.advance(days=2)
    store = emu._engine.messages_store
    assert _packed(store) > 0
    before = [(_read(m)[1], m.listener is emu._engine.message_listener) for m in store]
    assert before
    again = made()
    load_state(again, None, dump_state(emu))
    after = [(_read(m)[1], m.listener is again._engine.message_listener) for m in again.messages()]
    assert after == before


class _OwnMessage(Message):
    """A subclass an app might store: a row would give back a plain `Message`."""


def test_a_message_of_a_subclass_stays_itself() -> None:
    store = MessageStore()
    store.add(_OwnMessage("m0", "email", None, "u1", "w", "s", "r", "wr", {}, _AT))
    for n in range(1, 40):
        store.add(_stored(n))
    assert type(store.get("m0")) is _OwnMessage
