"""Bulk message updates for a channel (`POST /v1/channels/{id}/messages/bulk/{action}`),
`GET /v1/bulk_operations/{id}` and the feed's `mode=compact`, through the `knockapi` SDK in strict
mode; every response is validated against the OpenAPI document by the `check_exchange` hook."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import knockapi
import pytest
from openapi_check import check_response
from test_knock_api import INVOICE, Env, knock_env
from test_knock_api_errors import assert_knock_error

from emulator.http.knock._serialize import channel_uuid

FEED = "in-app-feed"
# (recipient, tenant, workflow data extra) per message n, one virtual minute apart.
SEED: list[tuple[str, str | None, dict[str, Any]]] = [
    ("u1", "acme", {"team": "red"}),
    ("u1", None, {"team": "blue"}),
    ("u2", "acme", {"team": "red"}),
    ("u2", "globex", {"team": "blue"}),
]


@pytest.fixture
def env() -> Iterator[Env]:
    with knock_env() as value:
        for user in ("u1", "u2"):
            value.knock.users.update(user, email=f"{user}@example.com")
        for n, (user, tenant, extra) in enumerate(SEED):
            value.knock.workflows.trigger(
                "invoice-created",
                recipients=[user],
                data={**INVOICE, "n": n, **extra},
                tenant=tenant,
            )
            value.emulator.clock.advance(minutes=1)
        yield value


def in_app(env: Env) -> dict[int, Any]:
    """In-app messages by their `n`."""
    return {m.data["n"]: m for m in env.emulator.messages() if m.channel_type == "in_app_feed"}


def test_mark_all_seen_completes_and_is_stored(env: Env) -> None:
    knock = env.knock
    now = env.emulator.clock.now
    op = knock.channels.bulk.update_message_status(FEED, "seen", recipient_ids=["u1"])
    assert (op.status, op.estimated_total_rows, op.processed_rows) == ("completed", 2, 2)
    assert (op.success_count, op.error_count, op.error_items) == (2, 0, [])
    assert op.inserted_at == op.started_at == op.completed_at == op.updated_at == now
    assert op.failed_at is None
    wire = env.http.get(f"/v1/bulk_operations/{op.id}").json()
    assert wire["completed_at"] == now.isoformat().replace("+00:00", "Z")
    assert op.progress_path == f"{env.base_url}/v1/bulk_operations/{op.id}"
    assert knock.bulk_operations.get(op.id) == op
    assert {n for n, m in in_app(env).items() if m.seen_at == now} == {0, 1}
    meta = knock.users.feeds.list_items("u1", FEED).meta  # type: ignore[attr-defined]
    assert meta["unseen_count"] == 0
    assert knock.users.feeds.list_items("u2", FEED).meta["unseen_count"] == 2  # type: ignore[attr-defined]


FILTERS: list[tuple[str, dict[str, Any], set[int]]] = [
    ("no filter", {}, {0, 1, 2, 3}),
    ("recipient_ids", {"recipient_ids": ["u2"]}, {2, 3}),
    ("user_ids (JS client)", {"extra_body": {"user_ids": ["u1"]}}, {0, 1}),
    ("tenants", {"tenants": ["acme"]}, {0, 2}),
    ("has_tenant true", {"has_tenant": True}, {0, 2, 3}),
    ("has_tenant false", {"has_tenant": False}, {1}),
    ("workflows", {"workflows": ["invoice-created"]}, {0, 1, 2, 3}),
    ("other workflow", {"workflows": ["unseen-fallback"]}, set()),
    ("trigger_data", {"trigger_data": '{"team": "red"}'}, {0, 2}),
    ("newer_than", {"newer_than": "2025-01-01T09:01:30Z"}, {2, 3}),
    ("older_than", {"older_than": "2025-01-01T09:01:30Z"}, {0, 1}),
    ("engagement unseen", {"engagement_status": "unseen"}, {0, 1, 2, 3}),
    ("engagement seen", {"engagement_status": "seen"}, set()),
    ("delivery_status", {"delivery_status": "delivered"}, {0, 1, 2, 3}),
    ("other delivery_status", {"delivery_status": "not_sent"}, set()),
    ("archived only", {"archived": "only"}, set()),
    ("archived exclude", {"archived": "exclude"}, {0, 1, 2, 3}),
    ("combined", {"recipient_ids": ["u1", "u2"], "tenants": ["acme"], "has_tenant": True}, {0, 2}),
]


@pytest.mark.parametrize(("what", "filters", "expected"), FILTERS, ids=[f[0] for f in FILTERS])
def test_filters_choose_the_messages(
    env: Env, what: str, filters: dict[str, Any], expected: set[int]
) -> None:
    start = env.emulator.clock.now
    assert start.isoformat().startswith("2025-01-01T09:04"), "the time filters assume this start"
    op = env.knock.channels.bulk.update_message_status(FEED, "read", **filters)
    assert op.success_count == len(expected)
    assert {n for n, m in in_app(env).items() if m.read_at is not None} == expected


def test_filters_on_engagement_and_archived_state(env: Env) -> None:
    messages = in_app(env)
    now = env.emulator.clock.now
    messages[0].set_engagement("archived", True, now)
    messages[1].set_engagement("seen", True, now)
    bulk = env.knock.channels.bulk
    assert bulk.update_message_status(FEED, "read", archived="only").success_count == 1
    assert bulk.update_message_status(FEED, "read", engagement_status="seen").success_count == 1
    unread = bulk.update_message_status(
        FEED, "read", engagement_status="unread", archived="exclude"
    )
    assert unread.success_count == 2  # n=2 and n=3: n=0 is archived, n=1 already read
    assert {n for n, m in in_app(env).items() if m.read_at is not None} == {0, 1, 2, 3}


ACTIONS: list[tuple[str, list[str], list[str]]] = [
    # action, engagement before, engagement after (on the message the action targets)
    ("seen", [], ["seen"]),
    ("unseen", ["seen", "read"], ["read"]),
    ("read", [], ["read"]),
    ("unread", ["read"], []),
    ("archived", [], ["archived"]),
    ("archive", [], ["archived"]),
    ("unarchived", ["archived"], []),
    ("unarchive", ["archived", "seen"], ["seen"]),
    ("interacted", [], ["read", "interacted"]),
]


@pytest.mark.parametrize(("action", "before", "after"), ACTIONS, ids=[a[0] for a in ACTIONS])
def test_actions(env: Env, action: str, before: list[str], after: list[str]) -> None:
    target = in_app(env)[3]
    for status in before:
        target.set_engagement(status, True, env.emulator.clock.now)
    op = env.knock.channels.bulk.update_message_status(
        FEED,
        action,  # type: ignore[arg-type]
        recipient_ids=["u2"],
        tenants=["globex"],
    )
    assert op.success_count == 1
    assert env.knock.messages.get(target.id).engagement_statuses == after
    untouched = env.knock.messages.get(in_app(env)[2].id)
    assert untouched.engagement_statuses == []


def test_delete_removes_the_messages(env: Env) -> None:
    knock = env.knock
    doomed = {in_app(env)[n].id for n in (0, 1)}
    op = knock.channels.bulk.update_message_status(FEED, "delete", recipient_ids=["u1"])
    assert (op.name, op.success_count) == ("channel_messages.delete", 2)
    assert set(in_app(env)) == {2, 3}
    assert knock.users.feeds.list_items("u1", FEED).entries == []
    for message_id in doomed:
        with pytest.raises(knockapi.NotFoundError):
            knock.messages.get(message_id)
    emails = [m for m in env.emulator.messages() if m.channel_type == "email"]
    assert len(emails) == 4  # another channel's messages are untouched


def test_channel_ids_key_uuid_other_channel_and_unknown(env: Env) -> None:
    bulk = env.knock.channels.bulk
    by_uuid = bulk.update_message_status(channel_uuid(FEED), "seen", recipient_ids=["u1"])
    assert by_uuid.success_count == 2
    emails = bulk.update_message_status("postmark", "archive")
    assert emails.success_count == 4
    assert {m.channel_type for m in env.emulator.messages() if m.archived_at} == {"email"}
    # A real Knock channel UUID names no channel here: every in-app message matches.
    unknown = bulk.update_message_status("00000000-0000-4000-8000-000000000000", "read")
    assert unknown.success_count == 4
    assert {m.channel_type for m in env.emulator.messages() if m.read_at} == {"in_app_feed"}


def test_operations_get_distinct_ids_and_empty_object_is_no_filter(env: Env) -> None:
    response = env.http.post(f"/v1/channels/{FEED}/messages/bulk/seen", json={})
    assert response.status_code == 200
    first = response.json()
    assert first["success_count"] == 4
    second = env.knock.channels.bulk.update_message_status(FEED, "seen")
    assert second.id != first["id"]
    assert second.success_count == 4  # already seen still counts: the action is applied again
    assert env.http.get(f"/v1/bulk_operations/{first['id']}").json() == first


@pytest.mark.parametrize(
    "action", ["seen", "unseen", "read", "unread", "archive", "unarchive", "interacted", "delete"]
)
def test_missing_body_is_422_and_marks_nothing(env: Env, action: str) -> None:
    response = env.http.post(f"/v1/channels/{FEED}/messages/bulk/{action}")
    assert_knock_error(response.json(), 422, "invalid_params")
    assert response.json()["errors"][0]["field"] == "body"
    assert len(in_app(env)) == 4
    assert all(m.engagement_statuses == [] and m.archived_at is None for m in in_app(env).values())


def test_unknown_operation_is_404(env: Env) -> None:
    with pytest.raises(knockapi.NotFoundError) as caught:
        env.knock.bulk_operations.get("00000000-0000-4000-8000-000000000000")
    assert_knock_error(caught.value.body, 404, "resource_missing")


def test_unknown_action_is_422_and_changes_nothing(env: Env) -> None:
    with pytest.raises(knockapi.UnprocessableEntityError) as caught:
        env.knock.channels.bulk.update_message_status(FEED, "snooze")  # type: ignore[arg-type]
    assert_knock_error(caught.value.body, 422, "invalid_params")
    assert "snooze" in caught.value.message
    assert all(m.engagement_statuses == [] for m in env.emulator.messages())


BAD_BODIES: list[tuple[bytes, int, str, str | None]] = [
    (b"", 422, "invalid_params", "body"),  # knock-api.yml: the request body is required
    (b"  ", 422, "invalid_params", "body"),
    (b"{", 400, "invalid_json", None),
    (b"[]", 400, "invalid_json", None),
    (b'{"recipient_ids": "u1"}', 422, "invalid_params", "recipient_ids"),
    (b'{"recipient_ids": [1]}', 422, "invalid_params", "recipient_ids[0]"),
    (b'{"tenants": {}}', 422, "invalid_params", "tenants"),
    (b'{"has_tenant": "yes"}', 422, "invalid_params", "has_tenant"),
    (b'{"archived": "never"}', 422, "invalid_params", "archived"),
    (b'{"engagement_status": "opened"}', 422, "invalid_params", "engagement_status"),
    (b'{"engagement_status": ["seen"]}', 422, "invalid_params", "engagement_status"),
    (b'{"delivery_status": "lost"}', 422, "invalid_params", "delivery_status"),
    (b'{"newer_than": "yesterday"}', 422, "invalid_params", "newer_than"),
    (b'{"older_than": 5}', 422, "invalid_params", "older_than"),
    (b'{"trigger_data": "{not json"}', 422, "invalid_params", "trigger_data"),
    (b'{"trigger_data": {"team": "red"}}', 422, "invalid_params", "trigger_data"),
    (b'{"trigger_data": "[1]"}', 422, "invalid_params", "trigger_data"),
    (b'{"recipients": ["u1"]}', 422, "invalid_params", "recipients"),
]


@pytest.mark.parametrize(
    ("content", "status", "code", "field"), BAD_BODIES, ids=[b[0].decode() for b in BAD_BODIES]
)
def test_bad_bodies_change_nothing(
    env: Env, content: bytes, status: int, code: str, field: str | None
) -> None:
    response = env.http.post(f"/v1/channels/{FEED}/messages/bulk/delete", content=content)
    assert response.status_code == status
    body = response.json()
    assert_knock_error(body, status, code)
    if field is not None:
        assert body["errors"][0]["field"] == field
    assert len(in_app(env)) == 4


# -- feed mode=compact (knock.md 6.3) ------------------------------------------------------------
def test_feed_compact_mode(env: Env) -> None:
    """Compact drops activities/total_activities, keeps only scalar data, at most one actor.
    The spec marks the dropped fields required (so strict SDK validation rejects compact feeds,
    as it does against Knock): the SDK here does not validate, and the body is checked against
    the spec with those two fields restored, so every other field is still verified."""
    knock = env.knock
    for actor in ("a1", "a2"):
        knock.users.update(actor, name=actor.upper())
        knock.workflows.trigger(
            "invoice-updated",
            recipients=["u3"],
            actor=actor,
            data={"invoice_id": "inv_9", "status": "open", "lines": [1, 2], "meta": {"k": 1}},
        )
    env.emulator.clock.advance(minutes=5)
    rich = knock.users.feeds.list_items("u3", FEED).entries
    assert len(rich) == 1
    assert (len(rich[0].actors), rich[0].total_activities) == (2, 2)
    # batch-function.mdx "The `data` payload": after a batch, nested data is removed everywhere
    # the trigger data is returned alongside a message (the feed included)
    assert set(rich[0].data or {}) == {"invoice_id", "status"}

    with httpx.Client() as plain:
        loose = knockapi.Knock(
            api_key="sk_test", base_url=env.base_url, max_retries=0, http_client=plain
        )
        page = loose.users.feeds.with_raw_response.list_items("u3", FEED, mode="compact")
        parsed = page.parse().entries[0]
    body = page.http_response.json()
    (entry,) = body["entries"]
    assert "activities" not in entry
    assert "total_activities" not in entry
    assert [a["id"] for a in entry["actors"]] == [rich[0].actors[0].id]
    assert entry["total_actors"] == 2
    assert entry["data"] == {"invoice_id": "inv_9", "status": "open"}
    assert entry["blocks"] == [b.model_dump(by_alias=True) for b in rich[0].blocks]
    restored = {**body, "entries": [entry | {"activities": [], "total_activities": 0}]}
    check_response("get", "/v1/users/{user_id}/feeds/{id}", 200, restored)
    assert parsed.id == rich[0].id
    assert parsed.data == entry["data"]
    strict = knockapi.Knock(
        api_key="sk_test", base_url=env.base_url, max_retries=0, _strict_response_validation=True
    )
    with strict, pytest.raises(knockapi.APIResponseValidationError):
        strict.users.feeds.list_items("u3", FEED, mode="compact")
