"""Mail that arrived raw is parsed without the mailbox lock: SMTP intake goes on while a reader
parses (`doorstep serve` once made an SMTP send wait seconds behind a first API read)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from emulator.mail import CapturedEmail, Mailbox, OutgoingEmail
from emulator.mail._capture import _Raw

RAW = b"From: a@b.test\r\nTo: c@d.test\r\nSubject: hi\r\n\r\nhello\r\n"


def _built(email_id: str) -> CapturedEmail:
    email = OutgoingEmail("a@b.test", ["c@d.test"], "slow", None, "text")
    return Mailbox(retention=0).capture_outgoing(email, email_id=email_id)


def test_intake_goes_on_while_a_reader_parses() -> None:
    box = Mailbox(retention=0)
    parsing, release = threading.Event(), threading.Event()
    built = _built("slow")

    def slow_parse() -> CapturedEmail:
        parsing.set()
        release.wait(10)
        return built

    now = datetime(2025, 1, 1, tzinfo=UTC)
    box._put(_Raw("slow", b"", "a@b.test", ["c@d.test"], "smtp", now, now, slow_parse))
    reader = threading.Thread(target=box.all)
    reader.start()
    assert parsing.wait(10)
    intake = threading.Thread(
        target=box.ingest_raw,
        args=(RAW,),
        kwargs={"envelope_from": "a@b.test", "envelope_to": ["c@d.test"]},
    )
    intake.start()
    intake.join(10)
    blocked = intake.is_alive()
    release.set()
    reader.join(10)
    intake.join(10)
    assert not blocked, "SMTP intake waited for another reader's parse"
    assert [e.subject for e in box.all()] == ["slow", "hi"]


def test_mail_deleted_during_a_parse_stays_deleted() -> None:
    box = Mailbox(retention=0)
    kept = box.ingest_raw(RAW, envelope_from="a@b.test", envelope_to=["c@d.test"])
    parsing, release = threading.Event(), threading.Event()

    def slow_parse() -> CapturedEmail:
        parsing.set()
        release.wait(10)
        return _built("gone")

    now = datetime(2025, 1, 1, tzinfo=UTC)
    box._put(_Raw("gone", b"", "a@b.test", ["c@d.test"], "smtp", now, now, slow_parse))
    reader = threading.Thread(target=box.all)
    reader.start()
    assert parsing.wait(10)
    box.delete(["gone"])
    release.set()
    reader.join(10)
    assert [e.id for e in box.all()] == [kept]
