"""Mailbox: capture, queries, wait_for across threads, retention, routing, SQLite reopen."""

from __future__ import annotations

import threading
from dataclasses import fields, replace
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emulator.core._clock import Clock
from emulator.mail import (
    Attachment,
    CapturedEmail,
    InProcessProvider,
    Mailbox,
    MailRouter,
    MailTimeoutError,
    OutgoingEmail,
    UnknownEmailError,
    resend_request_body,
)
from emulator.mail._mime import parse_mime


def _email(n: int = 0, **kw: object) -> OutgoingEmail:
    base: dict[str, object] = {
        "from_": "Acme <noreply@acme.test>",
        "to": [f"user{n}@example.com"],
        "subject": f"Hello {n}",
        "html": f"<p>Hi {n}</p>",
        "text": f"Hi {n}",
    }
    base.update(kw)
    return OutgoingEmail(**base)  # type: ignore[arg-type]


def test_in_process_capture_records_everything() -> None:
    clock = Clock()
    box = Mailbox(clock)
    email = _email(
        cc=["Cé <cc@example.com>"],
        bcc=["hidden@example.com"],
        reply_to=["reply@acme.test"],
        headers={"X-Entity-Ref-ID": "42"},
        attachments=[
            Attachment("a.pdf", b"%PDF-1", "application/pdf"),
            Attachment("logo.png", b"\x89PNG", "image/png", content_id="logo"),
        ],
        tags=[{"name": "category", "value": "welcome"}],
        workflow_key="welcome",
        run_id="run-1",
        step_ref="email_1",
        recipient_id="u1",
        batch={"key": "b"},
    )
    mid = InProcessProvider(box).send(email)
    got = box.get(mid)
    assert got.way_in == "engine"
    assert got.received_at == clock.now
    assert got.bcc == ["hidden@example.com"]
    assert "hidden@example.com" in got.recipients
    assert got.workflow_key == "welcome"
    assert got.batch == {"key": "b"}
    assert got.resend_request == resend_request_body(email)
    assert got.resend_request is not None
    assert got.resend_request["headers"]["X-Doorstep-Workflow"] == "welcome"
    assert [(a.name, a.size, a.disposition) for a in got.attachments] == [
        ("a.pdf", 6, "attachment"),
        ("logo.png", 4, "inline"),
    ]
    parsed = parse_mime(got.raw)
    assert parsed.subject == "Hello 0"
    assert parsed.html is not None
    assert "Hi 0" in parsed.html
    assert parsed.text is not None
    assert parsed.text.strip() == "Hi 0"
    assert b"hidden@example.com" not in got.raw
    assert sorted(p.filename or "" for p in parsed.parts) == ["a.pdf", "logo.png"]
    assert got.header("x-entity-ref-id") == "42"
    assert got.to_dict()["attachments"][1]["content_id"] == "logo"


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"to": "user1@example.com"}, ["Hello 1"]),
        ({"to": "USER1@example.com"}, ["Hello 1"]),
        ({"from_": "noreply@acme.test"}, ["Hello 0", "Hello 1", "Other 2"]),
        ({"subject": "Hello 1"}, ["Hello 1"]),
        ({"subject_contains": "Hello"}, ["Hello 0", "Hello 1"]),
        ({"subject_regex": r"^O"}, ["Other 2"]),
        ({"tag": "kind"}, ["Other 2"]),
        ({"tag": "kind=x"}, ["Other 2"]),
        ({"tag": "kind=y"}, []),
        ({"workflow": "wf"}, ["Hello 1"]),
        ({"run_id": "r1"}, ["Hello 1"]),
        ({"way_in": "engine"}, ["Hello 0", "Hello 1", "Other 2"]),
    ],
)
def test_filters(filters: dict[str, str], expected: list[str]) -> None:
    box = Mailbox(Clock())
    box.capture_outgoing(_email(0))
    box.capture_outgoing(_email(1, workflow_key="wf", run_id="r1"))
    box.capture_outgoing(_email(2, subject="Other 2", tags=[{"name": "kind", "value": "x"}]))
    assert box.filter(**filters).subjects == expected


def test_since_uses_virtual_time() -> None:
    clock = Clock()
    box = Mailbox(clock)
    box.capture_outgoing(_email(0))
    clock.advance(minutes=5)
    cut = clock.now
    box.capture_outgoing(_email(1))
    assert box.filter(since=cut).subjects == ["Hello 1"]


def test_unknown_filter_and_id_are_clear_errors() -> None:
    box = Mailbox()
    with pytest.raises(TypeError, match="unknown mail filter"):
        box.filter(recipient="x")
    with pytest.raises(UnknownEmailError, match="no email 'nope'"):
        box.get("nope")


