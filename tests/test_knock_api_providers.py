"""Knock's Slack and Microsoft Teams provider endpoints through the `knockapi` SDK (strict
response validation, every exchange checked against knock-api.yml): answered from the channel
data Knock stores on the object that holds the token or tenant."""

from __future__ import annotations

import json
from collections.abc import Iterator

import knockapi
import pytest
from test_knock_api import Env, knock_env

PROJECT = json.dumps({"collection": "projects", "object_id": "p1"})
SLACK = {
    "token": {"access_token": "xoxb-1"},
    "connections": [{"channel_id": "C1"}, {"channel_id": "C2"}, {"channel_id": "C1"}],
}
TEAMS = {
    "ms_teams_tenant_id": "tenant-1",
    "connections": [
        {"ms_teams_team_id": "T1", "ms_teams_channel_id": "c-a"},
        {"ms_teams_team_id": "T1", "ms_teams_channel_id": "c-b"},
        {"ms_teams_team_id": "T2", "ms_teams_channel_id": "c-z"},
    ],
}


@pytest.fixture
def env() -> Iterator[Env]:
    with knock_env() as value:
        value.emulator.set_object("projects", "p1", name="Apollo")
        value.emulator.set_channel_data("projects", "p1", {"slack": SLACK, "teams": TEAMS})
        yield value


def test_slack_auth_check_channels_and_revoke(env: Env) -> None:
    slack = env.knock.providers.slack
    assert slack.check_auth("slack", access_token_object=PROJECT).connection.ok is True
    page = slack.list_channels("slack", access_token_object=PROJECT)
    assert [c.id for c in page.slack_channels] == ["C1", "C2"]
    assert slack.revoke_access("slack", access_token_object=PROJECT) is not None
    after = slack.check_auth("slack", access_token_object=PROJECT).connection
    assert (after.ok, bool(after.reason)) == (False, True)
    stored = env.emulator.object("projects", "p1") or {}
    assert stored["channel_data"]["slack"] == {"connections": SLACK["connections"]}
    with pytest.raises(knockapi.PermissionDeniedError):
        slack.list_channels("slack", access_token_object=PROJECT)


def test_ms_teams_auth_check_teams_channels_and_revoke(env: Env) -> None:
    teams = env.knock.providers.ms_teams
    check = teams.check_auth("teams", ms_teams_tenant_object=PROJECT).connection
    assert (check.ok, check.ms_teams_tenant_id) == (True, "tenant-1")
    listed = teams.list_teams("teams", ms_teams_tenant_object=PROJECT)
    assert [t.id for t in listed.ms_teams_teams] == ["T1", "T2"]
    channels = teams.list_channels("teams", ms_teams_tenant_object=PROJECT, team_id="T1")
    assert [c.id for c in channels.ms_teams_channels] == ["c-a", "c-b"]
    teams.revoke_access("teams", ms_teams_tenant_object=PROJECT)
    assert teams.check_auth("teams", ms_teams_tenant_object=PROJECT).connection.ok is False


@pytest.mark.parametrize(
    ("query", "status", "text"),
    [
        ("", 422, "access_token_object: is required"),
        ("access_token_object=nope", 422, "is not valid JSON"),
        ('access_token_object={"collection": 1}', 422, "must name"),
        ('access_token_object={"user_id": "ghost"}', 404, "names no stored recipient"),
    ],
)
def test_bad_references_get_knock_errors(env: Env, query: str, status: int, text: str) -> None:
    response = env.http.get(f"/v1/providers/slack/slack/auth_check?{query}")
    assert response.status_code == status
    assert text in response.json()["message"]


def test_preference_center_config_and_signed_url(env: Env) -> None:
    """Derived from the loaded workflows (Doorstep has no dashboard): channel types, each
    category, each workflow; the user's email; branding from `vars.branding`."""
    env.emulator.identify("u1", email="ada@example.com")
    env.emulator.vars["branding"] = {"logo_url": "https://cdn.test/logo.png"}
    got = env.knock.users.preference_center.get_config("u1")
    rows = [(r.type, r.identifier) for r in got.config.rows]
    assert rows[0] == ("channel_types", None)
    assert ("category", "billing") in rows
    assert ("workflow", "invoice-created") in rows
    assert got.user_email == "ada@example.com"
    assert got.branding.logo_url == "https://cdn.test/logo.png"
    signed = env.knock.users.preference_center.generate_signed_url("u1")
    assert signed.token in signed.url
    assert signed.url.startswith(env.base_url)
    with pytest.raises(knockapi.NotFoundError):
        env.knock.users.preference_center.get_config("ghost")
