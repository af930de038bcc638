"""The address caches (`_model.addresses`/`address_of`, the send validation's `_simple`) answer
what matching the expressions again answers, on a first read, a repeated one, and after the
cache was emptied for being full."""

from __future__ import annotations

import threading
from email.utils import getaddresses, parseaddr

import pytest
from hypothesis import given
from hypothesis import strategies as st

from emulator.mail import Mailbox, OutgoingEmail, _model
from emulator.mail import _resend_validation as validation
from emulator.mail._model import _NAMED, _PLAIN, address_of, addresses

VALUES = st.one_of(
    st.sampled_from(
        [
            "a@b.co",
            "Ada <ada@example.com>",
            "a@b.co\n",
            '"Lovelace, Ada" <ada@example.com>',
            "ada@example.com, bob@example.com",
            "Ada (work) <ada@example.com>",
            "not an address",
            "",
            "O'Neil <o.neil+x@mail.example.co.uk>",
        ]
    ),
    st.text(alphabet="ab@.<>\"', ()\n-+", max_size=20),
)


def _addresses_again(values: list[str]) -> list[str]:
    out: list[str] = []
    for value in values:
        if _PLAIN.match(value):
            out.append(value)
        elif named := _NAMED.match(value):
            out.append(named.group(1))
        else:
            out.extend(addr for _, addr in getaddresses([value]) if addr)
    return out


def _address_of_again(value: str) -> str:
    if _PLAIN.fullmatch(value):
        return value
    named = _NAMED.fullmatch(value)
    return named.group(1) if named else parseaddr(value)[1]


@given(st.lists(VALUES, max_size=4))
def test_cached_answers_are_the_expressions_answers(values: list[str]) -> None:
    for _ in range(2):  # the first read fills the cache, the second reads it
        assert addresses(values) == _addresses_again(values)
        assert [address_of(v) for v in values] == [_address_of_again(v) for v in values]
        assert [validation._simple(v) for v in values] == [
            validation._SIMPLE.match(v) is not None for v in values
        ]


def test_the_caches_stay_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    for cache in (_model._MANY, _model._ONE, validation._SIMPLE_SEEN):
        monkeypatch.setattr(cache, "limit", 8)
    for n in range(50):
        value = f"u{n} <u{n}@example.com>"
        assert addresses([value]) == [f"u{n}@example.com"]
        assert address_of(value) == f"u{n}@example.com"
        assert validation._simple(value)
    assert len(_model._MANY) <= 8
    assert len(_model._ONE) <= 8
    assert len(validation._SIMPLE_SEEN) <= 8


def test_a_capture_wakes_a_waiting_wait_for() -> None:
    """`_put` notifies only while someone waits: a capture made while `wait_for` waits (the
    waiter's lock released by its wait) must wake it, or it would time out."""
    box = Mailbox()
    waiting, found = threading.Event(), []
    real_wait = box._arrived.wait

    def wait(timeout: float | None = None) -> bool:
        waiting.set()  # the lock is still held: the capture below waits until `real_wait`
        return real_wait(timeout)

    box._arrived.wait = wait  # type: ignore[method-assign]
    waiter = threading.Thread(target=lambda: found.append(box.wait_for(30, to="late@x.test")))
    waiter.start()
    assert waiting.wait(30)
    box.ingest_outgoing(OutgoingEmail("a@acme.test", ["late@x.test"], "Late", "<p>x</p>", None))
    waiter.join(30)
    assert [e.subject for e in found] == ["Late"]
    assert box._waiting == 0
