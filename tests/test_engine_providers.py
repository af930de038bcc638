"""The engine's email channel delivering through real transports to the fake servers."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from emulator import Emulator
from emulator.http import ServerThread, create_resend_app
from emulator.mail import Mailbox, ResendHttpProvider, ResendService, SmtpProvider, running_smtp

FIXTURES = Path(__file__).parent.parent / "fixtures" / "workflows"


def test_engine_sends_through_resend_over_http_to_the_fake_server() -> None:
    captured = Mailbox()
    service = ResendService(captured)
    with ServerThread(create_resend_app(service)) as server:
        provider = ResendHttpProvider(server.base_url, "re_test")
        emu = Emulator.from_directory(FIXTURES, email_provider=provider)
        emu.identify("u1", name="Ada", email="ada@example.com")
        run = emu.trigger("invoice-created", ["u1"], data={"invoice_id": "inv_9", "amount": 5})
        provider.close()
    [email] = captured.all()
    assert email.way_in == "resend"
    assert email.subject == "Invoice inv_9 created"
    assert (email.workflow_key, email.run_id) == ("invoice-created", run.runs[0].id)
    [message] = emu.messages(channel_type="email")
    assert message.status == "delivered"
    assert message.provider_id == email.id
    assert len(emu.outbox) == 0  # the emulator's own outbox is not the transport used


def test_resend_rate_limit_is_retried_on_the_virtual_clock() -> None:
    captured = Mailbox()
    service = ResendService(captured)
    captured.failures.fail_resend(429, times=2, retry_after=40)
    with ServerThread(create_resend_app(service)) as server:
        provider = ResendHttpProvider(server.base_url, "re_test")
        emu = Emulator.from_directory(FIXTURES, email_provider=provider)
        emu.identify("u1", email="ada@example.com")
        emu.trigger("invoice-created", ["u1"], data={"invoice_id": "inv_9", "amount": 5})
        [message] = emu.messages(channel_type="email")
        assert message.status == "delivery_attempted"
        emu.clock.advance(seconds=39)
        assert message.attempts == 1
        emu.clock.advance(seconds=1)
        assert message.attempts == 2
        emu.run_until_idle()
        provider.close()
    assert message.status == "delivered"
    assert message.attempts == 3
    assert len(captured) == 1
    start = message.inserted_at
    assert [(d.at - start, d.ok, d.status) for d in message.deliveries] == [
        (timedelta(0), False, 429),
        (timedelta(seconds=40), False, 429),  # Retry-After wins over the 30 s backoff
        (timedelta(seconds=80), True, None),
    ]
    assert message.deliveries[-1].provider_id == captured.all()[0].id
    assert "429" in (message.deliveries[0].error or "")


def test_engine_sends_over_smtp_to_the_fake_smtp_server() -> None:
    captured = Mailbox()
    with running_smtp(captured) as smtp:
        host, port = smtp.address
        emu = Emulator.from_directory(FIXTURES, email_provider=SmtpProvider(host, port))
        emu.identify("u1", name="Ada", email="ada@example.com")
        emu.trigger("invoice-created", ["u1"], data={"invoice_id": "inv_3", "amount": 5})
        email = captured.wait_for(timeout=10, to="ada@example.com")
    assert email.way_in == "smtp"
    assert email.subject == "Invoice inv_3 created"
    assert email.html is not None
    assert "inv_3" in email.html
    assert email.step_ref == "email_1"


def test_network_capture_into_a_virtual_clock_mailbox_does_not_deadlock() -> None:
    emu = Emulator.from_directory(FIXTURES)
    captured = Mailbox(clock=emu.clock)
    with running_smtp(captured) as smtp:
        host, port = smtp.address
        emu.email_provider = SmtpProvider(host, port)
        emu.identify("u1", email="ada@example.com")
        emu.clock.advance(minutes=3)
        emu.trigger("invoice-created", ["u1"], data={"invoice_id": "inv_4", "amount": 5})
        email = captured.wait_for(timeout=10, to="ada@example.com")
    assert email.received_at == emu.clock.now
