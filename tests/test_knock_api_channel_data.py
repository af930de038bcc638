"""Channel data of users and objects (`/v1/users/{user_id}/channel_data/{channel_id}` and the
object twin) through the `knockapi` SDK in strict validation mode; every response is validated
against the OpenAPI document by the `check_exchange` hook. Data set over HTTP must reach the
engine: push and chat steps find it and send."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import knockapi
import pytest
from openapi_check import check_schema
from test_knock_api import Env, knock_env
from test_knock_api_errors import assert_knock_error
from wfbuild import make_emulator, workflow

from emulator import USERS
from emulator.http.knock._serialize import channel_uuid

PUSH_STEP = {
    "ref": "push_1",
    "type": "channel",
    "channel_type": "push",
    "channel_key": "apns",
    "template": {"title": "Invoice", "text_body": "Invoice {{ data.invoice_id }}"},
}
CHAT_STEP = {
    "ref": "chat_1",
    "type": "channel",
    "channel_type": "chat",
    "channel_key": "slack",
    "template": {"markdown_body": "Invoice {{ data.invoice_id }}"},
}
WEBHOOK = {"incoming_webhook": {"url": "https://hooks.slack.test/T1/B1"}}


@pytest.fixture
def env() -> Iterator[Env]:
    emulator = make_emulator(workflow("push-alert", PUSH_STEP), workflow("chat-alert", CHAT_STEP))
    with knock_env(emulator=emulator) as value:
        yield value


def stored(env: Env, collection: str, entity_id: str) -> Any:
    entity = env.emulator.object(collection, entity_id)
    return None if entity is None else entity.get("channel_data")


# -- round trips ---------------------------------------------------------------------------------
@pytest.mark.parametrize("channel_id", ["apns", channel_uuid("apns")])
def test_user_push_tokens_set_get_unset(env: Env, channel_id: str) -> None:
    """Setting channel data for an unknown user creates the user (the spec's PUT); the data is
    stored under the channel key whichever id the client uses, and reported with the UUID."""
    knock = env.knock
    put = knock.users.set_channel_data("u1", channel_id, data={"tokens": ["tok_1", "tok_2"]})
    assert (put.api_typename, put.channel_id) == ("ChannelData", channel_uuid("apns"))
    assert put.data.model_dump() == {"tokens": ["tok_1", "tok_2"], "devices": []}
    assert stored(env, USERS, "u1") == {"apns": {"tokens": ["tok_1", "tok_2"], "devices": []}}
    got = knock.users.get_channel_data("u1", channel_id)
    assert got.model_dump() == put.model_dump()
    user = env.http.get("/v1/users/u1").json()
    assert "channel_data" not in user  # served by its own endpoint, never as a property
    assert knock.users.unset_channel_data("u1", channel_id) is None
    assert stored(env, USERS, "u1") is None
    with pytest.raises(knockapi.NotFoundError) as caught:
        knock.users.get_channel_data("u1", channel_id)
    assert_knock_error(caught.value.body, 404, "resource_missing")
    assert "PUT /v1/users/u1/channel_data/" in caught.value.body["message"]


def test_object_channel_data_set_get_unset(env: Env) -> None:
    knock = env.knock
    put = knock.objects.set_channel_data("projects", "p1", "apns", data={"tokens": ["tok_p"]})
    assert put.data.tokens == ["tok_p"]  # type: ignore[union-attr]
    assert env.emulator.object("projects", "p1") is not None  # created by the PUT
    got = knock.objects.get_channel_data("projects", "p1", channel_uuid("apns"))
    assert got.model_dump() == put.model_dump()
    knock.objects.unset_channel_data("projects", "p1", "apns")
    assert stored(env, "projects", "p1") is None


def test_put_replaces_one_channels_data_and_keeps_the_others(env: Env) -> None:
    knock = env.knock
    knock.users.set_channel_data("u1", "apns", data={"tokens": ["old_1", "old_2"]})
    knock.users.set_channel_data("u1", "slack", data={"connections": [WEBHOOK]})
    knock.users.set_channel_data("u1", "apns", data={"tokens": ["new"]})
    assert stored(env, USERS, "u1") == {
        "apns": {"tokens": ["new"], "devices": []},
        "slack": {"connections": [WEBHOOK]},
    }
    knock.users.unset_channel_data("u1", "apns")
    assert stored(env, USERS, "u1") == {"slack": {"connections": [WEBHOOK]}}


def test_devices_only_push_data_reports_and_stores_their_tokens(env: Env) -> None:
    """Knock's ChannelData answers push data with both `tokens` and `devices`; the tokens of
    devices-only data are derived from the devices, so the push step finds them too."""
    devices = [{"token": "dev_1", "locale": "en-GB", "timezone": "Europe/London"}]
    put = env.knock.users.set_channel_data("u1", "apns", data={"devices": devices})
    assert put.data.model_dump() == {"tokens": ["dev_1"], "devices": devices}
    env.knock.workflows.trigger("push-alert", recipients=["u1"], data={"invoice_id": "i1"})
    assert [m.status for m in env.emulator.messages(channel_type="push")] == ["sent"]


def test_an_unknown_channel_uuid_is_stored_as_given(env: Env) -> None:
    """A real Knock channel UUID that names no channel here still round-trips."""
    channel_id = "182bd5e5-6e1a-4fe4-a799-aa6d9a6ab26e"
    put = env.knock.users.set_channel_data("u1", channel_id, data={"tokens": ["t"]})
    assert put.channel_id == channel_id
    assert set(stored(env, USERS, "u1")) == {channel_id}
    assert env.knock.users.get_channel_data("u1", channel_id).channel_id == channel_id


def test_slack_token_connections_answer_in_the_slack_shape(env: Env) -> None:
    """The spec's ChannelData.data is a `oneOf` whose three chat shapes all accept a Slack token
    connection (none forbids extra keys), so no server can satisfy it for Slack data; the SDK's
    strict models accept it, and the body is checked here against the SlackChannelData branch
    and the rest of the envelope."""
    connection = {"access_token": "xoxb-1", "channel_id": "C1", "user_id": None}
    with httpx.Client() as plain:
        strict = knockapi.Knock(
            api_key="sk_test",
            base_url=env.base_url,
            max_retries=0,
            http_client=plain,
            _strict_response_validation=True,
        )
        put = strict.users.with_raw_response.set_channel_data(
            "u1", "slack", data={"connections": [connection]}
        )
        parsed = put.parse()
    body = put.http_response.json()
    assert body == {
        "__typename": "ChannelData",
        "channel_id": channel_uuid("slack"),
        "data": {"connections": [connection]},
    }
    check_schema("SlackChannelData", body["data"])
    check_schema("ChannelData", {**body, "data": {"tokens": [], "devices": []}})
    assert parsed.channel_id == body["channel_id"]


# -- the engine reads what the API wrote ---------------------------------------------------------
def test_push_tokens_put_over_http_reach_the_push_step(env: Env) -> None:
    knock, emu = env.knock, env.emulator
    knock.users.set_channel_data("u1", channel_uuid("apns"), data={"tokens": ["tok_1"]})
    knock.workflows.trigger("push-alert", recipients=["u1"], data={"invoice_id": "inv_1"})
    [message] = emu.messages(channel_type="push")
    assert (message.recipient_id, message.channel_key, message.status) == ("u1", "apns", "sent")
    assert message.content["title"] == "Invoice"
    knock.users.unset_channel_data("u1", "apns")
    run = knock.workflows.trigger("push-alert", recipients=["u1"], data={"invoice_id": "inv_2"})
    [later] = [r for r in emu.runs() if r.workflow_run_id == run.workflow_run_id]
    assert later.step("push_1").outcome == "skipped"
    assert "no push tokens" in (later.step("push_1").skipped_because or "")
    assert len(emu.messages(channel_type="push")) == 1


def test_identify_with_inline_channel_data_by_uuid_reaches_the_push_step(env: Env) -> None:
    knock, emu = env.knock, env.emulator
    extra = {"channel_data": {channel_uuid("apns"): {"tokens": ["tok_9"]}}}
    knock.users.update("u9", name="Nine", extra_body=extra)
    assert stored(env, USERS, "u9") == {"apns": {"tokens": ["tok_9"], "devices": []}}
    knock.workflows.trigger("push-alert", recipients=["u9"], data={"invoice_id": "inv_1"})
    [message] = emu.messages(channel_type="push")
    assert message.recipient_id == "u9"
    response = env.http.put("/v1/users/u9", json={"channel_data": {"apns": {"tokens": "x"}}})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "channel_data.apns.tokens"


def test_chat_connections_of_an_object_reach_the_chat_step(env: Env) -> None:
    knock, emu = env.knock, env.emulator
    knock.objects.set_channel_data("teams", "t1", "slack", data={"connections": [WEBHOOK]})
    recipient = {"id": "t1", "collection": "teams"}
    knock.workflows.trigger("chat-alert", recipients=[recipient], data={"invoice_id": "inv_1"})
    [message] = emu.messages(channel_type="chat")
    assert (message.channel_key, message.status) == ("slack", "sent")


# -- errors --------------------------------------------------------------------------------------
NOT_FOUND = [
    ("user", lambda k: k.users.get_channel_data("ghost", "apns")),
    ("object", lambda k: k.objects.get_channel_data("projects", "ghost", "apns")),
    ("channel of a user", lambda k: k.users.get_channel_data("u1", "slack")),
    ("unset for a user", lambda k: k.users.unset_channel_data("ghost", "apns")),
    ("unset for an object", lambda k: k.objects.unset_channel_data("projects", "ghost", "apns")),
]


@pytest.mark.parametrize(("what", "call"), NOT_FOUND, ids=[n[0] for n in NOT_FOUND])
def test_missing_owner_or_channel_data_is_404(env: Env, what: str, call: Any) -> None:
    env.knock.users.set_channel_data("u1", "apns", data={"tokens": ["t"]})
    with pytest.raises(knockapi.NotFoundError) as caught:
        call(env.knock)
    assert_knock_error(caught.value.body, 404, "resource_missing")


def test_unset_is_idempotent_for_an_existing_user(env: Env) -> None:
    env.knock.users.update("u1", name="Ada")
    for _ in range(2):
        assert env.knock.users.unset_channel_data("u1", "apns") is None


INVALID: list[tuple[str, Any, str]] = [
    ("apns", {}, "data"),
    ("apns", {"data": "tok"}, "data"),
    ("apns", {"data": ["tok"]}, "data"),
    ("apns", {"data": {}}, "data.tokens"),
    ("apns", {"data": {"connections": [WEBHOOK]}}, "data.tokens"),
    ("apns", {"data": {"tokens": "tok"}}, "data.tokens"),
    ("apns", {"data": {"tokens": ["a", 5]}}, "data.tokens[1]"),
    ("apns", {"data": {"devices": [{"locale": "en"}]}}, "data.devices[0].token"),
    ("apns", {"data": {"devices": ["tok"]}}, "data.devices[0]"),
    ("apns", {"data": {"devices": [{"token": "t", "locale": 1}]}}, "data.devices[0].locale"),
    ("slack", {"data": {"tokens": ["a"]}}, "data.connections"),
    ("slack", {"data": {"connections": {}}}, "data.connections"),
    ("slack", {"data": {"connections": ["x"]}}, "data.connections[0]"),
    (
        "slack",
        {"data": {"connections": [{"incoming_webhook": {}}]}},
        "data.connections[0].incoming_webhook.url",
    ),
    ("slack", {"data": {"connections": [{"channel_id": 7}]}}, "data.connections[0].channel_id"),
    ("slack", {"data": {"connections": [], "token": "x"}}, "data.token"),
    ("other", {"data": {"player_ids": ["nope"]}}, "data.player_ids[0]"),
    ("other", {"data": {"ms_teams_tenant_id": "x", "connections": []}}, "data.ms_teams_tenant_id"),
    ("other", {"data": {"channel": "C1"}}, "data"),
    ("other", {"data": {"tokens": ["a"], "connections": []}}, "data"),
]


@pytest.mark.parametrize(
    ("owner", "collection", "entity_id"),
    [("users/u1", USERS, "u1"), ("objects/teams/t1", "teams", "t1")],
)
@pytest.mark.parametrize(("channel_id", "body", "field"), INVALID)
def test_invalid_channel_data_is_422_naming_the_json_path(
    env: Env,
    owner: str,
    collection: str,
    entity_id: str,
    channel_id: str,
    body: Any,
    field: str,
) -> None:
    """Nothing is stored (or created) when the data is refused."""
    response = env.http.put(f"/v1/{owner}/channel_data/{channel_id}", json=body)
    assert response.status_code == 422, response.text
    error = response.json()
    assert_knock_error(error, 422, "invalid_params")
    assert error["errors"][0]["field"] == field
    assert error["message"].startswith(f"{field}: ")
    assert env.emulator.object(collection, entity_id) is None


@pytest.mark.parametrize(
    ("path", "content", "status", "code"),
    [
        ("/v1/users/u1/channel_data/apns", b"", 400, "invalid_json"),
        ("/v1/users/u1/channel_data/apns", b"{nope", 400, "invalid_json"),
        ("/v1/objects/$users/u1/channel_data/apns", b'{"data": {"tokens": []}}', 422, None),
    ],
)
def test_unreadable_bodies_and_reserved_collections(
    env: Env, path: str, content: bytes, status: int, code: str | None
) -> None:
    response = env.http.put(path, content=content, headers={"content-type": "application/json"})
    assert_knock_error(response.json(), status, code or "invalid_params")
