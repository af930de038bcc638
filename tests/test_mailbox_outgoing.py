"""Outgoing email (engine, Resend API) is read from the fields it was sent with: `emu.outbox`
builds no MIME until raw bytes or headers are asked for, and then builds it once."""

from __future__ import annotations

import gc
import pickle
from dataclasses import fields
from email.utils import parseaddr
from pathlib import Path
from typing import Any

import pytest

from emulator import Emulator
from emulator.mail import Attachment, CapturedEmail, Mailbox, OutgoingEmail, _capture
from emulator.mail._mime import html_to_text

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The Message-ID of every MIME build, in order."""
    seen: list[str] = []
    real = _capture._mime

    def counted(email: OutgoingEmail, when: Any, message_id: str) -> Any:
        seen.append(message_id)
        return real(email, when, message_id)

    monkeypatch.setattr(_capture, "_mime", counted)
    return seen


def _email(**extra: Any) -> OutgoingEmail:
    values: dict[str, Any] = {
        "from_": "Acme <noreply@acme.test>",
        "to": ["Ada <ada@example.com>"],
        "subject": "Invoice ready",
        "html": "<p>Your <b>invoice</b></p>",
        "text": "Your invoice",
        "attachments": [Attachment("a.txt", b"abc", "text/plain")],
    }
    return OutgoingEmail(**{**values, **extra})


def test_fields_are_read_without_building_mime(builds: list[str]) -> None:
    box = Mailbox()
    email = box.capture_outgoing(_email(), email_id="e1")
    seen = (email.subject, email.to, email.from_, email.html, email.text, email.recipients)
    assert seen == (
        "Invoice ready",
        ["Ada <ada@example.com>"],
        "Acme <noreply@acme.test>",
        "<p>Your <b>invoice</b></p>",
        "Your invoice",
        ["ada@example.com"],
    )
    assert email.attachments[0].content == b"abc"
    assert box.filter(subject_contains="Invoice") == [email]
    assert builds == []
    assert email.header("subject") == "Invoice ready"
    assert b"Subject: Invoice ready" in email.raw
    assert email.defects == []
    assert builds == ["<e1@doorstep.local>"]  # once, for headers, raw and defects together


def test_the_built_mime_is_what_the_builder_makes() -> None:
    email = Mailbox().capture_outgoing(_email(headers={"X-Tags": "a, b"}), email_id="e2")
    again = Mailbox().capture_outgoing(_email(headers={"X-Tags": "a, b"}), email_id="e2")
    assert email.raw == again.raw  # deterministic: boundaries named after the Message-ID
    assert ("X-Tags", "a, b") in email.headers
    assert pickle.loads(pickle.dumps(email)).raw == email.raw


def test_resend_text_is_derived_on_first_read(builds: list[str]) -> None:
    box = Mailbox()
    html = "<p>Hello <b>there</b></p><p>again</p>"
    eid = box.ingest_outgoing(_email(text=None, html=html), derive_text=True)
    assert box.get(eid).text == html_to_text(html) == "Hello there\nagain"
    plain = box.get(box.ingest_outgoing(_email(text=None, html=html)))
    assert plain.text is None
    assert builds == []


def test_engine_outbox_is_read_without_building_mime(builds: list[str]) -> None:
    emu = Emulator.from_directory(
        ROOT / "fixtures" / "workflows", config=ROOT / "fixtures" / "doorstep.yaml"
    )
    emu.identify("u1", name="Ada", email="ada@example.com")
    emu.trigger("invoice-created", ["u1"], data={"invoice_id": "i1", "amount": 5})
    [email] = emu.outbox
    [record] = emu.messages(channel_type="email")
    assert (email.subject, email.html) == (
        record.content.get("subject"),
        record.content.get("html_body"),
    )
    assert builds == []


@pytest.mark.parametrize(
    "sender",
    [
        "a@b.c",
        "Acme <noreply@acme.test>",
        "J. Doe <a@b.c>",
        "O'Neil <o'n@x-y.z>",
        "a..b@c.d",
        "ü@b.c",
        "a@b.c\n",  # the quick pattern must not take the trailing newline `$` allows
        '"Doe, J" <j@d.e>',  # quoted name: the stdlib's grammar
        "a@b.c (comment)",
        "not an address",
        "",
    ],
)
def test_envelope_sender_is_what_parseaddr_reads(sender: str) -> None:
    box = Mailbox()
    eid = box.ingest_outgoing(OutgoingEmail(sender, ["b@example.com"], "Hi", None, "x"))
    assert box.get(eid).envelope_from == parseaddr(sender)[1]


@pytest.mark.parametrize("derive", [False, True], ids=["text as sent", "text derived"])
def test_every_field_of_a_captured_outgoing_email_reads(derive: bool) -> None:
    """The captured form is made slot by slot: no field may be left unset."""
    box = Mailbox()
    sent = OutgoingEmail("A <a@x.test>", ["b@x.test"], "Hi", "<p>x</p>", None, cc=["c@x.test"])
    captured = box.get(box.ingest_outgoing(sent, derive_text=derive))
    values = {f.name: getattr(captured, f.name) for f in fields(CapturedEmail)}
    assert values["envelope_to"] == ["b@x.test", "c@x.test"]
    assert values["text"] == ("x" if derive else None)
    assert b"From: A <a@x.test>" in values["raw"]


_LISTS = ("to", "cc", "bcc", "reply_to", "tags")


@pytest.mark.parametrize(
    "extra",
    [
        {"attachments": [], "text": None},  # as the engine sends: no headers, no attachments
        {"attachments": [], "cc": ["c@x.test"], "bcc": ["d@x.test"], "reply_to": ["r@x.test"]},
        {"attachments": [], "tags": [{"name": "k", "value": "v"}], "batch": {"key": "b"}},
        {"headers": {"X-Doorstep-Run-Id": "r1", "X-Tags": "a"}},  # kept whole
        {"workflow_key": "w", "run_id": "r", "step_ref": "s", "message_id": "m"},
    ],
    ids=["engine", "addresses", "tags", "headers", "provenance"],
)
def test_a_captured_email_reads_as_the_email_sent(extra: dict[str, Any]) -> None:
    sent = _email(**extra)
    copy = _email(**extra)  # what the capture must give back (the sender may reuse its lists)
    email = Mailbox().capture_outgoing(sent, email_id="e3")
    assert isinstance(email, _capture._Outgoing)
    assert email.source == copy
    assert [getattr(email, n) for n in _LISTS] == [getattr(copy, n) for n in _LISTS]
    assert all(type(getattr(email, n)) is list for n in (*_LISTS, "envelope_to"))
    assert all(getattr(email, n) is getattr(email, n) for n in _LISTS)  # one list, kept
    assert email.envelope_to == [parseaddr(a)[1] for a in copy.to + copy.cc + copy.bcc]
    when = email.received_at or email.received_wall_at
    assert email.raw == _capture._mime(copy, when, "<e3@doorstep.local>")[0]


def test_an_engine_email_keeps_its_lists_out_of_the_collectors_view() -> None:
    email = Mailbox().capture_outgoing(_email(attachments=[], cc=["c@x.test"]))
    gc.collect()
    kept = [vars(CapturedEmail)[n].__get__(email, CapturedEmail) for n in (*_LISTS, "envelope_to")]
    assert not any(gc.is_tracked(x) for x in kept)
    assert not gc.is_tracked(email.sent)  # no headers or attachments: only the text is kept
