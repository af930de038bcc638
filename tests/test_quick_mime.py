"""The quick MIME parse SMTP intake uses gives exactly `parse_mime`'s result, or declines."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from emulator.mail import Attachment, OutgoingEmail
from emulator.mail._mime import build_mime, parse_mime
from emulator.mail._quick_mime import quick_parse

WHEN = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
BENCH = (
    "From: Acme <noreply@acme.test>\r\nTo: user@example.com\r\nSubject: Benchmark ✓\r\n"
    "MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=b\r\n\r\n"
    "--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHello there\r\n"
    "--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Hello <b>there</b></p>\r\n--b--\r\n"
).encode()
NODEMAILER = (
    b'From: "Acme, Inc." <noreply@acme.test>\r\nTo: Ada Lovelace <ada@example.com>, '
    b'bob@example.com\r\nCc: <carol@example.com>\r\nReply-To: "Support" <help@acme.test>\r\n'
    b"Subject: Your invoice is\r\n ready\r\nMessage-ID: <8f1e-2b@acme.test>\r\n"
    b"Date: Thu, 2 Jan 2025 03:04:05 +0000\r\nX-Tags: billing, invoice\r\n"
    b"X-Doorstep-Workflow: invoice-created\r\nMIME-Version: 1.0\r\n"
    b'Content-Type: multipart/mixed;\r\n boundary="--_NmP-2b5e-Part_1"\r\n\r\n'
    b"----_NmP-2b5e-Part_1\r\n"
    b'Content-Type: multipart/alternative;\r\n boundary="--_NmP-2b5e-Part_2"\r\n\r\n'
    b"----_NmP-2b5e-Part_2\r\nContent-Type: text/plain; charset=utf-8\r\n"
    b"Content-Transfer-Encoding: quoted-printable\r\n\r\nCaf=C3=A9 total: =E2=82=AC5 and a lo=\r\n"
    b"ng line\r\n----_NmP-2b5e-Part_2\r\nContent-Type: text/html; charset=utf-8\r\n"
    b"Content-Transfer-Encoding: base64\r\n\r\nPHA+Q2Fmw6k8L3A+\r\n----_NmP-2b5e-Part_2--\r\n\r\n"
    b"----_NmP-2b5e-Part_1\r\nContent-Type: application/pdf; name=invoice.pdf\r\n"
    b"Content-Transfer-Encoding: base64\r\n"
    b'Content-Disposition: attachment; filename="invoice 1.pdf"\r\n\r\nJVBERi0xLjQK\r\n'
    b"----_NmP-2b5e-Part_1--\r\n"
)


def _built(**extra: object) -> bytes:
    values: dict[str, object] = {
        "from_": "Acme <noreply@acme.test>",
        "to": ["Ada <ada@example.com>"],
        "subject": "Hi",
        "html": "<p>Hi</p>",
        "text": "Hi",
    }
    return build_mime(OutgoingEmail(**{**values, **extra}), when=WHEN, message_id="<m1@x.test>")  # type: ignore[arg-type]


QUICK = {
    "bench": BENCH,
    "nodemailer": NODEMAILER,
    "plain": b"From: a@b.test\r\nTo: c@d.test\r\nSubject: hi\r\n\r\nhello\r\n",
    "bare lf": b"From: a@b.test\nTo: c@d.test\nSubject: hi\n\nhello\n",
    "8-bit subject": "Subject: Grüße\r\nTo: x@y.test\r\n\r\nbody ü\r\n".encode(),
    "built": _built(),
    "html only": _built(text=None),
    "text only": _built(html=None),
    "attachments": _built(
        attachments=[
            Attachment("a.txt", b"abc", "text/plain"),
            Attachment("logo.png", b"\x89PNG", "image/png", content_id="logo"),
            Attachment("data.bin", bytes(range(256)) * 20, "application/octet-stream"),
        ]
    ),
    "custom headers": _built(headers={"X-Tags": "a, b", "List-Unsubscribe": "<https://u.test>"}),
    "unicode text": _built(text="Café ✓ " * 40, html="<p>Café ✓</p>"),
    "cc and names": _built(to=["a@x.test", '"Doe, J" <j@x.test>'], cc=["Carol <c@x.test>"]),
}
MAYBE = {
    "encoded subject": b"Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\r\n\r\nx\r\n",
    "encoded name": b"From: =?utf-8?q?Jos=C3=A9?= <j@x.test>\r\n\r\nx\r\n",
    "group": b"To: friends: a@x.test, b@x.test;\r\n\r\nx\r\n",
    "no blank line": b"Subject: hi\r\nnot a header\r\n",
    "missing close": b"Content-Type: multipart/mixed; boundary=z\r\n\r\n--z\r\n\r\nx\r\n",
    "no boundary": b"Content-Type: multipart/mixed\r\n\r\nx\r\n",
    "bad base64": b"Content-Transfer-Encoding: base64\r\n\r\nabc\r\n",
    "unknown charset": b"Content-Type: text/plain; charset=x-nope\r\n\r\nx\r\n",
    "rfc2231": b"Content-Type: application/pdf; name*=utf-8''caf%C3%A9.pdf\r\n\r\nx\r\n",
    "bare cr": b"Subject: a\rb\r\n\r\nx\r\n",
    "mbox": b"From someone\r\nSubject: a\r\n\r\nx\r\n",
    "bad date": b"Date: yesterday\r\nSubject: a\r\n\r\nx\r\n",
    "message part": (
        b"Content-Type: multipart/mixed; boundary=z\r\n\r\n--z\r\nContent-Type: message/rfc822"
        b"\r\n\r\nSubject: inner\r\n\r\nx\r\n--z--\r\n"
    ),
    "empty": b"",
}
_MIXED = b"Content-Type: multipart/mixed; boundary=z\r\n\r\n"
QUICK |= {  # how multipart bodies split: preambles, epilogues, odd boundary lines
    "preamble and epilogue": _MIXED + b"pre\r\n--z\r\n\r\none\r\n--z  \r\n"
    b"Content-Type: text/html\r\n\r\n<p>two</p>\r\n--z--  \r\nepilogue\r\n",
    "three parts": _MIXED + b"--z\r\n\r\na\r\n--z\r\n\r\nb\r\n--z\r\n\r\nc\r\n--z--\r\n",
    "closing without a line end": _MIXED + b"--z\r\n\r\nx\r\n--z--",
}
MAYBE |= {
    "boundary-like line": _MIXED + b"--z\r\n\r\none\r\n--zz\r\n--z--\r\n",
    "empty part": _MIXED + b"--z\r\n--z\r\n\r\n--z--\r\n",
    "boundary at the end": _MIXED + b"--z",
    "only a closing": _MIXED + b"--z--\r\n",
    "no closing": _MIXED + b"--z\r\n\r\na\r\n--z\r\n",
}


@pytest.mark.parametrize("name", sorted(QUICK))
def test_quick_parse_equals_the_stdlib(name: str) -> None:
    raw = QUICK[name]
    quick = quick_parse(raw)
    assert quick is not None, "expected the quick path"
    assert quick == parse_mime(raw)


@pytest.mark.parametrize("name", sorted(MAYBE))
def test_quick_parse_declines_or_agrees(name: str) -> None:
    raw = MAYBE[name]
    quick = quick_parse(raw)
    assert quick is None or quick == parse_mime(raw)
