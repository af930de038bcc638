"""The quick path of `POST /emails`: the common body validated without the full checks, and the
answer written without the JSON encoder, each the same as the general path gives."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest
from starlette.responses import JSONResponse

from emulator.http import create_resend_app
from emulator.mail import Mailbox, ResendApiError, ResendService
from emulator.mail._resend_validation import _checked_send, _plain_send, validate_send

NOW = datetime(2026, 1, 1, tzinfo=UTC)
BASE = {"from": "Acme <a@acme.test>", "to": ["b@example.com"], "subject": "Hi"}


@pytest.mark.parametrize(
    "body",
    [
        {**BASE, "html": "<p>x</p>"},
        {**BASE, "text": "x"},
        {**BASE, "html": "<p>x</p>", "text": "x", "to": "b@example.com"},
        {**BASE, "html": None, "text": "x", "from": "a@acme.test"},
        {**BASE, "text": "x", "to": [f"u{i}@example.com" for i in range(50)]},
        {**BASE, "text": "x", "to": ["O'Neil <o.neil+x@mail.example.co.uk>"]},
    ],
)
def test_common_body_takes_the_quick_path_and_builds_the_same(body: dict[str, Any]) -> None:
    quick, full = _plain_send(body), _checked_send(body, NOW, False)
    assert quick is not None
    assert validate_send(body, now=NOW) == quick == full
    assert list(vars(quick.email).items()) == list(vars(full.email).items())  # order too
    assert quick.email.to is body["to"] or body["to"] == quick.email.to[0]


@pytest.mark.parametrize(
    "body",
    [
        {**BASE, "to": [f"u{i}@example.com" for i in range(51)]},
        {**BASE, "to": []},
        {**BASE, "to": ["ok@example.com", "bad"]},
        {**BASE, "to": ["ok@example.com", 7]},
        {**BASE, "to": None},
        {**BASE, "subject": ""},
        {**BASE, "subject": 5},
        {**BASE, "from": "not an address"},
        {**BASE, "from": ""},
        {**BASE, "from": '"Acme, Inc." <a@acme.test>'},  # valid, but only the full checks know
        {**BASE, "html": 5},
        {**BASE, "text": ["x"]},
        {**BASE, "cc": "c@example.com"},
        {**BASE, "scheduled_at": "in 10 minutes"},
        {"to": ["b@example.com"], "subject": "Hi"},
        [BASE],
    ],
)
def test_anything_unusual_gets_the_full_checks(body: Any) -> None:
    if isinstance(body, dict):
        assert _plain_send(body) is None
    assert _outcome(lambda: validate_send(body, now=NOW)) == _outcome(
        lambda: _checked_send(body, NOW, False)
    )


def _outcome(validate: Any) -> Any:
    """What a validation returns, or the body of the error it raises."""
    try:
        return validate()
    except ResendApiError as exc:
        return exc.body()


def _post(app: Any, body: bytes, key: str = "Bearer re_test") -> tuple[int, list[Any], bytes]:
    """One request straight through the ASGI app: status, raw headers and body."""
    sent: list[dict[str, Any]] = []
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/emails",
        "raw_path": b"/emails",
        "query_string": b"",
        "headers": [(b"authorization", key.encode()), (b"content-type", b"application/json")],
    }

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    return sent[0]["status"], sent[0]["headers"], sent[1]["body"]


@pytest.mark.parametrize(
    ("body", "key", "status"),
    [
        (b'{"from":"a@acme.test","to":"b@example.com","subject":"Hi","text":"x"}', "", 200),
        (b'{"from":"a@acme.test","subject":"Hi"}', "", 422),
        (b"{nope", "", 400),
        (b"{}", "Bearer nope", 403),
    ],
)
def test_answer_is_what_jsonresponse_sends_after_the_ratelimit_headers(
    body: bytes, key: str, status: int
) -> None:
    app = create_resend_app(ResendService(Mailbox(), rate_limit=7))
    got_status, headers, content = _post(app, body, key or "Bearer re_test")
    assert got_status == status
    expected = JSONResponse(json.loads(content))
    assert content == expected.body
    assert headers == [
        (b"ratelimit-limit", b"7"),
        (b"ratelimit-remaining", b"6"),
        (b"ratelimit-reset", b"1"),
        *expected.raw_headers,
    ]


def test_a_checked_endpoint_has_a_handler_or_a_body_handler() -> None:
    from emulator.http.resend._checked import Checked

    service = ResendService(Mailbox())
    with pytest.raises(ValueError, match="handler or an on_body"):
        Checked(service, None, idempotent=False, status=200)

    async def handler(request: Any) -> dict[str, Any]:
        return {}

    with pytest.raises(ValueError, match="handler or an on_body"):
        Checked(service, handler, idempotent=False, status=200, on_body=lambda raw: {})


def test_enforced_rate_limit_counts_down_then_refuses_with_retry_after(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import emulator.mail._resend_service as service_module

    clock = iter([100.0, 100.2, 100.4, 101.3])  # the window is the last second
    monkeypatch.setattr(service_module, "time", SimpleNamespace(monotonic=lambda: next(clock)))
    app = create_resend_app(ResendService(Mailbox(), rate_limit=2, enforce_rate_limit=True))
    body = b'{"from":"a@acme.test","to":"b@example.com","subject":"Hi","text":"x"}'
    seen = []
    for _ in range(4):
        status, headers, _content = _post(app, body)
        named = dict(headers)
        seen.append(
            (status, named[b"ratelimit-remaining"], named[b"ratelimit-reset"])
            + ((named[b"retry-after"],) if b"retry-after" in named else ())
        )
    assert seen == [
        (200, b"1", b"1"),
        (200, b"0", b"1"),
        (429, b"0", b"1", b"1"),
        (200, b"1", b"1"),  # 100.0 and 100.2 left the window (the refused one never joined)
    ]
