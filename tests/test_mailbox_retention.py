"""Mailbox retention: a full Mailbox evicts its oldest emails, in arrival order, with the
counts (len, Mailpit's MessagesDeleted, delete events) right, however deletions and an id
captured again after its deletion interleave with the evictions."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emulator.mail import Mailbox, MailEvent, OutgoingEmail

IDS = [f"id-{n}" for n in range(4)]  # a small pool: ids come back after their deletion

OPS = st.lists(
    st.one_of(
        st.tuples(st.just("add"), st.sampled_from(IDS)),
        st.tuples(st.just("delete"), st.sampled_from(IDS)),
        st.tuples(st.just("clear"), st.just("")),
    ),
    max_size=60,
)


def _email(subject: str) -> OutgoingEmail:
    return OutgoingEmail(
        from_="a@acme.test", to=["b@example.com"], subject=subject, html=None, text="hi"
    )


def _box(retention: int) -> tuple[Mailbox, list[MailEvent]]:
    box, heard = Mailbox(retention=retention), []
    box.subscribe(heard.append)
    return box, heard


@settings(max_examples=200, deadline=None)
@given(ops=OPS, retention=st.sampled_from([0, 1, 2, 3]))
def test_eviction_keeps_arrival_order_and_counts(
    ops: list[tuple[str, str]], retention: int
) -> None:
    box, heard = _box(retention)
    kept: list[str] = []  # the model: ids oldest first
    deleted = evicted_heard = 0
    for op, email_id in ops:
        if op == "add" and email_id not in kept:
            box.ingest_outgoing(_email(email_id), email_id=email_id)
            kept.append(email_id)
            gone = kept[: max(0, len(kept) - retention)] if retention else []
            del kept[: len(gone)]
            deleted += len(gone)
            evicted = [e.ids for e in heard if e.kind == "delete"][evicted_heard:]
            assert [i for ids in evicted for i in ids] == gone
            evicted_heard += len(evicted)
        elif op == "delete" and email_id in kept:
            box.delete([email_id])
            kept.remove(email_id)
            deleted += 1
            evicted_heard += 1  # the delete event is the request's, not retention's
        elif op == "clear":
            deleted += len(kept)
            box.clear()
            kept = []
        assert [e.id for e in box.all()] == kept
        assert len(box) == len(kept)
        assert box.stats.deleted == deleted


def test_many_deletions_between_evictions_keep_the_order() -> None:
    box, _ = _box(3)
    for n in range(2500):  # stale entries pile up past the point the order starts afresh
        box.ingest_outgoing(_email("churn"), email_id=f"churn-{n}")
        box.delete([f"churn-{n}"])
    for n in range(5):
        box.ingest_outgoing(_email(f"keep {n}"), email_id=f"keep-{n}")
    assert [e.subject for e in box.all()] == ["keep 2", "keep 3", "keep 4"]
    assert box.stats.deleted == 2500 + 2


@pytest.mark.parametrize(
    ("steps", "kept"),
    [
        ("+A +B +C", "B C"),
        ("+A +B -A +A +C", "A C"),  # A captured again after its deletion is newer than B
        ("+A +B -A +A -A +A +C", "A C"),  # deleted twice: two stale entries
        ("+A +B -B +C +D", "C D"),
    ],
)
def test_an_id_captured_again_is_evicted_at_its_new_place(steps: str, kept: str) -> None:
    box, _ = _box(2)
    for step in steps.split():
        if step[0] == "+":
            box.ingest_outgoing(_email(step[1:]), email_id=step[1:])
        else:
            box.delete([step[1:]])
    assert [e.id for e in box.all()] == kept.split()
