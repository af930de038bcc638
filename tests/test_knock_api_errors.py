"""Errors of the Knock API: Knock's `{code, message, status, type}` shape, its statuses, and the
SDK exception class each status maps to."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import knockapi
import pytest
from test_knock_api import INVOICE, Env, knock_env

KNOCK_KEYS = {"code", "message", "status", "type"}


@pytest.fixture
def env() -> Iterator[Env]:
    with knock_env() as value:
        yield value


def assert_knock_error(body: Any, status: int, code: str) -> None:
    assert isinstance(body, dict)
    assert set(body) >= KNOCK_KEYS, body
    assert (body["status"], body["code"]) == (status, code), body
    assert isinstance(body["message"], str)
    assert body["message"]


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        ({}, "api_key_missing"),
        ({"Authorization": "Bearer"}, "api_key_missing"),
        ({"Authorization": "Basic c2tfeA=="}, "api_key_missing"),
        ({"Authorization": "Bearer not_a_secret"}, "api_key_missing"),
        ({"Authorization": "Bearer pk_test_public"}, "incorrect_token_type"),  # secret-only
    ],
)
def test_auth_failures_are_401(env: Env, headers: dict[str, str], code: str) -> None:
    response = httpx.get(f"{env.base_url}/v1/users", headers=headers)
    assert response.status_code == 401
    assert_knock_error(response.json(), 401, code)
    assert response.json()["type"] == "authentication_error"


def test_sdk_raises_authentication_error_and_allow_list() -> None:
    with knock_env(api_keys=["sk_only_this"]) as env:
        with pytest.raises(knockapi.AuthenticationError) as caught:
            env.knock.users.list()  # the SDK sends sk_test, not in the allow-list
        assert_knock_error(caught.value.body, 401, "api_key_missing")
        allowed = env.knock.with_options(api_key="sk_only_this")
        assert list(allowed.users.list()) == []


NOT_FOUND: list[tuple[str, Callable[[knockapi.Knock], Any], str]] = [
    ("user", lambda k: k.users.get("ghost"), "resource_missing"),
    ("delete user", lambda k: k.users.delete("ghost"), "resource_missing"),
    ("message", lambda k: k.messages.get("ghost"), "resource_missing"),
    ("mark seen", lambda k: k.messages.mark_as_seen("ghost"), "resource_missing"),
    ("content", lambda k: k.messages.get_content("ghost"), "resource_missing"),
    ("batch", lambda k: k.messages.batch.mark_as_read(message_ids=["ghost"]), "resource_missing"),
    ("tenant", lambda k: k.tenants.get("ghost"), "resource_missing"),
    ("object", lambda k: k.objects.get("projects", "ghost"), "resource_missing"),
    (
        "subscriptions",
        lambda k: k.objects.add_subscriptions("projects", "ghost", recipients=["u1"]),
        "resource_missing",
    ),
    ("preferences", lambda k: k.users.get_preferences("ghost", "default"), "resource_missing"),
    ("run", lambda k: k.workflow_recipient_runs.get("ghost"), "resource_missing"),
    ("bulk operation", lambda k: k.bulk_operations.get("ghost"), "resource_missing"),
    (
        "workflow",
        lambda k: k.workflows.trigger("no-such-flow", recipients=["u1"]),
        "workflow_missing",
    ),
    (
        "cancel workflow",
        lambda k: k.workflows.cancel("no-such-flow", cancellation_key="c"),
        "workflow_missing",
    ),
]


@pytest.mark.parametrize(("what", "call", "code"), NOT_FOUND, ids=[row[0] for row in NOT_FOUND])
def test_unknown_ids_raise_not_found(
    env: Env, what: str, call: Callable[[knockapi.Knock], Any], code: str
) -> None:
    with pytest.raises(knockapi.NotFoundError) as caught:
        call(env.knock)
    assert_knock_error(caught.value.body, 404, code)
    assert caught.value.response.headers["x-should-retry"] == "false"


UNPROCESSABLE: list[tuple[str, Callable[[knockapi.Knock], Any], str]] = [
    (
        "data not an object",
        lambda k: k.workflows.trigger("invoice-created", recipients=["u1"], data=[1]),  # type: ignore[arg-type]
        "invalid_params",
    ),
    (
        "recipients empty",
        lambda k: k.workflows.trigger("invoice-created", recipients=[]),
        "invalid_params",
    ),
    (
        "recipient without id",
        lambda k: k.workflows.trigger("invoice-created", recipients=[{"name": "x"}]),  # type: ignore[list-item]
        "invalid_params",
    ),
    (
        "bad preference value",
        lambda k: k.users.set_preferences("u1", "default", channel_types={"email": "yes"}),  # type: ignore[arg-type]
        "invalid_params",
    ),
    (
        "bad inline preferences",
        lambda k: k.users.update("u1", preferences={"default": {"workflows": []}}),  # type: ignore[typeddict-item]
        "invalid_params",
    ),
    (
        "page_size too large",
        lambda k: k.users.list(page_size=500),
        "invalid_params",
    ),
    (
        "bad cursor",
        lambda k: k.users.list(after="!!!"),
        "invalid_params",
    ),
    (
        "bad feed status",
        lambda k: k.users.feeds.list_items("u1", "in-app-feed", status="new"),  # type: ignore[arg-type]
        "invalid_params",
    ),
    (
        "bad delivery status",
        lambda k: k.messages.list(status=["lost"]),  # type: ignore[list-item]
        "invalid_params",
    ),
    (
        "reserved collection",
        lambda k: k.objects.set("$users", "u1"),
        "invalid_params",
    ),
    (
        "bad trigger_data filter",
        lambda k: k.messages.list(trigger_data="{not json"),
        "invalid_params",
    ),
]


@pytest.mark.parametrize(
    ("what", "call", "code"), UNPROCESSABLE, ids=[row[0] for row in UNPROCESSABLE]
)
def test_invalid_input_raises_unprocessable(
    env: Env, what: str, call: Callable[[knockapi.Knock], Any], code: str
) -> None:
    with pytest.raises(knockapi.UnprocessableEntityError) as caught:
        call(env.knock)
    body = caught.value.body
    assert_knock_error(body, 422, code)
    assert isinstance(body, dict)
    assert body["type"] == "invalid_request_error"


def test_idempotency_key_reused_with_other_parameters(env: Env) -> None:
    env.knock.workflows.trigger(
        "invoice-created", recipients=["u1"], data=INVOICE, idempotency_key="same"
    )
    with pytest.raises(knockapi.UnprocessableEntityError) as caught:
        env.knock.workflows.trigger(
            "invoice-created", recipients=["u2"], data=INVOICE, idempotency_key="same"
        )
    assert_knock_error(caught.value.body, 422, "idempotency_key_reused")
    with pytest.raises(knockapi.UnprocessableEntityError):
        env.knock.workflows.trigger("invoice-created", recipients=["u1"], idempotency_key="k" * 256)


@pytest.mark.parametrize(
    ("method", "path", "content", "status", "code"),
    [
        ("POST", "/v1/workflows/invoice-created/trigger", b"{", 400, "invalid_json"),
        ("POST", "/v1/workflows/invoice-created/trigger", b"[]", 400, "invalid_json"),
        ("POST", "/v1/workflows/invoice-created/trigger", b"", 400, "invalid_json"),
        ("POST", "/v1/workflows/invoice-created/trigger", b"{}", 422, "invalid_params"),
        (
            "POST",
            "/v1/workflows/invoice-created/trigger",
            b'{"recipients": "u1"}',
            422,
            "invalid_params",
        ),
        ("POST", "/v1/workflows/invoice-created/cancel", b"{}", 422, "invalid_params"),
        (
            "POST",
            "/v1/workflows/invoice-created/cancel",
            b'{"cancellation_key": 5}',
            422,
            "invalid_params",
        ),
        ("PUT", "/v1/users/u1", b'{"preferences": 3}', 422, "invalid_params"),
        ("PUT", "/v1/tenants/t1", b'{"settings": []}', 422, "invalid_params"),
        ("POST", "/v1/messages/batch/seen", b'{"message_ids": [1]}', 422, "invalid_params"),
        ("POST", "/v1/messages/batch/seen", b'{"message_ids": "a"}', 422, "invalid_params"),
        ("PUT", "/v1/users/u1/preferences/default", b"{", 400, "invalid_json"),
    ],
)
def test_malformed_bodies(
    env: Env, method: str, path: str, content: bytes, status: int, code: str
) -> None:
    response = env.http.request(method, path, content=content)
    assert response.status_code == status
    assert_knock_error(response.json(), status, code)


def test_body_size_limit_is_413() -> None:
    with knock_env(max_body_bytes=1000) as env:
        blob: dict[str, object] = {"blob": "x" * 2000}
        big = {"recipients": ["u1"], "data": blob}
        response = httpx.post(
            f"{env.base_url}/v1/workflows/invoice-created/trigger",
            json=big,
            headers={"Authorization": "Bearer sk_test"},
        )
        assert response.status_code == 413
        assert_knock_error(response.json(), 413, "request_too_large")
        with pytest.raises(knockapi.APIStatusError) as caught:
            env.knock.workflows.trigger("invoice-created", recipients=["u1"], data=blob)
        assert caught.value.status_code == 413
        assert env.emulator.runs() == []


def test_unrouted_paths_and_wrong_methods(env: Env) -> None:
    auth = {"Authorization": "Bearer sk_test"}
    unrouted = httpx.get(f"{env.base_url}/v1/no/such/path", headers=auth)
    assert unrouted.status_code == 404
    assert unrouted.json() == {"errors": {"detail": "404 Not Found"}}
    wrong = httpx.post(f"{env.base_url}/v1/users/u1", headers=auth)
    assert wrong.status_code == 405
    assert_knock_error(wrong.json(), 405, "method_not_allowed")
