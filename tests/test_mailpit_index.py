"""Mailpit's list, counts, tags and search read the Mailbox's index (`Mailbox.reading`): the same
answers as reading every email, after adds, deletes, retention, retags, read flags, clears and
the index's compaction, in memory and with `--data-dir`'s SQLite store."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emulator import Emulator
from emulator.http.inspect._inspection import Inspection
from emulator.http.inspect._search import parse_search
from emulator.mail import Mailbox, OutgoingEmail, default_tags

WORDS = ["alpha", "Beta", "news", "zed", "Ünïcode", "a@b.test", "x"]
QUERIES = [
    "alpha",
    "to:zed",
    "to:u1@",
    "from:acme",
    "cc:copy",
    "addressed:zed",
    "subject:beta news",
    'subject:"beta news"',
    "-subject:alpha",
    "alpha -to:zed",
    "tag:news",
    "is:unread",
    "is:read subject:alpha",
    "is:tagged",
    "message-id:doorstep",
    "workflow:welcome",
    "ünïcode",
    "html:<p>",
    "run:",
    "x zed",
    "",
]


def _send(box: Mailbox, n: int, words: list[str], smtp: bool) -> str:
    subject = " ".join(words) or f"mail {n}"
    to = [f"u{n}@example.com"] + [f"{w}@example.com" for w in words[:1] if "@" not in w]
    if smtp:
        head = f"From: Acme <a@acme.test>\r\nTo: {to[0]}\r\nSubject: {subject}\r\n"
        tags = f"X-Tags: {', '.join(words[:2])}\r\n" if words else ""
        raw = f"{head}{tags}\r\n{' '.join(words)}\r\n".encode()
        return box.ingest_raw(raw, envelope_from="a@acme.test", envelope_to=to)
    email = OutgoingEmail(
        from_="Acme <noreply@acme.test>",
        to=to,
        cc=["copy@example.com"] if n % 3 == 0 else [],
        subject=subject,
        html=f"<p>{subject}</p>",
        text=None if n % 2 else subject,
        tags=[{"name": w, "value": "v" if n % 2 else ""} for w in words[:1]],
        workflow_key="welcome" if n % 4 == 0 else None,
    )
    return box.ingest_outgoing(email, derive_text=True)


def _scan(inspection: Inspection, query: str) -> list[str]:
    """What the search found before the index: every email checked, newest first."""
    emails = list(reversed(inspection.emulator.outbox.all()))
    if not query.strip():
        return [e.id for e in emails]
    search = parse_search(query, inspection.is_read, inspection.tags_of)
    return [e.id for e in emails if search.check(e)]


def _expected_tags(inspection: Inspection) -> dict[str, int]:
    return dict(Counter(t for e in inspection.emulator.outbox.all() for t in inspection.tags_of(e)))


def _agrees(inspection: Inspection) -> None:
    outbox = inspection.emulator.outbox
    for query in QUERIES:
        assert [e.id for e in inspection.matches(query)] == _scan(inspection, query), query
    emails = list(reversed(outbox.all()))
    read = [e for e in emails if inspection.is_read(e.id)]
    assert inspection.counts() == (len(emails), len(emails) - len(read))
    assert inspection.tag_counts() == _expected_tags(inspection)
    page = inspection.listing("", 2, 3)
    assert [e.id for e in page.emails] == [e.id for e in emails[2:5]]
    assert page.tags == sorted(_expected_tags(inspection), key=str.lower)


OPS = st.lists(
    st.one_of(
        st.tuples(st.just("add"), st.lists(st.sampled_from(WORDS), max_size=3), st.booleans()),
        st.tuples(st.just("delete"), st.integers(0, 20), st.booleans()),
        st.tuples(st.just("read"), st.integers(0, 20), st.booleans()),
        st.tuples(st.just("tag"), st.integers(0, 20), st.lists(st.sampled_from(WORDS))),
        st.tuples(st.just("rename"), st.sampled_from(WORDS), st.sampled_from(["news", "new"])),
        st.tuples(st.just("check"), st.just(0), st.just(0)),
        st.tuples(st.just("clear"), st.just(0), st.just(0)),
    ),
    max_size=40,
)


@settings(max_examples=60, deadline=None)
@given(ops=OPS, retention=st.sampled_from([0, 4]))
def test_index_answers_as_a_scan_of_every_email(ops: list[tuple], retention: int) -> None:
    inspection = Inspection(Emulator())
    box = inspection.emulator.outbox
    box.retention = retention
    for n, (op, a, b) in enumerate(ops):
        ids = [e.id for e in box.all()]
        if op == "add":
            _send(box, n, a, b)
        elif op == "clear":
            box.clear()
        elif op == "check":
            _agrees(inspection)  # builds the index midway: later changes must keep it true
        elif op == "rename":
            inspection.replace_tag(a, b)
        elif ids and op == "delete":
            box.delete([ids[a % len(ids)]])
        elif op == "read":
            inspection.mark_read([ids[a % len(ids)] if ids else "unknown-id"], b)
        elif ids and op == "tag":
            inspection.set_tags(box.get(ids[a % len(ids)]), b)
    _agrees(inspection)


def test_the_index_stays_true_through_compaction() -> None:
    """Many more emails pass through than are kept: the log is compacted, answers unchanged."""
    inspection = Inspection(Emulator())
    box = inspection.emulator.outbox
    box.retention = 5
    _agrees(inspection)
    for n in range(3000):
        _send(box, n, ["alpha"] if n % 7 else ["zed", "news"], n % 2 == 0)
        if n % 500 == 0 or (1000 < n < 1100 and n % 4 == 0):  # compacted at n == 1034
            _agrees(inspection)
    _agrees(inspection)
    assert len(box) == 5


def test_read_flags_count_only_kept_emails() -> None:
    """Marking an unknown id read changes nothing, so unread is kept minus read."""
    inspection = Inspection(Emulator())
    box = inspection.emulator.outbox
    first = _send(box, 0, ["alpha"], False)
    inspection.mark_read(["no-such-email", first])
    assert inspection.counts() == (1, 0)
    box.delete([first])
    assert inspection.counts() == (0, 0)
    _send(box, 1, ["beta"], True)
    assert inspection.counts() == (1, 1)


@pytest.mark.parametrize("retention", [0, 2])
def test_data_dir_reopens_with_the_same_counts_tags_and_search(
    tmp_path: Path, retention: int
) -> None:
    path = tmp_path / "mail.sqlite3"
    box = Mailbox(store=path, retention=0)
    ids = [_send(box, n, [WORDS[n % 3], "news"], n % 2 == 0) for n in range(4)]
    box.flags.mark_read(ids[:3])
    box.flags.set_tags(ids[3], ["kept"])
    box.close()
    emulator = Emulator()
    emulator.outbox = reopened = Mailbox(store=path, retention=retention)
    inspection = Inspection(emulator)
    kept = ids[-retention:] if retention else ids
    assert [e.id for e in inspection.matches()] == kept[::-1]
    assert inspection.counts() == (len(kept), 1)  # only the retagged newest is unread
    _agrees(inspection)
    reopened.close()


def test_tags_of_engine_mail_need_no_mime() -> None:
    """An engine email's own tags are read from its fields: listing tags builds no MIME."""
    box = Emulator().outbox
    _send(box, 1, ["alpha"], False)
    email = box.all()[0]
    assert default_tags(email) == ["alpha=v"]
    assert not email.built  # type: ignore[attr-defined]
