"""The SMTP protocol layer's quick paths answer exactly what aiosmtpd's own code answers."""

from __future__ import annotations

import smtplib
import socket
from typing import Any

import pytest
from aiosmtpd.smtp import SMTP

from emulator.mail import Mailbox
from emulator.mail._smtp_protocol import _Smtp
from emulator.mail._smtp_server import _Controller, _Handler, running_smtp

PATHS = [
    "<user@example.com>",
    "<noreply@acme.test> size=409",
    "<noreply@acme.test>  \tSIZE=409 BODY=8BITMIME",
    "<noreply@acme.test>SIZE=1",
    "<first.last+tag@sub.example.co.uk>",
    "<O'Brien@Example.COM>",
    "<a!#$%&'*+/=?^_`{|}~-z@x.y>",
    "<user@example.com> (a comment) SIZE=1",
    "<user@example.com>(comment)",
    "<>",
    "<> SIZE=10",
    "",
    "user@example.com",
    " <user@example.com>",
    '<"quoted local"@example.com>',
    "<user@[127.0.0.1]>",
    "<@relay.test:user@example.com>",
    "<user..dots@example.com>",
    "<.user@example.com>",
    "<user@example.com.>",
    "<user@.example.com>",
    "<user@example..com>",
    "<us er@example.com>",
    "<user@example.com",
    "<user(c)@example.com>",
    "<jürgen@example.com>",
    "<user@exämple.com>",
    "<user@example.com> <other@example.com>",
    "<user>",
    "<user@>",
    "<@example.com>",
    "<averyveryveryverylonglocalpartthatgoesonandonandonforsure@example.com>",
]


def _server(local_part_limit: int = 0) -> _Smtp:
    server = _Smtp(_Handler(Mailbox()), hostname="doorstep.local")
    server.local_part_limit = local_part_limit
    return server


@pytest.mark.parametrize("limit", [0, 10])
@pytest.mark.parametrize("arg", PATHS)
def test_getaddr_answers_as_aiosmtpd_does(arg: str, limit: int) -> None:
    ours = _server(limit)
    expected: Any = SMTP._getaddr(ours, arg)
    assert ours._getaddr(arg) == expected


@pytest.mark.parametrize(
    ("sender", "recipient"),
    [
        ("noreply@acme.test", "user@example.com"),
        ("O'Brien@Example.COM", "first.last+tag@sub.example.co.uk"),
        ("", "user@example.com"),  # the null reverse path
    ],
)
def test_a_real_client_gets_its_addresses_through(sender: str, recipient: str) -> None:
    box = Mailbox()
    with running_smtp(box) as server, smtplib.SMTP(*server.address) as client:
        client.sendmail(sender, [recipient], b"Subject: hi\r\n\r\nbody\r\n")
    got = box.latest()
    assert got is not None
    assert (got.envelope_from, got.envelope_to) == (sender or "<>", [recipient])


class _Recorder(_Handler):
    """Records what DATA delivered instead of capturing it."""

    def __init__(self) -> None:
        super().__init__(Mailbox())
        self.seen: list[tuple[bytes, bytes]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.seen.append((envelope.original_content, envelope.content))
        return "250 OK"


class _Reference(_Smtp):
    """The same session with aiosmtpd's own DATA reading and address parse."""

    smtp_DATA = SMTP.smtp_DATA
    _getaddr = SMTP._getaddr


def _transcript(protocol: type[_Smtp], limit: int, payload: bytes) -> tuple[bytes, list[Any]]:
    """Send a whole session at once; every answer until the server closes, and what DATA got."""
    recorder = _Recorder()
    controller = _Controller(
        recorder,
        hostname="127.0.0.1",
        port=0,
        server_hostname="doorstep.local",
        data_size_limit=limit,
    )
    controller.protocol = protocol
    controller.start()
    try:
        with socket.create_connection(("127.0.0.1", controller.port), timeout=10) as sock:
            hello = b"EHLO t\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<c@d.test>\r\nDATA\r\n"
            sock.sendall(hello + payload + b"HELP DATA\r\nQUIT\r\n")
            answers = b""
            while chunk := sock.recv(65536):
                answers += chunk
    finally:
        controller.stop()
    return answers, recorder.seen


LINE = b"x" * 70 + b"\r\n"
DATA_CASES = {
    "plain": b"Subject: a\r\n\r\nbody\r\n.\r\n",
    "empty": b".\r\n",
    "one line": b"body\r\n.\r\n",
    "stuffed dots": b"..a\r\n.b\r\n...\r\nc.\r\n.\r\n",
    "dot line ends": b"End.\r\nx.\r\n.x.\r\n\r\n.\r\n",
    "dot first": b".hidden\r\nshown\r\n.\r\n",
    "bare CR and LF": b"a\r\r\nb\n.\r\nc\r.\r\n.\r\n",
    "8-bit": "Grüße ✓\r\n".encode() + b"\xff\xfe\r\n.\r\n",
    "two messages": b"one\r\n.\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<c@d.test>\r\nDATA\r\n"
    b"two\r\n.\r\n",
    "at the limit": LINE * 13 + b"x" * 62 + b"\r\n" + b".\r\n",  # 1,000 bytes
    "one byte over": LINE * 13 + b"x" * 63 + b"\r\n" + b".\r\n",
    "far over": LINE * 200 + b".\r\n",
    "over, with dots": (b"x" * 60 + b".\r\n") * 40 + b".\r\n",
    "a line longer than the line limit": b"y" * 1500 + b"\r\n.\r\n",
    "a long line crossing the limit": LINE * 5 + b"y" * 1500 + b"\r\n.\r\n",
    "long line after the limit": LINE * 15 + b"y" * 1500 + b"\r\n.\r\n",
    "line at the line limit": b"y" * 1001 + b"\r\n.\r\n",
    "lines at the 3,000 limit's line limit": b"y" * 3002 + b"\r\n.\r\n",
    "lines over the 3,000 limit's line limit": b"y" * 3003 + b"\r\n.\r\n",
    "then another message": LINE * 20 + b".\r\nRSET\r\nMAIL FROM:<a@b.test>\r\n"
    b"RCPT TO:<c@d.test>\r\nDATA\r\nsmall\r\n.\r\n",
}


@pytest.mark.parametrize("limit", [1000, 0, 3000])
@pytest.mark.parametrize("payload", DATA_CASES.values(), ids=DATA_CASES.keys())
def test_data_reads_as_aiosmtpd_reads_it(payload: bytes, limit: int) -> None:
    expected = _transcript(_Reference, limit, payload)
    assert _transcript(_Smtp, limit, payload) == expected
    assert expected[0].count(b"\r\n250 OK\r\n") + expected[0].count(b"\r\n5") >= 1
