"""Providers end to end: in-process, Resend over HTTP to the fake, SMTP to the fake."""

from __future__ import annotations

import httpx
import pytest

from emulator.http import ServerThread, create_resend_app
from emulator.mail import (
    Attachment,
    DeliveryError,
    InProcessProvider,
    Mailbox,
    OutgoingEmail,
    ResendHttpProvider,
    ResendService,
    SmtpProvider,
    resend_request_body,
    running_smtp,
)

EMAIL = OutgoingEmail(
    from_="Acme <noreply@acme.test>",
    to=["ann@example.com"],
    subject="Wëlcome",
    html="<p>Hi</p>",
    text="Hi",
    cc=["cc@example.com"],
    bcc=["audit@acme.test"],
    headers={"X-Entity-Ref-ID": "r1"},
    attachments=[Attachment("terms.txt", b"terms", "text/plain")],
    tags=[{"name": "kind", "value": "welcome"}],
    workflow_key="welcome",
    workflow_run_id="wr-1",
    run_id="run-1",
    step_ref="email_1",
    recipient_id="ann",
    message_id="msg-1",
)


def _same_capture(box: Mailbox, way_in: str) -> None:
    got = box.wait_for(timeout=5, to="ann@example.com")
    assert got.way_in == way_in
    assert got.subject == "Wëlcome"
    assert got.workflow_key == "welcome"
    assert got.run_id == "run-1"
    assert got.recipient_id == "ann"
    assert "audit@acme.test" in got.recipients
    assert [a.content for a in got.attachments] == [b"terms"]


def test_in_process() -> None:
    box = Mailbox()
    InProcessProvider(box).send(EMAIL)
    _same_capture(box, "engine")


def test_resend_http_end_to_end() -> None:
    box = Mailbox()
    with ServerThread(create_resend_app(ResendService(box))) as server:
        provider = ResendHttpProvider(server.base_url, "re_engine")
        first = provider.send(EMAIL)
        assert provider.send(EMAIL) == first  # message_id doubles as the Idempotency-Key
        provider.close()
    _same_capture(box, "resend")
    got = box.get(first)
    assert got.resend_request == resend_request_body(EMAIL)
    assert got.tags == [{"name": "kind", "value": "welcome"}]
    assert len(box) == 1


@pytest.mark.parametrize(
    ("status", "permanent", "retry_after"),
    [(429, False, 7.0), (500, False, None), (503, False, None), (422, True, None)],
)
def test_resend_http_failures_map_to_delivery_errors(
    status: int, permanent: bool, retry_after: float | None
) -> None:
    box = Mailbox()
    box.failures.fail_resend(status, retry_after=retry_after)
    with ServerThread(create_resend_app(ResendService(box))) as server:
        provider = ResendHttpProvider(server.base_url, "re_engine", idempotency=False)
        with pytest.raises(DeliveryError) as info:
            provider.send(EMAIL)
        assert provider.send(EMAIL)
    err = info.value
    assert (err.status, err.permanent) == (status, permanent)
    if status == 429:
        assert err.retry_after == retry_after
    assert len(box) == 1


def test_resend_http_unreachable_is_transient() -> None:
    transport = httpx.MockTransport(lambda request: (_ for _ in ()).throw(httpx.ConnectError("x")))
    provider = ResendHttpProvider(
        "http://127.0.0.1:9", "re_x", client=httpx.Client(transport=transport)
    )
    with pytest.raises(DeliveryError) as info:
        provider.send(EMAIL)
    assert info.value.permanent is False


def test_bad_api_key_is_permanent() -> None:
    app = create_resend_app(ResendService(Mailbox(), api_keys={"re_a"}))
    with ServerThread(app) as server, pytest.raises(DeliveryError) as info:
        ResendHttpProvider(server.base_url, "re_b").send(EMAIL)
    assert (info.value.status, info.value.permanent) == (403, True)


def test_smtp_end_to_end() -> None:
    box = Mailbox()
    with running_smtp(box, credentials=("u", "p")) as server:
        message_id = SmtpProvider("127.0.0.1", server.port, username="u", password="p").send(EMAIL)
    _same_capture(box, "smtp")
    got = box.latest()
    assert got is not None
    assert got.header("message-id") == f"<{message_id}>"
    assert got.bcc == ["audit@acme.test"]


@pytest.mark.parametrize(
    ("stage", "code", "permanent"),
    [
        ("mail", 451, False),
        ("rcpt", 550, True),
        ("data", 452, False),
        ("data", 554, True),
        ("connect", 421, False),
    ],
)
def test_smtp_failures_map_to_delivery_errors(stage: str, code: int, permanent: bool) -> None:
    box = Mailbox()
    box.failures.fail_smtp(stage, code)  # type: ignore[arg-type]
    with running_smtp(box) as server:
        provider = SmtpProvider("127.0.0.1", server.port)
        with pytest.raises(DeliveryError) as info:
            provider.send(EMAIL)
        provider.send(EMAIL)
    assert (info.value.status, info.value.permanent) == (code, permanent)
    # a refused recipient still lets the other two (cc, bcc) get the first copy
    assert len(box) == (2 if stage == "rcpt" else 1)


def test_in_process_injected_failure() -> None:
    box = Mailbox()
    box.failures.fail_resend(503)
    with pytest.raises(DeliveryError) as info:
        InProcessProvider(box).send(EMAIL)
    assert info.value.permanent is False
    assert len(box) == 0
