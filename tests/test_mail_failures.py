"""Failure injection: scoped to a Mailbox or recipient pattern, counted, and per stage."""

from __future__ import annotations

import smtplib

import pytest

from emulator.mail import FailurePlan, FailureRuleError, Mailbox, MailRouter, running_smtp

MSG = b"Subject: x\r\n\r\nbody\r\n"


@pytest.mark.parametrize(
    ("stage", "code", "exc"),
    [
        ("mail", 451, smtplib.SMTPSenderRefused),
        ("rcpt", 550, smtplib.SMTPRecipientsRefused),
        ("data", 554, smtplib.SMTPDataError),
    ],
)
def test_stage_codes_then_recovery(stage: str, code: int, exc: type[Exception]) -> None:
    box = Mailbox()
    box.failures.fail_smtp(stage, code, "Chaos", times=2)  # type: ignore[arg-type]
    with running_smtp(box) as server:
        for _ in range(2):
            with smtplib.SMTP(*server.address) as client, pytest.raises(exc):
                client.sendmail("a@acme.test", ["b@example.com"], MSG)
        with smtplib.SMTP(*server.address) as client:
            client.sendmail("a@acme.test", ["b@example.com"], MSG)
    assert len(box) == 1


def test_disconnect_at_data_stores_nothing() -> None:
    box = Mailbox()
    box.failures.fail_smtp("data", disconnect=True)
    with running_smtp(box) as server:
        with (
            smtplib.SMTP(*server.address) as client,
            pytest.raises((smtplib.SMTPServerDisconnected, smtplib.SMTPDataError)),
        ):
            client.sendmail("a@acme.test", ["b@example.com"], MSG)
        with smtplib.SMTP(*server.address) as client:
            client.sendmail("a@acme.test", ["b@example.com"], MSG)
    assert len(box) == 1


def test_connect_stage_on_router() -> None:
    router = MailRouter()
    router.failures.fail_smtp("connect", 554, "go away")
    with running_smtp(router) as server:
        with pytest.raises(smtplib.SMTPConnectError) as info:
            smtplib.SMTP(*server.address)
        assert info.value.smtp_code == 554
        with smtplib.SMTP(*server.address) as client:
            assert client.noop()[0] == 250


def test_recipient_pattern_only_hits_matching_recipients() -> None:
    box = Mailbox()
    box.failures.fail_smtp("rcpt", 550, recipient="*@bounce.test", times=None)
    with running_smtp(box) as server, smtplib.SMTP(*server.address) as client:
        refused = client.sendmail("a@acme.test", ["ok@example.com", "x@BOUNCE.test"], MSG)
        assert refused == {"x@BOUNCE.test": (550, b"Doorstep rejected")}
    assert box.latest() is not None
    assert box.all()[0].envelope_to == ["ok@example.com"]


def test_rules_are_scoped_per_mailbox() -> None:
    router = MailRouter()
    a, b = Mailbox(name="a"), Mailbox(name="b")
    a.failures.fail_smtp("rcpt", 550, times=None)
    with (
        router.scoped(a, recipients="*@a.test"),
        router.scoped(b, recipients="*@b.test"),
        running_smtp(router) as server,
        smtplib.SMTP(*server.address) as client,
    ):
        refused = client.sendmail("s@acme.test", ["x@a.test", "y@b.test"], MSG)
    assert list(refused) == ["x@a.test"]
    assert len(a) == 0
    assert len(b) == 1


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"stage": "helo"}, "unknown SMTP stage"),
        ({"stage": "rcpt", "code": 250}, "not an error"),
        ({"stage": "connect", "recipient": "*"}, "connect-stage"),
        ({"stage": "rcpt", "times": 0}, "at least 1"),
    ],
)
def test_bad_rules_are_refused(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(FailureRuleError, match=match):
        FailurePlan().fail_smtp(**kwargs)  # type: ignore[arg-type]


def test_take_counts_down_and_clear() -> None:
    plan = FailurePlan()
    rule = plan.fail_resend(503, times=2)
    assert plan.take("resend") is rule
    assert plan.take("resend") is rule
    assert plan.take("resend") is None
    assert rule.fired == 2
    plan.fail_resend(429)
    plan.clear()
    assert plan.take("resend") is None
