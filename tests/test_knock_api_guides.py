"""Knock's guides API through the `knockapi` SDK (strict response validation, every exchange
checked against knock-api.yml) and with a public key, as `@knocklabs/client` calls it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import knockapi
import pytest
from test_knock_api import Env, knock_env

from emulator import Emulator
from emulator.http.knock._serialize import channel_uuid

GUIDES = Path(__file__).parent / "data" / "guides"
CHANNEL = channel_uuid("in-app-guide")


@pytest.fixture
def env() -> Iterator[Env]:
    emu = Emulator.from_directory(GUIDES)
    emu.identify("u1", name="Ada")
    with knock_env(emulator=emu) as value:
        yield value


def test_list_guides_in_the_spec_shape(env: Env) -> None:
    data = json.dumps({"plan": "free", "projects": 3})
    got = env.knock.users.guides.get_channel("u1", CHANNEL, data=data)
    assert [g.key for g in got.entries] == ["pro-upsell", "welcome-banner"]
    upsell, banner = got.entries
    assert upsell.channel_id == CHANNEL
    assert upsell.steps[0].content == {"headline": "Go pro, Ada", "projects": "3"}
    assert upsell.steps[0].message.seen_at is None
    assert [r.operator for r in upsell.activation_url_rules] == ["contains"]
    assert [p.pathname for p in banner.activation_url_patterns] == ["/dashboard/*"]
    assert [(i.key, i.reason) for i in got.ineligible_guides] == [
        ("beta-tour", "not_in_target_audience")
    ]
    assert got.guide_groups[0].display_sequence == ["beta-tour", "pro-upsell", "welcome-banner"]


@pytest.mark.parametrize(
    ("channel", "params", "expected"),
    [
        ("in-app-guide", {}, ["welcome-banner"]),
        ("00000000-0000-4000-8000-000000000000", {}, ["welcome-banner"]),  # a real Knock id
        (CHANNEL, {"type": "card", "data": '{"plan": "free", "projects": 5}'}, ["pro-upsell"]),
    ],
    ids=["key", "unknown-uuid", "type"],
)
def test_channel_and_type_filters(
    env: Env, channel: str, params: dict[str, str], expected: list[str]
) -> None:
    got = env.http.get(f"/v1/users/u1/guides/{channel}", params=params)
    assert [g["key"] for g in got.json()["entries"]] == expected


def test_engagement_round_trip(env: Env) -> None:
    guides = env.knock.users.guides
    entry = guides.get_channel("u1", CHANNEL).entries[0]
    base = {
        "channel_id": CHANNEL,
        "guide_id": entry.id,
        "guide_key": entry.key,
        "guide_step_ref": entry.steps[0].ref,
    }
    assert guides.mark_message_as_seen("u1", content=entry.steps[0].content, **base).status == "ok"
    guides.mark_message_as_interacted("u1", metadata={"cta": "go"}, **base)
    step = guides.get_channel("u1", CHANNEL).entries[0].steps[0]
    assert step.message.id is not None
    assert step.message.seen_at is not None
    assert step.message.interacted_at == step.message.read_at
    assert env.emulator.guide_messages("u1")[0].metadata == {"cta": "go"}
    guides.mark_message_as_archived("u1", **base)
    listed = guides.get_channel("u1", CHANNEL)
    assert listed.entries == []
    assert ("welcome-banner", "marked_as_archived") in [
        (i.key, i.reason) for i in listed.ineligible_guides
    ]
    assert listed.guide_group_display_logs["default"]
    guides.unarchive_guide_message("u1", guide_key="welcome-banner")
    assert [g.key for g in guides.get_channel("u1", CHANNEL).entries] == ["welcome-banner"]
    guides.reset_guide_engagements("u1", guide_key="welcome-banner")
    assert env.emulator.guide_messages("u1") == []


def test_the_per_message_routes_record_the_same(env: Env) -> None:
    body = {
        "channel_id": CHANNEL,
        "guide_id": "7e9dc78c-b3b1-4127-a54e-71f1899b831a",
        "guide_key": "welcome-banner",
        "guide_step_ref": "step_1",
    }
    for status in ("seen", "interacted", "archived"):
        extra = {"content": {"title": "t"}} if status == "seen" else {}
        got = env.http.put(f"/v1/users/u1/guides/messages/m1/{status}", json=body | extra)
        assert got.json() == {"status": "ok"}
    [message] = env.emulator.guide_messages("u1")
    assert message.archived_at is not None
    assert message.interacted_at is not None


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "words"),
    [
        ("PUT", "messages/seen", {"guide_key": "welcome-banner"}, 422, "channel_id"),
        (
            "PUT",
            "messages/seen",
            {"channel_id": "c", "guide_id": "g", "guide_key": "welcome-banner"}
            | {"guide_step_ref": "step_1"},
            422,
            "content",
        ),
        (
            "PUT",
            "messages/archived",
            {"channel_id": "c", "guide_id": "g", "guide_key": "nope", "guide_step_ref": "s"},
            404,
            "no guide with key 'nope'",
        ),
        ("PUT", "engagements/reset", {}, 422, "guide_key"),
        ("DELETE", "messages/archived", {"guide_key": "nope"}, 404, "nope"),
    ],
    ids=["missing", "no-content", "unknown-guide", "reset-no-key", "unarchive-unknown"],
)
def test_bad_requests_in_knock_error_shape(
    env: Env, method: str, path: str, body: dict[str, object], status: int, words: str
) -> None:
    got = env.http.request(method, f"/v1/users/u1/guides/{path}", json=body)
    assert got.status_code == status
    assert words in got.json()["message"]


def test_bad_data_query_is_a_422(env: Env) -> None:
    got = env.http.get(f"/v1/users/u1/guides/{CHANNEL}", params={"data": "[1"})
    assert got.status_code == 422
    assert "JSON-encoded object" in got.json()["message"]


def test_a_public_key_reads_and_engages_as_its_user(env: Env) -> None:
    """`@knocklabs/client` calls these with a `pk_` key; without enhanced security the path's
    user acts, and the secret-key-only endpoints stay closed."""
    headers = {"Authorization": "Bearer pk_test"}
    got = env.http.get(f"/v1/users/u1/guides/{CHANNEL}", headers=headers)
    assert got.status_code == 200
    body = {
        "channel_id": CHANNEL,
        "guide_id": "g",
        "guide_key": "welcome-banner",
        "guide_step_ref": "step_1",
    }
    put = env.http.put("/v1/users/u1/guides/messages/archived", json=body, headers=headers)
    assert put.status_code == 200
    reset = env.http.put(
        "/v1/users/u1/guides/engagements/reset", json={"guide_key": "welcome-banner"}
    )
    assert reset.status_code == 200
    with pytest.raises(knockapi.NotFoundError):
        env.knock.users.guides.reset_guide_engagements("u1", guide_key="nope")
