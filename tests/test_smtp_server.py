"""The fake SMTP server with stdlib smtplib: ports, TLS, AUTH, limits, MIME, restart."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import make_msgid

import pytest

from emulator.core._clock import Clock
from emulator.mail import Mailbox, MailRouter
from emulator.mail._smtp_server import SmtpServer, running_smtp


def _rich_message() -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "Zoë Ünicode <zoe@acme.test>"
    msg["To"] = "Jürgen <jurgen@example.com>, bob@example.com"
    msg["Cc"] = "carol@example.com"
    msg["Subject"] = "Grüße aus Köln ✓"
    msg.set_content("plain body ✓")
    cid = make_msgid(domain="acme.test")
    msg.add_alternative(f'<p>html body <img src="cid:{cid[1:-1]}"></p>', subtype="html")
    html = msg.get_payload()[1]
    assert isinstance(html, EmailMessage)
    html.add_related(b"\x89PNG-fake", "image", "png", cid=cid, filename="logo.png")
    msg.add_attachment(b"%PDF-1.7", "application", "pdf", filename="rechnung-ä.pdf")
    return msg


def test_port_zero_binds_and_reports_the_port() -> None:
    box = Mailbox()
    with running_smtp(box) as server:
        assert server.port > 0
        with smtplib.SMTP(*server.address) as client:
            assert client.noop()[0] == 250


def test_captures_rich_mime() -> None:
    clock = Clock()
    box = Mailbox(clock)
    with running_smtp(box) as server, smtplib.SMTP(*server.address) as client:
        client.send_message(_rich_message(), to_addrs=["jurgen@example.com", "bcc@example.com"])
    got = box.latest()
    assert got is not None
    assert got.way_in == "smtp"
    assert got.received_at == clock.now
    assert got.subject == "Grüße aus Köln ✓"
    assert got.from_ == "Zoë Ünicode <zoe@acme.test>"
    assert got.to == ["Jürgen <jurgen@example.com>", "bob@example.com"]
    assert got.cc == ["carol@example.com"]
    assert got.bcc == ["bcc@example.com"]
    assert got.envelope_from == "zoe@acme.test"
    assert got.text == "plain body ✓\n"
    assert got.html is not None
    assert "html body" in got.html
    atts = {(a.filename, a.content_type, a.disposition, a.size) for a in got.attachments}
    assert atts == {
        ("logo.png", "image/png", "inline", 9),
        ("rechnung-ä.pdf", "application/pdf", "attachment", 8),
    }
    assert got.defects == []


def test_smtputf8_addresses() -> None:
    box = Mailbox()
    raw = "From: josé@acme.test\r\nTo: 用户@example.com\r\nSubject: ü\r\n\r\nhi\r\n".encode()
    with running_smtp(box) as server, smtplib.SMTP(*server.address) as client:
        client.sendmail("josé@acme.test", ["用户@example.com"], raw, mail_options=["SMTPUTF8"])
    got = box.wait_for(timeout=5, to="用户@example.com")
    assert got.subject == "ü"


@pytest.mark.parametrize(
    "raw",
    [
        b"this is not a header\r\n\r\nbody",
        b"Subject: =?utf-8?B?!!!notbase64?=\r\nContent-Type: multipart/mixed\r\n\r\nno boundary",
        b"From: <<<broken\r\nTo: ,,,\r\nContent-Type: multipart/alternative; boundary=x\r\n\r\n"
        b"--x\r\nContent-Type: text/html; charset=unknown-8bit-xx\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n@@@@\r\n",
        b"\xff\xfe\x00binary\r\n\r\n\xff",
    ],
)
def test_malformed_mime_is_captured_not_crashed(raw: bytes) -> None:
    box = Mailbox()
    with running_smtp(box) as server, smtplib.SMTP(*server.address) as client:
        client.sendmail("a@acme.test", ["b@example.com"], raw)
        assert client.noop()[0] == 250
    got = box.latest()
    assert got is not None
    assert got.raw.replace(b"\r\n", b"\n").rstrip() == raw.replace(b"\r\n", b"\n").rstrip()
    assert len(box) == 1


def test_oversized_message_is_refused_and_not_stored() -> None:
    box = Mailbox()
    big = b"Subject: big\r\n\r\n" + (b"x" * 70 + b"\r\n") * 100
    with running_smtp(box, data_size_limit=1000) as server, smtplib.SMTP(*server.address) as c:
        with pytest.raises(smtplib.SMTPSenderRefused) as announced:
            c.sendmail("a@acme.test", ["b@example.com"], big)  # smtplib announces SIZE=
        assert announced.value.smtp_code == 552
        c.rset()
        assert c.mail("a@acme.test")[0] == 250  # no SIZE: the limit bites at DATA
        assert c.rcpt("b@example.com")[0] == 250
        assert c.data(big)[0] == 552
        c.sendmail("a@acme.test", ["b@example.com"], b"Subject: small\r\n\r\nok")
    assert box.all().subjects == ["small"]


@pytest.mark.parametrize(
    ("login", "ok"),
    [(("user", "secret"), True), (("user", "wrong"), False), (("other", "secret"), False)],
)
def test_auth_with_a_configured_pair(login: tuple[str, str], ok: bool) -> None:
    box = Mailbox()
    with (
        running_smtp(box, credentials=("user", "secret")) as server,
        smtplib.SMTP(*server.address) as client,
    ):
        if ok:
            assert client.login(*login)[0] == 235
        else:
            with pytest.raises(smtplib.SMTPAuthenticationError):
                client.login(*login)


def test_auth_accepts_anything_by_default_and_can_be_required() -> None:
    box = Mailbox()
    with running_smtp(box, auth_required=True) as server:
        with smtplib.SMTP(*server.address) as client:
            with pytest.raises(smtplib.SMTPSenderRefused) as info:
                client.sendmail("a@acme.test", ["b@example.com"], b"Subject: x\r\n\r\n")
            assert info.value.smtp_code == 530
        with smtplib.SMTP(*server.address) as client:
            client.login("anyone", "anything")
            client.sendmail("a@acme.test", ["b@example.com"], b"Subject: x\r\n\r\n")
    assert len(box) == 1


def test_starttls_with_throwaway_certificate() -> None:
    box = Mailbox()
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with running_smtp(box, starttls=True) as server, smtplib.SMTP(*server.address) as client:
        client.starttls(context=context)
        client.sendmail("a@acme.test", ["b@example.com"], b"Subject: tls\r\n\r\nsecret")
    assert box.all().subjects == ["tls"]


def test_restart_keeps_the_port_and_the_mail() -> None:
    box = Mailbox()
    server = SmtpServer(box).start()
    port = server.port
    with smtplib.SMTP(*server.address) as client:
        client.sendmail("a@acme.test", ["b@example.com"], b"Subject: one\r\n\r\n")
    server.restart()
    assert server.port == port
    with smtplib.SMTP(*server.address) as client:
        client.sendmail("a@acme.test", ["b@example.com"], b"Subject: two\r\n\r\n")
    server.stop()
    assert not server.running
    assert box.all().subjects == ["one", "two"]


def test_router_delivers_each_recipient_group_once() -> None:
    router = MailRouter()
    a, b = Mailbox(name="a"), Mailbox(name="b")
    with (
        router.scoped(a, recipients="*@a.test"),
        router.scoped(b, recipients="*@b.test"),
        running_smtp(router) as server,
        smtplib.SMTP(*server.address) as client,
    ):
        client.sendmail("s@acme.test", ["x@a.test", "y@b.test", "z@a.test"], b"Subject: s\r\n\r\n")
    assert len(a) == 1
    assert len(b) == 1
    assert len(router.current) == 0
    assert a.all()[0].envelope_to == ["x@a.test", "y@b.test", "z@a.test"]