def test_wait_for_wakes_on_mail_from_another_thread() -> None:
    box = Mailbox()
    ready = threading.Event()

    def send() -> None:
        ready.wait()
        box.capture_outgoing(_email(7))

    thread = threading.Thread(target=send)
    thread.start()
    ready.set()
    got = box.wait_for(timeout=10, to="user7@example.com")
    thread.join()
    assert got.subject == "Hello 7"


def test_wait_for_timeout_lists_what_arrived() -> None:
    box = Mailbox()
    box.capture_outgoing(_email(1))
    with pytest.raises(MailTimeoutError, match=r"(?s)subject='Nope'.*Hello 1"):
        box.wait_for(timeout=0.01, subject="Nope")


@settings(max_examples=25, deadline=None)
@given(retention=st.integers(1, 8), count=st.integers(0, 20))
def test_retention_keeps_newest(retention: int, count: int) -> None:
    box = Mailbox(retention=retention)
    for n in range(count):
        box.capture_outgoing(_email(n))
    expected = [f"Hello {n}" for n in range(max(0, count - retention), count)]
    assert box.all().subjects == expected
    assert len(box) == len(expected)


def test_router_scopes_by_block_and_by_recipient() -> None:
    default = Mailbox(name="default")
    router = MailRouter(default)
    a, b = Mailbox(name="a"), Mailbox(name="b")
    provider = InProcessProvider(router)
    with router.scoped(a), router.scoped(b, recipients="*@b.test"):
        provider.send(_email(1))
        provider.send(_email(2, to=["x@B.test"]))
    provider.send(_email(3))
    assert a.all().subjects == ["Hello 1"]
    assert b.all().subjects == ["Hello 2"]
    assert default.all().subjects == ["Hello 3"]


def test_sqlite_survives_reopen_and_honours_retention(tmp_path: Path) -> None:
    clock = Clock()
    box = Mailbox(clock, retention=3, store=tmp_path)
    for n in range(5):
        box.capture_outgoing(_email(n, attachments=[Attachment("f.txt", b"x" * n, "text/plain")]))
        clock.advance(timedelta(seconds=1))
    before = box.all()
    box.close()
    again = Mailbox(clock, retention=3, store=tmp_path)
    assert again.all() == before
    assert again.all().subjects == ["Hello 2", "Hello 3", "Hello 4"]
    import sqlite3

    mode = sqlite3.connect(tmp_path / "mail.sqlite3").execute("PRAGMA journal_mode").fetchone()
    assert mode == ("wal",)
    again.clear()
    again.close()
    assert len(Mailbox(store=tmp_path)) == 0


def test_sqlite_keeps_every_field_of_a_parsed_email(tmp_path: Path) -> None:
    sent = _email(
        1,
        cc=["Cc <cc@example.com>"],
        bcc=["bcc@example.com"],
        reply_to=["reply@acme.test"],
        headers={"X-Custom": "yes"},
        attachments=[
            Attachment("f.txt", b"data", "text/plain"),
            Attachment("i.png", b"png", "image/png", "logo"),
        ],
        tags=[{"name": "kind", "value": "welcome"}],
        workflow_key="welcome",
        workflow_run_id="run-1",
        run_id="r-1",
        step_ref="email_1",
        recipient_id="user-1",
        message_id="msg-1",
        batch={"total": 2},
    )
    built = Mailbox().capture_outgoing(sent, resend_request={"from": "a@acme.test"})
    # a plain CapturedEmail: kept as a parsed document (an outgoing one not built as its recipe)
    email = CapturedEmail(**{f.name: getattr(built, f.name) for f in fields(CapturedEmail)})
    assert len(email.attachments) == 2
    email = replace(email, defects=["a defect"], received_at=None)
    box = Mailbox(store=tmp_path)
    box.add(email)
    box.close()
    again = Mailbox(store=tmp_path)
    assert again.get(email.id) == email
    again.close()


@pytest.mark.parametrize(("missing_ok", "left"), [(False, ["a", "b"]), (True, ["b"])])
def test_delete_with_an_unknown_id(missing_ok: bool, left: list[str]) -> None:
    box = Mailbox()
    ids = [
        box.capture_outgoing(
            OutgoingEmail(from_="a@x.test", to=["b@x.test"], subject=s, html=None, text="x")
        ).id
        for s in ("a", "b")
    ]
    if missing_ok:
        assert box.delete([ids[0], "ghost"], missing_ok=True) == 1
    else:
        with pytest.raises(UnknownEmailError, match="nothing was deleted"):
            box.delete([ids[0], "ghost"])
    assert [e.subject for e in box.all()] == left
