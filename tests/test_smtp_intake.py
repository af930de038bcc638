"""SMTP mail is parsed as it is accepted, outside the Mailbox lock: a listing parses nothing,
one client's parse holds up no reader and no other intake, a data dir keeps it parsed."""

from __future__ import annotations

import smtplib
import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest

from emulator.mail import Mailbox, SmtpServer, _mime, _quick_mime
from emulator.mail._mime import ParsedMime

RAW = (
    b"From: Acme <noreply@acme.test>\r\nTo: Ada <ada@example.com>\r\nSubject: Invoice\r\n"
    b"X-Tags: billing\r\nMIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=b\r\n"
    b"\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nYour invoice\r\n"
    b"--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Your invoice</p>\r\n--b--\r\n"
)
BROKEN = b"Subject: half a message\r\nthis line is no header\r\n\r\n--x\r\n"


def _no_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(raw: bytes) -> ParsedMime:
        raise AssertionError("a read parsed mail")

    monkeypatch.setattr(_quick_mime, "quick_parse", refuse)
    monkeypatch.setattr(_mime, "parse_mime", refuse)


def test_listing_after_smtp_intake_parses_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    box = Mailbox(retention=0)
    with SmtpServer(box) as server, smtplib.SMTP(*server.address) as client:
        client.sendmail("noreply@acme.test", ["ada@example.com", "bcc@example.com"], RAW)
        client.sendmail("a@x.test", ["b@x.test"], BROKEN)
    _no_parsing(monkeypatch)
    invoice, broken = box.all()
    assert (invoice.subject, invoice.to, invoice.text, invoice.html) == (
        "Invoice",
        ["Ada <ada@example.com>"],
        "Your invoice",
        "<p>Your invoice</p>",
    )
    assert (invoice.bcc, invoice.tags) == (["bcc@example.com"], [{"name": "billing", "value": ""}])
    # malformed MIME is accepted and listed with what could be read, as Mailpit does
    assert broken.subject == "half a message"
    assert broken.defects
    assert broken.raw.replace(b"\r\n", b"\n") == BROKEN.replace(b"\r\n", b"\n")


def test_a_slow_parse_holds_up_no_reader_and_no_other_intake(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    box = Mailbox(retention=0)
    box.ingest_raw(RAW, envelope_from="a@x.test", envelope_to=["ada@example.com"])
    parsing, release = threading.Event(), threading.Event()
    real = _quick_mime.quick_parse

    def slow(raw: bytes) -> Any:
        if b"slow" in raw:
            parsing.set()
            release.wait(10)
        return real(raw)

    monkeypatch.setattr(_quick_mime, "quick_parse", slow)
    slow_raw = RAW.replace(b"Subject: Invoice", b"Subject: slow")
    intake = threading.Thread(
        target=box.ingest_raw,
        args=(slow_raw,),
        kwargs={"envelope_from": "a@x.test", "envelope_to": ["ada@example.com"]},
    )
    intake.start()
    try:
        assert parsing.wait(10)
        read: list[list[str]] = []
        reader = threading.Thread(target=lambda: read.append(box.all().subjects))
        other = threading.Thread(
            target=box.ingest_raw,
            args=(RAW.replace(b"Subject: Invoice", b"Subject: quick"),),
            kwargs={"envelope_from": "a@x.test", "envelope_to": ["ada@example.com"]},
        )
        reader.start()
        other.start()
        reader.join(10)
        other.join(10)
        held = reader.is_alive() or other.is_alive()
    finally:
        release.set()
        intake.join(10)
    assert not held, "a reader or another intake waited on one message's parse"
    assert read == [["Invoice"]]
    assert box.all().subjects == ["Invoice", "quick", "slow"]


def test_a_data_dir_keeps_smtp_mail_parsed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    box = Mailbox(store=tmp_path, retention=0)
    eid = box.ingest_raw(RAW, envelope_from="a@x.test", envelope_to=["ada@example.com"])
    box.close()
    db = sqlite3.connect(tmp_path / "mail.sqlite3")
    [(kind, raw)] = db.execute("SELECT kind, raw FROM emails")
    db.close()
    assert (kind, raw) == ("doc", RAW)  # parsed, the raw MIME once
    _no_parsing(monkeypatch)
    [email] = Mailbox(store=tmp_path, retention=0).all()
    assert (email.id, email.subject, email.text) == (eid, "Invoice", "Your invoice")
