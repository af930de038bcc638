"""`GET /v1/users/{user_id}/subscriptions`: the objects a user is subscribed to, newest first,
paginated like the other lists, through the `knockapi` SDK in strict validation mode (every
response checked against the OpenAPI document by the `check_exchange` hook)."""

from __future__ import annotations

from collections.abc import Iterator

import knockapi
import pytest
from starlette.datastructures import QueryParams
from test_knock_api import Env, knock_env
from test_knock_api_errors import assert_knock_error

from emulator import USERS
from emulator.http.knock._errors import KnockAPIError
from emulator.http.knock._subscriptions import q_refs


@pytest.fixture
def env() -> Iterator[Env]:
    """u1 subscribed to projects p1, p2 (with properties) and p3, one virtual minute apart."""
    with knock_env() as value:
        knock = value.knock
        knock.users.update("u1", name="Ada")
        for object_id in ("p1", "p2", "p3"):
            knock.objects.set("projects", object_id, extra_body={"name": object_id.upper()})
            properties = {"role": "owner"} if object_id == "p2" else None
            knock.objects.add_subscriptions(
                "projects",
                object_id,
                recipients=["u1"],
                **({"properties": properties} if properties else {}),
            )
            value.emulator.clock.advance(minutes=1)
        yield value


def test_lists_the_users_subscriptions_newest_first(env: Env) -> None:
    page = env.knock.users.list_subscriptions("u1")
    assert [s.object.id for s in page.entries] == ["p3", "p2", "p1"]
    assert {s.recipient.id for s in page.entries} == {"u1"}
    assert [s.properties for s in page.entries] == [None, {"role": "owner"}, None]
    assert page.entries[0].object.properties == {"name": "P3"}
    stamps = [s.inserted_at for s in page.entries]
    assert stamps == sorted(stamps, reverse=True)
    assert len(set(stamps)) == 3


def test_pages_follow_the_after_cursor(env: Env) -> None:
    first = env.knock.users.list_subscriptions("u1", page_size=1)
    assert [s.object.id for s in first.entries] == ["p3"]
    assert first.page_info.after is not None
    walked = [s.object.id for s in env.knock.users.list_subscriptions("u1", page_size=2)]
    assert walked == ["p3", "p2", "p1"]  # the SDK's auto-pagination follows page_info.after


def test_objects_filter_in_python_and_node_spellings(env: Env) -> None:
    wanted = [{"id": "p1", "collection": "projects"}, {"id": "p3", "collection": "projects"}]
    page = env.knock.users.list_subscriptions("u1", objects=wanted)  # type: ignore[arg-type]
    assert [s.object.id for s in page.entries] == ["p3", "p1"]
    query = "objects[0][id]=p2&objects[0][collection]=projects"
    body = env.http.get(f"/v1/users/u1/subscriptions?{query}").json()
    assert [s["object"]["id"] for s in body["entries"]] == ["p2"]


def test_include_preferences_adds_the_users_sets_to_the_recipient(env: Env) -> None:
    env.knock.users.set_preferences("u1", "default", channel_types={"email": False})
    body = env.http.get("/v1/users/u1/subscriptions?include[]=preferences").json()
    prefs = {
        e["recipient"]["preferences"]["default"]["channel_types"]["email"] for e in body["entries"]
    }
    assert prefs == {False}
    plain = env.http.get("/v1/users/u1/subscriptions").json()
    assert all("preferences" not in e["recipient"] for e in plain["entries"])


def test_deleting_an_object_removes_its_subscriptions(env: Env) -> None:
    """An object goes with its subscriptions, as a deleted user goes with theirs."""
    before = [s.object.id for s in env.knock.users.list_subscriptions("u1").entries]
    env.knock.objects.delete("projects", "p2")
    after = [s.object.id for s in env.knock.users.list_subscriptions("u1").entries]
    assert "p2" in before
    assert after == [o for o in before if o != "p2"]


def test_a_subscribed_but_unidentified_user_is_listed(env: Env) -> None:
    env.knock.objects.add_subscriptions("projects", "p1", recipients=["newcomer"])
    assert env.emulator.user("newcomer") is None
    entries = env.knock.users.list_subscriptions("newcomer").entries
    assert [(s.object.id, s.recipient.id) for s in entries] == [("p1", "newcomer")]


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        ("/v1/users/ghost/subscriptions", 404, "resource_missing"),
        ("/v1/users/u1/subscriptions?include[]=tenants", 422, "invalid_params"),
        ("/v1/users/u1/subscriptions?objects[][collection]=projects", 422, "invalid_params"),
        ("/v1/users/u1/subscriptions?page_size=0", 422, "invalid_params"),
    ],
)
def test_errors(env: Env, path: str, status: int, code: str) -> None:
    response = env.http.get(path)
    assert_knock_error(response.json(), status, code)


def test_sdk_raises_not_found_for_an_unknown_user(env: Env) -> None:
    with pytest.raises(knockapi.NotFoundError):
        env.knock.users.list_subscriptions("ghost")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("objects[]=u9", [(USERS, "u9")]),
        (  # Python SDK: httpx groups the repeated keys
            "objects[][id]=p1&objects[][id]=p2&objects[][collection]=projects"
            "&objects[][collection]=teams",
            [("projects", "p1"), ("teams", "p2")],
        ),
        (  # Rack style, interleaved
            "objects[][id]=p1&objects[][collection]=projects&objects[][id]=p2"
            "&objects[][collection]=teams",
            [("projects", "p1"), ("teams", "p2")],
        ),
        ("objects[][id]=p1&objects[]=u9", [(USERS, "u9"), (USERS, "p1")]),
        (  # Node SDK
            "objects[1][id]=b&objects[1][collection]=c&objects[0][id]=a",
            [(USERS, "a"), ("c", "b")],
        ),
        ("objects[0]=u1", [(USERS, "u1")]),
        ("other[]=x", []),
    ],
)
def test_object_references_in_every_query_spelling(
    query: str, expected: list[tuple[str, str]]
) -> None:
    assert q_refs(QueryParams(query), "objects") == expected


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("objects[]=u1&objects[][collection]=projects", "objects[0].id"),
        ("objects[][id]=a&objects[][collection]=x&objects[][collection]=y", "objects[1].id"),
        ("objects[0][id]=a&objects[3][collection]=projects", "objects[3].id"),
    ],
)
def test_a_reference_without_id_names_its_position(query: str, field: str) -> None:
    with pytest.raises(KnockAPIError) as caught:
        q_refs(QueryParams(query), "objects")
    assert caught.value.field == field
