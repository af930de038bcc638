"""Captured emails built from fields list their headers exactly as parsing the built bytes would
(the capture skips that parse when the sender wrote no headers: it was most of a test's time)."""

from __future__ import annotations

import pytest

from emulator.mail import Attachment, Mailbox, OutgoingEmail
from emulator.mail._mime import parse_mime

EMAILS = {
    "plain": OutgoingEmail(
        "Acme <billing@example.com>", ["ada@example.com"], "Hi", "<p>hi</p>", "hi"
    ),
    "non-ascii and long": OutgoingEmail(
        '"Ünïcødé, Inc" <a@b.com>',
        ["Zoë <z@example.com>", "b@x.com"],
        "Ça va? ✓ " + "a long subject that folds " * 8,
        "<p>é</p>",
        None,
        cc=["c@x.com"],
        reply_to=["r@x.com"],
    ),
    "non-ascii with headers": OutgoingEmail(
        '"Ünïcødé, Inc" <a@b.com>',
        ["Zoë <z@example.com>"],
        "Ça va? ✓",
        "<p>é</p>",
        None,
        headers={"X-Entity-Ref-ID": "123", "X-Doorstep-Run-Id": "r1"},
    ),
    "text only": OutgoingEmail("a@b.com", ["c@d.com"], "", None, "text only"),
    "attachments": OutgoingEmail(
        "a@b.com",
        ["c@d.com"],
        "files",
        "<p><img src='cid:x'></p>",
        "t",
        attachments=[
            Attachment("a.txt", b"hello", "text/plain"),
            Attachment("i.png", b"\x89PNG", "image/png", content_id="x"),
        ],
    ),
    "own headers replaced": OutgoingEmail(
        "a@b.com", ["c@d.com"], "x", "<p>x</p>", None, headers={"Subject": "Other", "Date": "x"}
    ),
}


@pytest.mark.parametrize("email", EMAILS.values(), ids=EMAILS.keys())
def test_captured_headers_are_what_parsing_the_bytes_reads(email: OutgoingEmail) -> None:
    box = Mailbox(clock=None, retention=0)
    captured = box.get(box.ingest_outgoing(email))
    parsed = parse_mime(captured.raw)
    assert captured.headers == parsed.headers
    assert captured.defects == parsed.defects
