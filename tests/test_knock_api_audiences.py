"""Static audience members over the Knock API (`/v1/audiences/{key}/members`), through the
`knockapi` SDK in strict mode; every response is checked against knock-api.yml."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from test_knock_api import Env, knock_env
from test_knock_api_errors import assert_knock_error
from wfbuild import cond, in_app, workflow

from emulator import parse_workflow

AUDIENCE = "/v1/audiences/vip/members"


@pytest.fixture
def env() -> Iterator[Env]:
    with knock_env() as value:
        yield value


def test_add_list_and_remove_members(env: Env) -> None:
    knock = env.knock
    knock.audiences.add_members(
        "vip",
        members=[
            {"user": {"id": "ada", "name": "Ada", "email": "ada@example.com"}},
            {"user": {"id": "bob"}, "tenant": "acme"},
        ],
    )
    page = knock.audiences.list_members("vip")
    assert [(m.user_id, m.tenant, m.user.name) for m in page.entries] == [
        ("ada", None, "Ada"),
        ("bob", "acme", None),
    ]
    assert page.entries[0].added_at is not None
    assert env.emulator.user("ada") is not None  # inline users are identified, as Knock does
    knock.audiences.remove_members("vip", members=[{"user": {"id": "ada"}}])
    assert [m.user_id for m in knock.audiences.list_members("vip").entries] == ["bob"]


def test_adding_twice_is_idempotent_and_unknown_audiences_are_empty(env: Env) -> None:
    for _ in range(2):
        env.knock.audiences.add_members("vip", members=[{"user": {"id": "ada"}}])
    assert len(env.knock.audiences.list_members("vip").entries) == 1
    assert env.knock.audiences.list_members("nobody").entries == []
    env.knock.audiences.remove_members("nobody", members=[{"user": {"id": "ada"}}])


def test_members_page_with_cursors(env: Env) -> None:
    users = [{"user": {"id": f"u{n:02}"}} for n in range(7)]
    env.knock.audiences.add_members("vip", members=users)
    first = env.http.get(AUDIENCE, params={"page_size": 5}).json()
    assert [e["user_id"] for e in first["entries"]] == [f"u{n:02}" for n in range(5)]
    after = first["page_info"]["after"]
    second = env.http.get(AUDIENCE, params={"page_size": 5, "after": after}).json()
    assert [e["user_id"] for e in second["entries"]] == ["u05", "u06"]
    assert second["page_info"]["after"] is None


def test_membership_gates_steps_and_resumes_waiting_runs(env: Env) -> None:
    gated = workflow(
        "beta", in_app(body="hi", conditions=cond("recipient.id", "is_audience_member", "vip"))
    )
    waiting = parse_workflow(
        {
            "name": "welcome",
            "steps": [
                {
                    "ref": "wait_1",
                    "type": "wait_for_event",
                    "settings": {
                        "event": {
                            "event_type": "audience",
                            "event_key": "enter",
                            "audience_key": "vip",
                        },
                        "expires_after": {"unit": "days", "value": 1},
                    },
                }
            ],
        },
        key="welcome",
        file="welcome.json",
    )
    emu = env.emulator
    emu.definitions.workflows.update({"beta": gated, "welcome": waiting})
    run = emu.trigger("welcome", ["ada"]).runs[0]
    env.knock.audiences.add_members("vip", members=[{"user": {"id": "ada"}}])
    assert run.status == "completed"
    assert emu.trigger("beta", ["ada"]).runs[0].path == ["in_app_feed_1"]
    env.knock.audiences.remove_members("vip", members=[{"user": {"id": "ada"}}])
    assert emu.trigger("beta", ["ada"]).runs[0].path == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "members"),
        ({"members": "ada"}, "members"),
        ({"members": ["ada"]}, "members[0]"),
        ({"members": [{"user": {}}]}, "members[0].user.id"),
        ({"members": [{"user": {"id": "a"}}, {"user": {"id": 5}}]}, "members[1].user.id"),
        ({"members": [{"user": {"id": "a"}, "tenant": 3}]}, "members[0].tenant"),
        ({"members": [{"user": {"id": f"u{n}"}} for n in range(1001)]}, "members"),
    ],
)
@pytest.mark.parametrize("method", ["POST", "DELETE"])
def test_bad_member_lists_name_the_path(env: Env, method: str, body: Any, field: str) -> None:
    response = env.http.request(method, AUDIENCE, json=body)
    assert response.status_code == 422
    assert_knock_error(response.json(), 422, "invalid_params")
    assert response.json()["errors"][0]["field"] == field
    assert env.emulator.audience_members("vip") == []  # nothing applied from a bad request
