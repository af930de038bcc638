"""The official `resend` Python SDK against the fake API, for every emulated endpoint."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import resend
import resend.exceptions as rex

from emulator.core._clock import Clock
from emulator.http import ServerThread, create_resend_app
from emulator.mail import Mailbox, ResendService

OK: dict[str, object] = {
    "from": "Acme <a@acme.test>",
    "to": ["b@example.com"],
    "subject": "Hi",
    "html": "<p>x</p>",
}


class Env:
    def __init__(self, clock: Clock, box: Mailbox, service: ResendService) -> None:
        self.clock, self.box, self.service = clock, box, service


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> Iterator[Env]:
    clock = Clock()
    box = Mailbox(clock)
    service = ResendService(box, api_keys={"re_sdk"})
    with ServerThread(create_resend_app(service)) as server:
        monkeypatch.setattr(resend, "api_url", server.base_url)
        monkeypatch.setattr(resend, "api_key", "re_sdk")
        yield Env(clock, box, service)


def test_every_endpoint(env: Env) -> None:
    sent = resend.Emails.send(OK, {"idempotency_key": "k1"})  # type: ignore[arg-type]
    assert sent["id"] == resend.Emails.send(OK, {"idempotency_key": "k1"})["id"]  # type: ignore[arg-type]
    got = resend.Emails.get(sent["id"])
    assert got["subject"] == "Hi"
    assert got["last_event"] == "delivered"
    listed = resend.Emails.list({"limit": 5})
    assert [e["id"] for e in listed["data"]] == [sent["id"]]
    batch = resend.Batch.send([OK, {**OK, "to": "c@example.com"}])  # type: ignore[list-item]
    assert len(batch["data"]) == 2
    loose = resend.Batch.send(
        [OK, {"from": "a@acme.test", "subject": "s"}],  # type: ignore[list-item]
        {"batch_validation": "permissive"},
    )
    assert loose["errors"][0]["index"] == 1
    scheduled = resend.Emails.send({**OK, "scheduled_at": "in 5 min"})  # type: ignore[typeddict-item]
    updated = resend.Emails.update({"id": scheduled["id"], "scheduled_at": "in 10 min"})
    assert updated["id"] == scheduled["id"]
    canceled = resend.Emails.cancel(scheduled["id"])
    assert canceled["id"] == scheduled["id"]
    with_file = resend.Emails.send(
        {**OK, "attachments": [{"filename": "a.txt", "content": list(b"hello")}]}  # type: ignore[typeddict-item]
    )
    atts = resend.Emails.Attachments.list(email_id=with_file["id"])
    assert atts["data"][0]["size"] == 5
    one = resend.Emails.Attachments.get(
        email_id=with_file["id"], attachment_id=atts["data"][0]["id"]
    )
    assert one["filename"] == "a.txt"
    env.clock.advance(hours=1)
    assert len(env.box) == 5  # 1 + 2 batch + 1 permissive + 1 attachment; canceled never came


@pytest.mark.parametrize(
    ("call", "cls", "code", "name"),
    [
        (
            lambda: resend.Emails.send({**OK, "to": [f"u{i}@x.test" for i in range(51)]}),
            rex.ValidationError,
            422,
            "validation_error",
        ),
        (
            lambda: resend.Emails.send({"from": "a@acme.test", "subject": "s"}),
            rex.MissingRequiredFieldsError,
            422,
            "missing_required_field",
        ),
        (
            lambda: resend.Emails.get("00000000-0000-4000-8000-000000000000"),
            rex.ResendError,
            404,
            "not_found",
        ),
        (lambda: resend.Emails.get("nope"), rex.ResendError, 422, "invalid_parameter"),
        (lambda: resend.Batch.send([OK] * 101), rex.ValidationError, 422, "validation_error"),
        (
            lambda: resend.Emails.send(OK, {"idempotency_key": "x" * 300}),
            rex.ResendError,
            400,
            "invalid_idempotency_key",
        ),
    ],
)
def test_error_classes(env: Env, call: object, cls: type, code: int, name: str) -> None:
    with pytest.raises(cls) as info:
        call()  # type: ignore[operator]
    assert info.value.code == code
    assert info.value.error_type == name


def test_auth_errors(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(resend, "api_key", "re_wrong")
    with pytest.raises(rex.InvalidApiKeyError):
        resend.Emails.send(OK)  # type: ignore[arg-type]


def test_injected_rate_limit_and_server_errors(env: Env) -> None:
    env.box.failures.fail_resend(429, retry_after=3)
    with pytest.raises(rex.RateLimitError) as info:
        resend.Emails.send(OK)  # type: ignore[arg-type]
    assert info.value.headers["retry-after"] == "3"
    env.box.failures.fail_resend(500)
    with pytest.raises(rex.ApplicationError):
        resend.Emails.send(OK)  # type: ignore[arg-type]
    env.box.failures.fail_resend(422, recipient="*@blocked.test")
    with pytest.raises(rex.ValidationError):
        resend.Emails.send({**OK, "to": "x@blocked.test"})  # type: ignore[arg-type]
    resend.Emails.send(OK)  # type: ignore[arg-type]
    assert len(env.box) == 1
