"""Bulk users, tenants and objects (`POST /v1/users/bulk/*`, `/v1/tenants/bulk/*`,
`/v1/objects/{collection}/bulk/*`) through the `knockapi` SDK in strict mode; every response is
checked against knock-api.yml by the `check_exchange` hook. Each write must reach the engine
(bulk-identified users get email, bulk tenants' branding renders, bulk subscriptions fan out),
and a request with one bad item must change nothing."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import knockapi
import pytest
from test_knock_api import Env, knock_env
from test_knock_api_errors import assert_knock_error
from wfbuild import email, in_app, make_emulator, workflow

from emulator import TENANTS, USERS
from emulator.http.knock._serialize import channel_uuid

BRANDED = "Color {{ vars.branding.primary_color }}"
PUSH = {
    "ref": "push_1",
    "type": "channel",
    "channel_type": "push",
    "channel_key": "apns",
    "template": {"title": "Alert", "text_body": "Alert"},
}


@pytest.fixture
def env() -> Iterator[Env]:
    emulator = make_emulator(
        workflow("notice", email(subject="Hi {{ recipient.name }}"), in_app(body="Notice")),
        workflow("branded", in_app(body=BRANDED)),
        workflow("alert", PUSH),
    )
    with knock_env(emulator=emulator) as value:
        yield value


def sent(env: Env, channel_type: str) -> list[str]:
    return sorted(m.recipient_id for m in env.emulator.messages(channel_type=channel_type))


# -- users ---------------------------------------------------------------------------------------
def test_bulk_identified_users_get_email_with_their_inline_preferences(env: Env) -> None:
    knock = env.knock
    op = knock.users.bulk.identify(
        users=[
            {"id": "ada", "name": "Ada", "email": "ada@example.com", "plan": {"tier": "pro"}},  # type: ignore[typeddict-unknown-key]
            {
                "id": "bob",
                "email": "bob@example.com",
                "preferences": {"default": {"channel_types": {"email": False}}},
                "channel_data": {channel_uuid("apns"): {"tokens": ["tok_1"]}},
            },
        ]
    )
    assert (op.name, op.status, op.success_count, op.error_count) == (
        "users.bulk_identify",
        "completed",
        2,
        0,
    )
    assert knock.users.get("ada").plan == {"tier": "pro"}
    knock.workflows.trigger("notice", recipients=["ada", "bob"])
    [mail] = env.emulator.outbox.filter(to="ada@example.com")
    assert mail.subject == "Hi Ada"
    assert env.emulator.outbox.filter(to="bob@example.com") == []  # bob opted out of email
    assert sent(env, "in_app_feed") == ["ada", "bob"]
    bob = env.emulator.user("bob") or {}
    assert bob["channel_data"] == {"apns": {"tokens": ["tok_1"], "devices": []}}
    knock.workflows.trigger("alert", recipients=["ada", "bob"])  # ada has no push token
    assert sent(env, "push") == ["bob"]


def test_bulk_identify_deep_merges_like_identify(env: Env) -> None:
    knock = env.knock
    knock.users.update("ada", name="Ada", extra_body={"plan": {"tier": "free", "seats": 2}})
    knock.users.set_preferences("ada", "default", categories={"billing": False})
    knock.users.bulk.identify(
        users=[
            {
                "id": "ada",
                "plan": {"tier": "pro"},  # type: ignore[typeddict-unknown-key]
                "preferences": {"default": {"workflows": {"x": False}}},
            }
        ]
    )
    user = knock.users.get("ada")
    assert (user.name, user.plan) == ("Ada", {"tier": "pro", "seats": 2})
    prefs = knock.users.get_preferences("ada", "default")
    assert (prefs.categories, prefs.workflows) == ({"billing": False}, {"x": False})


def test_bulk_delete_users_hard_deletes_what_knock_deletes(env: Env) -> None:
    knock, emu = env.knock, env.emulator
    knock.users.bulk.identify(users=[{"id": u, "email": f"{u}@example.com"} for u in "abc"])
    knock.objects.set("projects", "p1")
    knock.objects.add_subscriptions("projects", "p1", recipients=["a", "c"])
    knock.workflows.trigger("notice", recipients=["a", "b"])
    op = knock.users.bulk.delete(user_ids=["a", "b", "ghost"])
    assert (op.name, op.success_count) == ("users.bulk_delete", 3)
    assert [u.id for u in knock.users.list()] == ["c"]
    assert sent(env, "in_app_feed") == []  # their messages went with them
    assert [s.recipient.id for s in knock.objects.list_subscriptions("projects", "p1")] == ["c"]
    assert emu.preference_sets("a") == {}
    assert len(emu.outbox) == 2  # captured mail is the mailbox's, not Knock's


def test_bulk_preferences_replace_the_set_and_skip_the_email_step(env: Env) -> None:
    knock = env.knock
    knock.users.bulk.identify(users=[{"id": u, "email": f"{u}@example.com"} for u in ("a", "b")])
    knock.users.set_preferences("a", "default", categories={"billing": False})
    op = knock.users.bulk.set_preferences(
        user_ids=["a", "b", "new"], preferences={"channel_types": {"email": False}}
    )
    assert (op.name, op.success_count) == ("users.bulk_set_preferences", 3)
    replaced = knock.users.get_preferences("a", "default")
    assert (replaced.categories, replaced.channel_types.email) == (None, False)  # type: ignore[union-attr]
    assert knock.users.get("new").id == "new"  # unknown users are identified
    knock.workflows.trigger("notice", recipients=["a", "b"])
    assert len(env.emulator.outbox) == 0
    assert sent(env, "in_app_feed") == ["a", "b"]


def test_bulk_preferences_for_a_tenant_set(env: Env) -> None:
    knock = env.knock
    knock.users.bulk.identify(users=[{"id": "a", "email": "a@example.com"}])
    knock.tenants.set("acme", name="Acme")
    knock.users.bulk.set_preferences(
        user_ids=["a"], preferences={"id": "acme", "workflows": {"notice": False}}
    )
    assert [p.id for p in knock.users.list_preferences("a")] == ["default", "acme"]
    knock.workflows.trigger("notice", recipients=["a"], tenant="acme")
    knock.workflows.trigger("notice", recipients=["a"])
    assert [m.tenant for m in env.emulator.messages()] == [None, None]


# -- tenants -------------------------------------------------------------------------------------
def test_bulk_set_tenants_branding_renders_and_ids_alone_create(env: Env) -> None:
    knock = env.knock
    knock.users.update("u1", name="Ada")
    op = knock.tenants.bulk.set(
        tenants=[
            "plain",
            {
                "id": "acme",
                "name": "Acme",
                "settings": {
                    "branding": {"primary_color": "#ff0000"},
                    "preference_set": {"workflows": {"notice": False}},
                },
            },
        ]
    )
    assert (op.name, op.success_count) == ("tenants.bulk_set", 2)
    assert [t.id for t in knock.tenants.list()] == ["plain", "acme"]
    acme = knock.tenants.get("acme")
    assert acme.settings.branding.primary_color == "#ff0000"  # type: ignore[union-attr]
    knock.workflows.trigger("branded", recipients=["u1"], tenant="acme")
    knock.workflows.trigger("notice", recipients=["u1"], tenant="acme")  # tenant default: off
    [message] = env.emulator.messages()
    assert message.content["markdown_body"].strip() == "Color #ff0000"


def test_bulk_delete_tenants_takes_ids_from_the_query(env: Env) -> None:
    knock = env.knock
    knock.tenants.bulk.set(tenants=["a", "b", "c"])
    op = knock.tenants.bulk.delete(tenant_ids=["a", "c", "ghost"])
    assert (op.name, op.success_count) == ("tenants.bulk_delete", 3)
    assert [t.id for t in knock.tenants.list()] == ["b"]
    assert env.emulator.tenant("a") is None


# -- objects and subscriptions -------------------------------------------------------------------
def test_bulk_objects_and_subscriptions_drive_fan_out(env: Env) -> None:
    knock = env.knock
    op = knock.objects.bulk.set(
        "projects", objects=[{"id": "p1", "name": "Apollo"}, {"id": "p2", "name": "Gemini"}]
    )
    assert (op.name, op.success_count) == ("objects.bulk_set", 2)
    assert knock.objects.get("projects", "p1").properties == {"name": "Apollo"}
    added = knock.objects.bulk.add_subscriptions(
        "projects",
        subscriptions=[
            {
                "id": "p1",
                "recipients": ["u1", {"id": "u2", "name": "Bo", "email": "bo@example.com"}],
                "properties": {"role": "owner"},
            },
            {"id": "p2", "recipients": [{"id": "u2"}]},
        ],
    )
    assert (added.name, added.success_count) == ("objects.bulk_add_subscriptions", 3)
    subs = knock.objects.list_subscriptions("projects", "p1")
    assert [(s.recipient.id, s.properties) for s in subs] == [
        ("u1", {"role": "owner"}),
        ("u2", {"role": "owner"}),
    ]
    knock.workflows.trigger("notice", recipients=[{"collection": "projects", "id": "p1"}])
    assert [m.to for m in env.emulator.outbox.all()] == [["bo@example.com"]]
    removed = knock.objects.bulk.delete_subscriptions(
        "projects",
        subscriptions=[
            {"id": "p1", "recipients": ["u2", "never"]},
            {"id": "gone", "recipients": ["u1"]},
        ],
    )
    assert (removed.name, removed.success_count) == ("objects.bulk_delete_subscriptions", 3)
    assert [s.recipient.id for s in knock.objects.list_subscriptions("projects", "p1")] == ["u1"]
    deleted = knock.objects.bulk.delete("projects", object_ids=["p2", "ghost"])
    assert (deleted.name, deleted.success_count) == ("objects.bulk_delete", 2)
    assert [o.id for o in knock.objects.list("projects")] == ["p1"]


# -- operations ----------------------------------------------------------------------------------
CALLS: list[tuple[str, Callable[[knockapi.Knock], Any]]] = [
    ("users.bulk_identify", lambda k: k.users.bulk.identify(users=[{"id": "u9"}])),
    ("users.bulk_delete", lambda k: k.users.bulk.delete(user_ids=["u9"])),
    (
        "users.bulk_set_preferences",
        lambda k: k.users.bulk.set_preferences(user_ids=["u9"], preferences={}),
    ),
    ("tenants.bulk_set", lambda k: k.tenants.bulk.set(tenants=["t9"])),
    ("tenants.bulk_delete", lambda k: k.tenants.bulk.delete(tenant_ids=["t9"])),
    ("objects.bulk_set", lambda k: k.objects.bulk.set("projects", objects=[{"id": "p9"}])),
    ("objects.bulk_delete", lambda k: k.objects.bulk.delete("projects", object_ids=["p9"])),
]


@pytest.mark.parametrize(("name", "call"), CALLS, ids=[c[0] for c in CALLS])
def test_each_operation_is_completed_and_fetchable(
    env: Env, name: str, call: Callable[[knockapi.Knock], Any]
) -> None:
    op = call(env.knock)
    assert (op.name, op.status, op.estimated_total_rows, op.processed_rows) == (
        name,
        "completed",
        1,
        1,
    )
    assert op.completed_at == env.emulator.clock.now
    fetched = env.knock.bulk_operations.get(op.id)
    assert fetched.model_dump() == op.model_dump()


# -- validation: nothing is stored when one item is wrong ----------------------------------------
OK_USER = {"id": "ok", "email": "ok@example.com"}
BAD_BODIES: list[tuple[str, dict[str, Any], str]] = [
    ("/v1/users/bulk/identify", {"users": {"id": "a"}}, "users"),
    ("/v1/users/bulk/identify", {"users": []}, "users"),
    ("/v1/users/bulk/identify", {"users": [OK_USER] * 1001}, "users"),
    ("/v1/users/bulk/identify", {"users": [OK_USER, "bob"]}, "users[1]"),
    ("/v1/users/bulk/identify", {"users": [OK_USER, {"name": "x"}, {}, {}]}, "users[1].id"),
    (
        "/v1/users/bulk/identify",
        {"users": [OK_USER, {"id": "b", "created_at": 5}]},
        "users[1].created_at",
    ),
    (
        "/v1/users/bulk/identify",
        {
            "users": [
                OK_USER,
                {"id": "b", "preferences": {"default": {"channel_types": {"email": "no"}}}},
            ]
        },
        "users[1].preferences.default.channel_types.email",
    ),
    (
        "/v1/users/bulk/identify",
        {"users": [OK_USER, {"id": "b", "preferences": {"t1": {"__persistence_strategy__": "x"}}}]},
        "users[1].preferences.t1.__persistence_strategy__",
    ),
    (
        "/v1/users/bulk/identify",
        {"users": [OK_USER, {"id": "b", "channel_data": {"apns": {"tokens": [1]}}}]},
        "users[1].channel_data.apns.tokens[0]",
    ),
    ("/v1/users/bulk/delete", {"user_ids": ["ok", 7]}, "user_ids[1]"),
    ("/v1/users/bulk/delete", {"user_ids": []}, "user_ids"),
    ("/v1/users/bulk/preferences", {"user_ids": ["ok"]}, "preferences"),
    (
        "/v1/users/bulk/preferences",
        {"user_ids": ["ok"], "preferences": {"id": 3}},
        "preferences.id",
    ),
    (
        "/v1/users/bulk/preferences",
        {
            "user_ids": ["ok"],
            "preferences": {"workflows": {"notice": {"channel_types": {"email": 1}}}},
        },
        "preferences.workflows.notice.channel_types.email",
    ),
    (
        "/v1/users/bulk/preferences",
        {"user_ids": ["ok"], "preferences": {"__persistence_strategy__": "merge"}},
        "preferences.__persistence_strategy__",
    ),
    ("/v1/users/bulk/preferences", {"user_ids": [], "preferences": {}}, "user_ids"),
    ("/v1/tenants/bulk/set", {"tenants": ["ok", 3]}, "tenants[1]"),
    ("/v1/tenants/bulk/set", {"tenants": ["ok", {"name": "x"}]}, "tenants[1].id"),
    (
        "/v1/tenants/bulk/set",
        {"tenants": ["ok", {"id": "t", "settings": []}]},
        "tenants[1].settings",
    ),
    (
        "/v1/tenants/bulk/set",
        {
            "tenants": [
                "ok",
                {"id": "t", "settings": {"preference_set": {"channel_types": {"sms": 2}}}},
            ]
        },
        "tenants[1].settings.preference_set.channel_types.sms",
    ),
    ("/v1/objects/projects/bulk/set", {"objects": [{"id": "ok"}, {"id": ""}]}, "objects[1].id"),
    ("/v1/objects/$users/bulk/set", {"objects": [{"id": "ok"}]}, "collection"),
    ("/v1/objects/projects/bulk/delete", {"object_ids": ["ok", None]}, "object_ids[1]"),
    (
        "/v1/objects/projects/bulk/subscriptions/add",
        {
            "subscriptions": [
                {"id": "p1", "recipients": ["ok"]},
                {"id": "missing", "recipients": ["ok"]},
            ]
        },
        "subscriptions[1].id",
    ),
    (
        "/v1/objects/projects/bulk/subscriptions/add",
        {"subscriptions": [{"id": "p1", "recipients": [f"u{i}" for i in range(101)]}]},
        "subscriptions[0].recipients",
    ),
    (
        "/v1/objects/projects/bulk/subscriptions/add",
        {"subscriptions": [{"id": "p1", "recipients": ["ok", {"name": "no id"}]}]},
        "subscriptions[0].recipients[1].id",
    ),
    (
        "/v1/objects/projects/bulk/subscriptions/add",
        {"subscriptions": [{"id": "p1", "recipients": ["ok"], "properties": [1]}]},
        "subscriptions[0].properties",
    ),
    (
        "/v1/objects/projects/bulk/subscriptions/delete",
        {"subscriptions": [{"id": "p1", "recipients": ["ok", {"id": "x", "collection": 5}]}]},
        "subscriptions[0].recipients[1].collection",
    ),
]


def _state(env: Env) -> Any:
    emu = env.emulator
    return (
        [(c, dict(e)) for c in (USERS, TENANTS, "projects") for e in emu.objects(c)],
        emu.subscriptions("projects", "p1"),
        emu.preference_sets("ok"),
    )


@pytest.mark.parametrize(("path", "body", "field"), BAD_BODIES, ids=[c[2] for c in BAD_BODIES])
def test_a_bad_item_is_named_and_nothing_changes(
    env: Env, path: str, body: dict[str, Any], field: str
) -> None:
    env.knock.objects.set("projects", "p1")
    before = _state(env)
    response = env.http.post(path, json=body)
    assert response.status_code == 422, response.text
    assert_knock_error(response.json(), 422, "invalid_params")
    assert response.json()["errors"][0]["field"] == field
    assert _state(env) == before


def test_the_sdk_raises_unprocessable_entity(env: Env) -> None:
    with pytest.raises(knockapi.UnprocessableEntityError) as caught:
        env.knock.users.bulk.identify(users=[{"id": "a"}, {"id": ""}])
    assert "users[1].id" in str(caught.value)
    assert env.emulator.user("a") is None


def test_tenant_ids_are_required_in_the_query(env: Env) -> None:
    response = env.http.post("/v1/tenants/bulk/delete")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "tenant_ids"
