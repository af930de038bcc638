"""The fake Resend API over HTTP: contract (OpenAPI schemas), validation, limits, idempotency."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from openapi_check import resend_spec
from openapi_schema_validator import OAS31Validator

from emulator.core._clock import Clock
from emulator.http import ServerThread, create_resend_app
from emulator.mail import Mailbox, ResendService, WebhookSender
from emulator.mail._webhooks import sign

AUTH = {"Authorization": "Bearer re_test"}
OK = {"from": "Acme <a@acme.test>", "to": ["b@example.com"], "subject": "Hi", "html": "<p>x</p>"}


def check(schema: str, body: Any) -> None:
    """Validate `body` against components/schemas/<schema> of resend-api.yml."""
    spec = resend_spec()
    wrapper = {"$ref": f"#/components/schemas/{schema}", "components": spec["components"]}
    OAS31Validator(wrapper).validate(body)


def check_error(response: httpx.Response, status: int, name: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["statusCode"] == status
    assert body["name"] == name
    assert isinstance(body["message"], str)
    assert set(body) == {"statusCode", "name", "message"}
    return dict(body)


class Env:
    def __init__(self, clock: Clock, box: Mailbox, service: ResendService, client: httpx.Client):
        self.clock, self.box, self.service, self.client = clock, box, service, client


@pytest.fixture
def env() -> Iterator[Env]:
    clock = Clock()
    box = Mailbox(clock)
    service = ResendService(box)
    with (
        ServerThread(create_resend_app(service)) as server,
        httpx.Client(base_url=server.base_url, headers=AUTH) as client,
    ):
        yield Env(clock, box, service, client)


def test_send_get_list_contract(env: Env) -> None:
    sent = env.client.post("/emails", json={**OK, "tags": [{"name": "k", "value": "v"}]})
    assert sent.status_code == 200
    check("SendEmailResponse", sent.json())
    assert "statusCode" not in sent.json()
    assert sent.headers["ratelimit-limit"] == "10"
    got = env.client.get(f"/emails/{sent.json()['id']}")
    check("Email", got.json())
    assert got.json()["last_event"] == "delivered"
    assert got.json()["text"] == "x"
    listed = env.client.get("/emails")
    check("ListEmailsResponse", listed.json())
    assert listed.json()["data"][0]["id"] == sent.json()["id"]
    captured = env.box.get(sent.json()["id"])
    assert captured.way_in == "resend"
    assert captured.resend_request == {**OK, "tags": [{"name": "k", "value": "v"}]}
    assert captured.tags == [{"name": "k", "value": "v"}]


def test_list_pagination_newest_first(env: Env) -> None:
    ids = [
        env.client.post("/emails", json={**OK, "subject": str(n)}).json()["id"] for n in range(5)
    ]
    newest = ids[::-1]
    first = env.client.get("/emails", params={"limit": 2}).json()
    assert [e["id"] for e in first["data"]] == newest[:2]
    assert first["has_more"] is True
    second = env.client.get("/emails", params={"limit": 2, "after": newest[1]}).json()
    assert [e["id"] for e in second["data"]] == newest[2:4]
    last = env.client.get("/emails", params={"limit": 2, "after": newest[3]}).json()
    assert [e["id"] for e in last["data"]] == newest[4:]
    assert last["has_more"] is False
    back = env.client.get("/emails", params={"limit": 2, "before": newest[4]}).json()
    assert [e["id"] for e in back["data"]] == newest[2:4]
    check("ListEmailsResponse", back)


def test_batch_strict_and_permissive(env: Env) -> None:
    good = env.client.post("/emails/batch", json=[OK, {**OK, "to": "c@example.com"}])
    check("CreateBatchEmailsResponse", good.json())
    assert len(good.json()["data"]) == 2
    bad = [OK, {"from": "a@acme.test", "subject": "s"}]
    strict = env.client.post("/emails/batch", json=bad)
    check_error(strict, 422, "missing_required_field")
    assert len(env.box) == 2  # nothing half-stored
    loose = env.client.post("/emails/batch", json=bad, headers={"x-batch-validation": "permissive"})
    check("CreateBatchEmailsResponse", loose.json())
    assert len(loose.json()["data"]) == 1
    assert loose.json()["errors"] == [{"index": 1, "message": "Missing `to` field."}]
    assert len(env.box) == 3


def _many(n: int) -> list[str]:
    return [f"u{i}@example.com" for i in range(n)]


@pytest.mark.parametrize(
    ("path", "body", "status", "name"),
    [
        ("/emails", {**OK, "to": _many(51)}, 422, "validation_error"),
        ("/emails", {k: v for k, v in OK.items() if k != "to"}, 422, "missing_required_field"),
        ("/emails", {k: v for k, v in OK.items() if k != "from"}, 422, "missing_required_field"),
        ("/emails", {k: v for k, v in OK.items() if k != "subject"}, 422, "missing_required_field"),
        ("/emails", {**OK, "from": "not an address"}, 422, "validation_error"),
        ("/emails", {**OK, "to": ["ok@example.com", "bad"]}, 422, "validation_error"),
        ("/emails", {**OK, "tags": [{"name": "bad tag!", "value": "x"}]}, 422, "validation_error"),
        ("/emails", {**OK, "tags": [{"name": "k", "value": "ü"}]}, 422, "validation_error"),
        ("/emails", {**OK, "tags": [{"name": "k" * 257, "value": "v"}]}, 422, "validation_error"),
        ("/emails", {**OK, "tags": "nope"}, 422, "validation_error"),
        ("/emails", {**OK, "attachments": [{"filename": "a.txt"}]}, 422, "invalid_attachment"),
        ("/emails", {**OK, "attachments": [{"content": "@@@"}]}, 422, "invalid_attachment"),
        ("/emails", {**OK, "scheduled_at": "whenever"}, 422, "validation_error"),
        ("/emails", {**OK, "scheduled_at": "in 31 days"}, 422, "validation_error"),
        ("/emails", {**OK, "headers": {"X": 1}}, 422, "validation_error"),
        ("/emails", {**OK, "headers": {"X": "a\r\nBcc: evil@x.test"}}, 422, "validation_error"),
        ("/emails", {**OK, "headers": {"Bad Name": "v"}}, 422, "validation_error"),
        ("/emails", [OK], 422, "validation_error"),
        ("/emails/batch", [OK] * 101, 422, "validation_error"),
        ("/emails/batch", [], 422, "validation_error"),
        ("/emails/batch", OK, 422, "validation_error"),
        (
            "/emails/batch",
            [{**OK, "attachments": [{"content": "eA==", "filename": "x"}]}],
            422,
            "validation_error",
        ),
    ],
)
def test_invalid_requests_answered_like_resend(
    env: Env, path: str, body: Any, status: int, name: str
) -> None:
    check_error(env.client.post(path, json=body), status, name)
    assert len(env.box) == 0
    assert env.service.list(100, None, None)[0] == []


@pytest.mark.parametrize(
    ("content", "status", "name"),
    [(b"{not json", 400, "validation_error"), (b"", 422, "validation_error")],
)
def test_bad_json(env: Env, content: bytes, status: int, name: str) -> None:
    check_error(env.client.post("/emails", content=content), status, name)


def test_body_size_limit() -> None:
    box = Mailbox()
    service = ResendService(box, max_body_bytes=1000)
    with ServerThread(create_resend_app(service)) as server:
        big = {**OK, "html": "x" * 2000}
        check_error(
            httpx.post(server.base_url + "/emails", json=big, headers=AUTH), 413, "validation_error"
        )
    assert len(box) == 0


@pytest.mark.parametrize(
    ("html", "status"),
    [("x" * 100, 200), ("x" * 2000, 413)],
    ids=["under the limit", "over the limit"],
)
def test_chunked_body_size_limit(html: str, status: int) -> None:
    """A body sent in chunks without Content-Length is counted as it arrives."""
    raw = json.dumps({**OK, "html": html}).encode()
    chunks = [raw[i : i + 300] for i in range(0, len(raw), 300)]
    box = Mailbox()
    with ServerThread(create_resend_app(ResendService(box, max_body_bytes=1000))) as server:
        response = httpx.post(server.base_url + "/emails", content=iter(chunks), headers=AUTH)
    assert "content-length" not in response.request.headers
    if status == 413:
        check_error(response, 413, "validation_error")
    else:
        assert response.status_code == 200, response.text
    assert len(box) == (status == 200)


@pytest.mark.parametrize(
    ("headers", "status", "name"),
    [
        ({}, 401, "missing_api_key"),
        ({"Authorization": "Bearer sk_nope"}, 403, "invalid_api_key"),
        ({"Authorization": "Basic re_x"}, 403, "invalid_api_key"),
    ],
)
def test_api_key_check(env: Env, headers: dict[str, str], status: int, name: str) -> None:
    response = httpx.post(str(env.client.base_url) + "/emails", json=OK, headers=headers)
    check_error(response, status, name)


def test_api_key_allow_list() -> None:
    service = ResendService(Mailbox(), api_keys={"re_good"})
    with ServerThread(create_resend_app(service)) as server:
        url = server.base_url + "/emails"
        ok = httpx.post(url, json=OK, headers={"Authorization": "Bearer re_good"})
        assert ok.status_code == 200
        bad = httpx.post(url, json=OK, headers={"Authorization": "Bearer re_other"})
        check_error(bad, 403, "invalid_api_key")


def test_unknown_path_and_method(env: Env) -> None:
    check_error(env.client.get("/nope"), 404, "not_found")
    check_error(env.client.delete("/emails"), 405, "method_not_allowed")
    check_error(env.client.get("/emails/not-a-uuid"), 422, "invalid_parameter")
    check_error(env.client.get("/emails/00000000-0000-4000-8000-000000000000"), 404, "not_found")
    check_error(env.client.get("/emails", params={"limit": 101}), 422, "validation_error")
    check_error(
        env.client.get("/emails", params={"after": "a", "before": "b"}), 422, "validation_error"
    )


def test_idempotency(env: Env) -> None:
    key = {"Idempotency-Key": "welcome/1"}
    first = env.client.post("/emails", json=OK, headers=key)
    again = env.client.post("/emails", json=OK, headers=key)
    assert first.json()["id"] == again.json()["id"]
    assert len(env.box) == 1
    check_error(
        env.client.post("/emails", json={**OK, "subject": "other"}, headers=key),
        409,
        "invalid_idempotent_request",
    )
    check_error(
        env.client.post("/emails", json=OK, headers={"Idempotency-Key": "k" * 257}),
        400,
        "invalid_idempotency_key",
    )
    env.clock.advance(hours=24, seconds=1)
    assert env.client.post("/emails", json=OK, headers=key).json()["id"] != first.json()["id"]
    # an errored request does not burn the key
    bad_key = {"Idempotency-Key": "b"}
    check_error(
        env.client.post("/emails", json={"to": "x@example.com"}, headers=bad_key),
        422,
        "missing_required_field",
    )
    assert env.client.post("/emails", json=OK, headers=bad_key).status_code == 200


def test_rate_limit_enforced_with_headers() -> None:
    service = ResendService(Mailbox(), rate_limit=2, enforce_rate_limit=True)
    with ServerThread(create_resend_app(service)) as server, httpx.Client(headers=AUTH) as c:
        answers = [c.post(server.base_url + "/emails", json=OK) for _ in range(3)]
    codes = [a.status_code for a in answers]
    assert codes.count(429) >= 1
    limited = next(a for a in answers if a.status_code == 429)
    check_error(limited, 429, "rate_limit_exceeded")
    assert limited.headers["ratelimit-limit"] == "2"
    assert limited.headers["ratelimit-remaining"] == "0"
    assert int(limited.headers["retry-after"]) >= 1


def test_scheduled_mail_released_by_virtual_clock(env: Env) -> None:
    eid = env.client.post("/emails", json={**OK, "scheduled_at": "in 10 minutes"}).json()["id"]
    got = env.client.get(f"/emails/{eid}").json()
    check("Email", got)
    assert got["last_event"] == "scheduled"
    assert len(env.box) == 0
    moved = env.client.patch(f"/emails/{eid}", json={"id": eid, "scheduled_at": "in 1 hour"})
    check("UpdateEmailOptions", moved.json())
    assert moved.json() == {"object": "email", "id": eid}
    env.clock.advance(minutes=30)
    assert len(env.box) == 0
    env.clock.advance(minutes=31)
    assert env.box.get(eid).received_at == env.clock.now - __import__("datetime").timedelta(
        minutes=1
    )
    assert env.client.get(f"/emails/{eid}").json()["last_event"] == "delivered"
    check_error(env.client.post(f"/emails/{eid}/cancel", json={}), 422, "validation_error")


def test_cancel_scheduled_mail(env: Env) -> None:
    when = (env.clock.now.replace(microsecond=0)).isoformat().replace("+00:00", "Z")
    later = when.replace("T09", "T10")
    eid = env.client.post("/emails", json={**OK, "scheduled_at": later}).json()["id"]
    canceled = env.client.post(f"/emails/{eid}/cancel", json={})
    check("Email", canceled.json())
    env.clock.advance(hours=2)
    assert len(env.box) == 0
    assert env.client.get(f"/emails/{eid}").json()["last_event"] == "canceled"
    check_error(
        env.client.patch(f"/emails/{eid}", json={"scheduled_at": "in 1 min"}),
        422,
        "validation_error",
    )
    check_error(env.client.patch(f"/emails/{eid}", json={}), 422, "missing_required_field")


def test_attachments_endpoints(env: Env) -> None:
    body = {
        **OK,
        "attachments": [
            {"filename": "a.pdf", "content": base64.b64encode(b"%PDF").decode()},
            {"filename": "logo.png", "content": list(b"\x89PNG"), "content_id": "logo"},
        ],
    }
    eid = env.client.post("/emails", json=body).json()["id"]
    listed = env.client.get(f"/emails/{eid}/attachments").json()
    check("ListAttachmentsResponse", listed)
    assert [(a["filename"], a["size"], a["content_disposition"]) for a in listed["data"]] == [
        ("a.pdf", 4, "attachment"),
        ("logo.png", 4, "inline"),
    ]
    assert listed["data"][0]["content_type"] == "application/pdf"
    one = env.client.get(f"/emails/{eid}/attachments/{listed['data'][1]['id']}").json()
    check("RetrievedAttachment", one)
    assert httpx.get(one["download_url"]).content == b"\x89PNG"
    check_error(env.client.get(f"/emails/{eid}/attachments/nope"), 404, "not_found")
    captured = env.box.get(eid)
    assert [a.content for a in captured.attachments] == [b"%PDF", b"\x89PNG"]


def test_svix_signed_webhooks() -> None:
    deliveries: list[tuple[str, bytes, dict[str, str]]] = []
    hooks = WebhookSender(
        "https://example.com/hook",
        transport=lambda url, body, headers: deliveries.append((url, body, headers)),
    )
    clock = Clock()
    service = ResendService(Mailbox(clock), webhooks=hooks)
    service.send({**OK, "headers": {"X-Ref": "1"}, "tags": [{"name": "k", "value": "v"}]})
    kinds = [d["type"] for d in hooks.sent]
    assert kinds == ["email.sent", "email.delivered"]
    _, body, headers = deliveries[1]
    expected = sign(hooks.secret, headers["svix-id"], int(headers["svix-timestamp"]), body)
    assert headers["svix-signature"] == expected
    import resend

    event = resend.Webhooks.verify(
        {
            "payload": body.decode(),
            "headers": {
                "id": headers["svix-id"],
                "timestamp": headers["svix-timestamp"],
                "signature": headers["svix-signature"],
            },
            "webhook_secret": hooks.secret,
        }
    )
    assert event is None or event
    assert hooks.sent[1]["data"]["tags"] == {"k": "v"}
    assert hooks.sent[1]["data"]["headers"] == [{"name": "X-Ref", "value": "1"}]


def test_webhooks_refuse_remote_hosts_without_opt_in() -> None:
    from emulator.mail import WebhookError

    with pytest.raises(WebhookError, match="allow_any_host"):
        WebhookSender("https://example.com/hook")
