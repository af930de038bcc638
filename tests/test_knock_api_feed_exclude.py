"""The in-app feed's `exclude` query parameter: comma-separated dot paths from the response root,
at most 3 levels deep, applied to every element of a list on the way. Bodies are validated
against the OpenAPI document by the `check_exchange` hook, except where a test drops a field the
spec marks required (then the body is checked with that field restored)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import knockapi
import pytest
from openapi_check import check_response
from test_knock_api import Env, knock_env
from test_knock_api_errors import assert_knock_error

from emulator.http.knock._exclude import exclude_paths, without_paths

FEED = "/v1/users/u1/feeds/in-app-feed"
Check = Callable[[dict[str, Any]], bool]


@pytest.fixture
def env() -> Iterator[Env]:
    """Two in-app messages for u1 from Bob (who has an email), newest first in the feed."""
    with knock_env() as value:
        knock = value.knock
        knock.users.update("u1", email="ada@example.com", name="Ada")
        knock.users.update("bob", name="Bob", email="bob@example.com")
        for n in (1, 2):
            knock.workflows.trigger(
                "unseen-fallback",
                recipients=["u1"],
                actor="bob",
                data={"message": f"hello {n}", "message_id": f"m{n}"},
            )
        yield value


def entries(body: dict[str, Any]) -> list[dict[str, Any]]:
    found = body["entries"]
    assert len(found) == 2
    return list(found)


CASES: list[tuple[str, Check]] = [
    (
        "entries.archived_at,entries.clicked_at",
        lambda b: (
            all("archived_at" not in e and "clicked_at" not in e for e in entries(b))
            and all("read_at" in e for e in entries(b))
        ),
    ),
    (
        "entries.data.message",
        lambda b: [e["data"] for e in entries(b)] == [{"message_id": "m2"}, {"message_id": "m1"}],
    ),
    (
        "entries.actors.email",
        lambda b: (
            [a.get("email") for e in entries(b) for a in e["actors"]] == [None, None]
            and entries(b)[0]["actors"][0]["name"] == "Bob"
        ),
    ),
    ("vars.app_url", lambda b: b["vars"] == {}),
    (" entries.seen_at , ,entries.read_at ", lambda b: "seen_at" not in entries(b)[0]),
    ("entries.no_such.field,nothing", lambda b: set(entries(b)[0]) >= {"id", "blocks", "data"}),
]


@pytest.mark.parametrize(("exclude", "check"), CASES, ids=[c[0].strip() for c in CASES])
def test_exclude_drops_the_named_fields(env: Env, exclude: str, check: Check) -> None:
    body = env.http.get(FEED, params={"exclude": exclude}).json()
    assert check(body), body
    assert body["meta"]["total_count"] == 2


def test_exclude_through_the_sdk_in_strict_mode(env: Env) -> None:
    """Dropping optional fields keeps the answer valid for the SDK's strict models."""
    page = env.knock.users.feeds.list_items(
        "u1", "in-app-feed", exclude="entries.archived_at,entries.actors.email"
    )
    assert [e.data for e in page.entries] == [
        {"message": "hello 2", "message_id": "m2"},
        {"message": "hello 1", "message_id": "m1"},
    ]
    assert page.entries[0].actors[0].email is None  # type: ignore[union-attr]


def test_exclude_never_changes_the_stored_message(env: Env) -> None:
    paths = "entries.data.message,entries.data.message_id"
    excluded = env.http.get(FEED, params={"exclude": paths}).json()
    assert [e["data"] for e in entries(excluded)] == [{}, {}]
    data = [m.data for m in env.emulator.messages(channel_type="in_app_feed")]
    assert data == [
        {"message": "hello 1", "message_id": "m1"},
        {"message": "hello 2", "message_id": "m2"},
    ]
    again = env.http.get(FEED).json()
    assert entries(again)[0]["data"] == {"message": "hello 2", "message_id": "m2"}


def test_exclude_keeps_paging_working(env: Env) -> None:
    first = env.http.get(FEED, params={"exclude": "entries.seen_at", "page_size": 1})
    first.raise_for_status()
    after = first.json()["page_info"]["after"]
    second = env.http.get(FEED, params={"exclude": "entries.seen_at", "after": after}).json()
    assert [e["data"]["message_id"] for e in second["entries"]] == ["m1"]


def test_excluding_a_required_field_is_what_the_client_asked_for(env: Env) -> None:
    """`entries.activities` is required by the spec; the answer leaves it out anyway (as Knock
    does) and is otherwise valid."""
    with httpx.Client(headers={"Authorization": "Bearer sk_test"}) as plain:
        body = plain.get(f"{env.base_url}{FEED}", params={"exclude": "entries.activities"}).json()
    assert all("activities" not in e for e in entries(body))
    restored = {**body, "entries": [e | {"activities": []} for e in body["entries"]]}
    check_response("get", "/v1/users/{user_id}/feeds/{id}", 200, restored)


@pytest.mark.parametrize(
    ("exclude", "says"),
    [
        ("entries.actors.name.first", "4 levels deep"),
        ("entries.archived_at,a.b.c.d.e", "5 levels deep"),
        ("entries..data", "empty segment"),
        (".entries", "empty segment"),
    ],
)
def test_bad_exclude_paths_are_422(env: Env, exclude: str, says: str) -> None:
    response = env.http.get(FEED, params={"exclude": exclude})
    error = response.json()
    assert_knock_error(error, 422, "invalid_params")
    assert error["errors"][0]["field"] == "exclude"
    assert says in error["message"]
    with pytest.raises(knockapi.UnprocessableEntityError):
        env.knock.users.feeds.list_items("u1", "in-app-feed", exclude=exclude)


@pytest.mark.parametrize(
    ("body", "paths", "expected"),
    [
        ({"a": {"b": 1, "c": 2}}, ["a.b"], {"a": {"c": 2}}),
        ({"a": [{"b": 1}, {"b": 2, "c": 3}, 4]}, ["a.b"], {"a": [{}, {"c": 3}, 4]}),
        ({"a": [[{"b": 1}]]}, ["a.b"], {"a": [[{}]]}),
        ({"a": "text"}, ["a.b"], {"a": "text"}),
        ({"a": 1, "b": 2}, ["a", "b"], {}),
    ],
)
def test_without_paths(body: dict[str, Any], paths: list[str], expected: dict[str, Any]) -> None:
    parsed = exclude_paths(",".join(paths))
    original = repr(body)
    assert without_paths(body, parsed) == expected
    assert repr(body) == original  # a copy: the input is untouched
