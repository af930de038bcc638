"""The SMTP protocol layer's quick paths answer exactly what aiosmtpd's own code answers."""

from __future__ import annotations

import smtplib
from typing import Any

import pytest
from aiosmtpd.smtp import SMTP

from emulator.mail import Mailbox
from emulator.mail._smtp_server import _Handler, _Smtp, running_smtp

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
