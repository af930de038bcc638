"""`POST /v1/users/{user_id}/merge` through the `knockapi` SDK in strict mode, against what
Knock's "Merging users" page says is merged: properties (deep, the primary wins), preference sets
and channel data (shallow, what the primary lacks is added), the last 30 days of messages and
activities; the secondary is deleted and in-flight runs stay with it."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import knockapi
import pytest
from test_knock_api import Env, knock_env
from test_knock_api_errors import assert_knock_error
from wfbuild import delay, in_app, make_emulator, workflow

FEED = "in-app-feed"


@pytest.fixture
def env() -> Iterator[Env]:
    emulator = make_emulator(
        workflow("note", in_app(body="Note {{ data.n }}")),
        workflow("later", delay(delay_for={"unit": "hours", "value": 1}), in_app(body="Later")),
    )
    with knock_env(emulator=emulator) as value:
        knock = value.knock
        knock.users.update(
            "member",
            name="Member",
            extra_body={"plan": {"tier": "pro"}, "team": "red"},
        )
        knock.users.update(
            "guest",
            name="Guest",
            email="guest@example.com",
            extra_body={"plan": {"tier": "free", "seats": 1}, "invited_by": "ada"},
        )
        yield value


def test_properties_deep_merge_with_the_primary_winning(env: Env) -> None:
    merged = env.knock.users.merge("member", from_user_id="guest")
    expected = {
        "name": "Member",
        "email": "guest@example.com",
        "plan": {"tier": "pro", "seats": 1},
        "team": "red",
        "invited_by": "ada",
    }
    assert {k: merged.to_dict().get(k) for k in expected} == expected
    assert env.knock.users.get("member").to_dict() == merged.to_dict()
    with pytest.raises(knockapi.NotFoundError):
        env.knock.users.get("guest")


def test_preference_sets_and_channel_data_are_added_where_the_primary_has_none(env: Env) -> None:
    knock = env.knock
    knock.users.set_preferences("member", "default", channel_types={"email": False})
    knock.users.set_preferences("guest", "default", workflows={"note": False})
    knock.users.set_preferences("guest", "acme", categories={"billing": False})
    knock.users.set_channel_data("member", "apns", data={"tokens": ["member-token"]})
    knock.users.set_channel_data("guest", "apns", data={"tokens": ["guest-token"]})
    knock.users.set_channel_data("guest", "fcm", data={"tokens": ["guest-fcm"]})
    knock.users.merge("member", from_user_id="guest")
    sets = {p.id: p.to_dict() for p in knock.users.list_preferences("member")}
    assert sets["default"]["channel_types"] == {"email": False}  # the primary's set stays whole
    assert sets["default"]["workflows"] is None
    assert sets["acme"]["categories"] == {"billing": False}
    stored = (env.emulator.user("member") or {})["channel_data"]
    assert {k: v["tokens"] for k, v in stored.items()} == {
        "apns": ["member-token"],
        "fcm": ["guest-fcm"],
    }


def test_the_last_30_days_of_messages_and_activities_move_to_the_primary(env: Env) -> None:
    knock, emu = env.knock, env.emulator
    knock.workflows.trigger("note", recipients=["guest"], data={"n": "old"})
    emu.clock.advance(days=31)
    knock.workflows.trigger("note", recipients=["guest"], actor="member", data={"n": "new"})
    knock.workflows.trigger("note", recipients=["member"], actor="guest", data={"n": "mine"})
    knock.users.merge("member", from_user_id="guest")
    feed = knock.users.feeds.list_items("member", FEED)
    assert [(e.data or {})["n"] for e in feed.entries] == ["mine", "new"]
    mine = feed.entries[0]
    assert [a.id for a in mine.actors] == ["member"]  # the guest acted: now the member did
    assert [a.actor.id for a in mine.activities if a.actor] == ["member"]
    assert [a.recipient.id for a in feed.entries[1].activities if a.recipient] == ["member"]
    assert [m.data["n"] for m in emu.messages()] == ["new", "mine"]  # older history is deleted
    runs = knock.workflow_recipient_runs.list(workflow="note").items
    # Deleting the secondary deletes the run logs it was the recipient of (the 31-day-old one).
    assert sorted(r.recipient for r in runs) == ["member", "member"]  # type: ignore[type-var]


def test_in_flight_runs_stay_with_the_deleted_secondary(env: Env) -> None:
    knock, emu = env.knock, env.emulator
    [run] = emu.trigger("later", ["guest"]).runs
    knock.users.merge("member", from_user_id="guest")
    assert (run.status, run.recipient) == ("waiting", "guest")
    emu.clock.advance(hours=1)
    assert knock.users.feeds.list_items("member", FEED).entries == []


def test_subscriptions_and_schedules_go_with_the_secondary(env: Env) -> None:
    knock = env.knock
    knock.objects.set("projects", "p1")
    knock.objects.add_subscriptions("projects", "p1", recipients=["guest", "member"])
    knock.schedules.create(workflow="note", recipients=["guest"], repeats=[{"frequency": "daily"}])
    knock.users.merge("member", from_user_id="guest")
    assert [s.recipient.id for s in knock.objects.list_subscriptions("projects", "p1")] == [
        "member"
    ]
    assert knock.schedules.list(workflow="note").entries == []


@pytest.mark.parametrize(
    ("user_id", "body", "status", "code"),
    [
        ("member", {}, 422, "invalid_params"),
        ("member", {"from_user_id": 5}, 422, "invalid_params"),
        ("member", {"from_user_id": "member"}, 422, "invalid_params"),
        ("member", {"from_user_id": "nobody"}, 404, "resource_missing"),
        ("nobody", {"from_user_id": "guest"}, 404, "resource_missing"),
    ],
)
def test_bad_merges_change_nothing(
    env: Env, user_id: str, body: dict[str, object], status: int, code: str
) -> None:
    before = [dict(u) for u in env.emulator.users()]
    response: httpx.Response = env.http.post(f"/v1/users/{user_id}/merge", json=body)
    assert response.status_code == status
    assert_knock_error(response.json(), status, code)
    assert [dict(u) for u in env.emulator.users()] == before
