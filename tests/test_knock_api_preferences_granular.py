"""Granular preference updates (`PUT .../preferences/{id}/channel_types[/{type}]`,
`.../workflows[/{key}]`, `.../categories[/{key}]`) for users and objects. The `knockapi` SDK has
no methods for these deprecated endpoints, so the spec-checked raw client sends the bodies
Knock's SDKs sent; reads go through the SDK. Every update must change what a trigger sends."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from test_knock_api import Env, knock_env
from test_knock_api_errors import assert_knock_error
from wfbuild import email, in_app, make_emulator, workflow

USER = "/v1/users/u1/preferences"
OBJECT = "/v1/objects/projects/p1/preferences"


@pytest.fixture
def env() -> Iterator[Env]:
    emulator = make_emulator(
        workflow("notice", email(subject="Notice"), in_app(body="Notice"), categories=["billing"]),
        workflow("digest", email(subject="Digest"), in_app(body="Digest")),
    )
    with knock_env(emulator=emulator) as value:
        value.knock.users.update("u1", email="u1@example.com")
        value.knock.objects.set("projects", "p1", extra_body={"email": "p1@example.com"})
        yield value


def put(env: Env, path: str, body: Any) -> dict[str, Any]:
    response = env.http.put(path, json=body)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def sent(env: Env, workflow_key: str) -> list[str]:
    return [m.channel_type for m in env.emulator.messages(workflow=workflow_key)]


# -- each endpoint changes what a trigger sends --------------------------------------------------
UPDATES: list[tuple[str, Any, dict[str, Any], list[str], list[str]]] = [
    # (path suffix, body, stored set, notice sends, digest sends)
    (
        "channel_types",
        {"email": False},
        {"channel_types": {"email": False}},
        ["in_app_feed"],
        ["in_app_feed"],
    ),
    (
        "channel_types/email",
        {"subscribed": False},
        {"channel_types": {"email": False}},
        ["in_app_feed"],
        ["in_app_feed"],
    ),
    (
        "workflows",
        {"notice": False},
        {"workflows": {"notice": False}},
        [],
        ["email", "in_app_feed"],
    ),
    (
        "workflows/notice",
        {"subscribed": False},
        {"workflows": {"notice": False}},
        [],
        ["email", "in_app_feed"],
    ),
    (
        "workflows/digest",
        {"channel_types": {"in_app_feed": False}},
        {"workflows": {"digest": {"channel_types": {"in_app_feed": False}}}},
        ["email", "in_app_feed"],
        ["email"],
    ),
    (
        "categories",
        {"billing": False},
        {"categories": {"billing": False}},
        [],
        ["email", "in_app_feed"],
    ),
    (
        "categories/billing",
        {"channel_types": {"email": False}},
        {"categories": {"billing": {"channel_types": {"email": False}}}},
        ["in_app_feed"],
        ["email", "in_app_feed"],
    ),
    (
        "channel_types/email",
        {"conditions": [{"variable": "data.level", "operator": "equal_to", "argument": "high"}]},
        {
            "channel_types": {
                "email": {
                    "conditions": [
                        {"variable": "data.level", "operator": "equal_to", "argument": "high"}
                    ]
                }
            }
        },
        ["in_app_feed"],
        ["in_app_feed"],
    ),
]


@pytest.mark.parametrize(
    ("base", "recipient"), [(USER, "u1"), (OBJECT, "p1")], ids=["user", "object"]
)
@pytest.mark.parametrize(
    ("suffix", "body", "stored", "notice", "digest"), UPDATES, ids=[u[0] for u in UPDATES]
)
def test_a_granular_update_is_what_the_next_trigger_obeys(
    env: Env,
    base: str,
    recipient: str,
    suffix: str,
    body: Any,
    stored: dict[str, Any],
    notice: list[str],
    digest: list[str],
) -> None:
    answer = put(env, f"{base}/default/{suffix}", body)
    blank = {"channel_types": None, "workflows": None, "categories": None, "channels": None}
    assert answer == {
        "__typename": "PreferenceSet",
        "id": "default",
        "commercial_subscribed": None,
        **blank,
        **stored,
    }
    if base == USER:
        assert env.knock.users.get_preferences("u1", "default").to_dict() == answer
        target: Any = "u1"
    else:
        assert env.knock.objects.get_preferences("projects", "p1", "default").to_dict() == answer
        target = {"collection": "projects", "id": "p1"}
    env.knock.workflows.trigger("notice", recipients=[target], data={"level": "low"})
    env.knock.workflows.trigger("digest", recipients=[target], data={"level": "low"})
    assert (sent(env, "notice"), sent(env, "digest")) == (notice, digest)
    assert {m.recipient_id for m in env.emulator.messages()} <= {recipient}


def test_a_section_is_replaced_and_the_rest_of_the_set_kept(env: Env) -> None:
    env.knock.users.set_preferences(
        "u1", "default", channel_types={"email": False, "sms": False}, workflows={"digest": False}
    )
    answer = put(env, f"{USER}/default/channel_types", {"push": False})
    assert (answer["channel_types"], answer["workflows"]) == ({"push": False}, {"digest": False})


def test_a_channel_types_section_may_carry_the_replace_strategy(env: Env) -> None:
    body = {"__strategy__": "replace", "email": False}
    assert put(env, f"{USER}/default/channel_types", body)["channel_types"] == body
    response = env.http.put(f"{USER}/default/channel_types", json={"__strategy__": "swap"})
    assert response.json()["errors"][0]["field"] == "__strategy__"


def test_one_key_is_set_and_its_siblings_kept(env: Env) -> None:
    env.knock.users.set_preferences("u1", "default", workflows={"digest": False, "notice": True})
    answer = put(env, f"{USER}/default/workflows/notice", {"subscribed": False})
    assert answer["workflows"] == {"digest": False, "notice": False}
    again = put(env, f"{USER}/default/workflows/notice", {"channel_types": {"email": True}})
    assert again["workflows"] == {"digest": False, "notice": {"channel_types": {"email": True}}}


def test_a_tenant_set_applies_to_that_tenants_runs_only(env: Env) -> None:
    env.knock.tenants.set("acme", name="Acme")
    put(env, f"{USER}/acme/channel_types/email", {"subscribed": False})
    assert [p.id for p in env.knock.users.list_preferences("u1")] == ["default", "acme"]
    env.knock.workflows.trigger("digest", recipients=["u1"], tenant="acme")
    env.knock.workflows.trigger("digest", recipients=["u1"])
    assert sent(env, "digest") == ["in_app_feed", "email", "in_app_feed"]


def test_a_user_is_identified_but_an_object_must_exist(env: Env) -> None:
    put(env, "/v1/users/newcomer/preferences/default/categories/billing", {"subscribed": False})
    assert env.knock.users.get("newcomer").id == "newcomer"
    response = env.http.put(
        "/v1/objects/projects/ghost/preferences/default/channel_types", json={"email": False}
    )
    assert response.status_code == 404
    assert_knock_error(response.json(), 404, "resource_missing")
    assert env.emulator.object("projects", "ghost") is None


# -- validation ----------------------------------------------------------------------------------
BAD: list[tuple[str, Any, str]] = [
    ("channel_types", {"email": "no"}, "email"),
    ("channel_types", {"fax": True}, "fax"),
    ("channel_types", {"email": None}, "email"),
    ("channel_types", {"email": {"conditions": "x"}}, "email.conditions"),
    ("channel_types/fax", {"subscribed": True}, "type"),
    ("channel_types/email", {"subscribed": "yes"}, "subscribed"),
    ("channel_types/email", {}, "subscribed"),
    ("channel_types/email", {"channel_types": {"email": False}}, "subscribed"),
    (
        "channel_types/email",
        {"conditions": [{"variable": "refs.x.status", "operator": "equal_to", "argument": 1}]},
        "conditions[0].variable",
    ),
    ("workflows", {"notice": {"channel_types": {"email": 1}}}, "notice.channel_types.email"),
    ("workflows", {"notice": {"bogus": True}}, "notice.bogus"),
    ("workflows/notice", {"subscribed": True, "conditions": []}, "conditions"),
    ("workflows/notice", {"channel_types": {"email": 1}}, "channel_types.email"),
    ("workflows/notice", {}, "subscribed"),
    ("categories", {"billing": None}, "billing"),
    ("categories/billing", {"bogus": 1}, "bogus"),
    (
        "categories/billing",
        {"conditions": [{"variable": "data.x", "operator": "nope"}]},
        "conditions[0].operator",
    ),
]


@pytest.mark.parametrize("base", [USER, OBJECT], ids=["user", "object"])
@pytest.mark.parametrize(("suffix", "body", "field"), BAD, ids=[f"{b[0]}:{b[2]}" for b in BAD])
def test_a_bad_body_names_its_field_and_changes_nothing(
    env: Env, base: str, suffix: str, body: Any, field: str
) -> None:
    before = put(env, f"{base}/default/channel_types", {"sms": False})
    response = env.http.put(f"{base}/default/{suffix}", json=body)
    assert response.status_code == 422, response.text
    assert_knock_error(response.json(), 422, "invalid_params")
    assert response.json()["errors"][0]["field"] == field
    assert env.http.get(f"{base}/default").json() == before


def test_a_body_must_be_a_json_object(env: Env) -> None:
    response = env.http.put(f"{USER}/default/channel_types", json=[{"email": False}])
    assert response.status_code == 400
    assert_knock_error(response.json(), 400, "invalid_json")
