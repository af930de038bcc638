"""The real `@knocklabs/client` guide client (`KnockGuideClient`, which `KnockGuideProvider`
wraps) in Node against `doorstep serve` with a `pk_` key: fetch with target params, the
activation rules evaluated by the client, seen / interacted / archived, engagement reset, and
the realtime guides channel joined.

Needs node and the pinned packages on NODE_PATH; skipped otherwise, except in CI where
tests/conftest.py turns that skip into a failure.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from test_knock_client_node import NODE, NodeClient

from emulator import Emulator
from emulator.http import ServerThread, create_app
from emulator.http.knock._serialize import channel_uuid

CLIENTS = Path(__file__).resolve().parent / "clients"
GUIDES = Path(__file__).resolve().parent / "data" / "guides"
CHANNEL = channel_uuid("in-app-guide")
FREE = {"plan": "free", "projects": 3}

pytestmark = [
    pytest.mark.real_client,
    pytest.mark.skipif(NODE is None, reason="node or @knocklabs/client, ws on NODE_PATH missing"),
]


@pytest.fixture
def emu() -> Emulator:
    emulator = Emulator.from_directory(GUIDES)
    emulator.identify("u1", name="Ada")
    return emulator


@pytest.fixture
def client(emu: Emulator) -> Iterator[NodeClient]:
    assert NODE is not None
    with ServerThread(create_app(emu)) as server:
        node = NodeClient(NODE, CLIENTS / "knock_guides.js")
        try:
            init = {"apiKey": "pk_test_app", "host": server.base_url, "userId": "u1"}
            assert node.call("init", channelId=CHANNEL, data=FREE, **init)["ok"]
            yield node
        finally:
            node.close()
            if node.process.poll() is None:
                node.process.kill()


def test_fetch_renders_for_the_target_params(client: NodeClient) -> None:
    got = client.call("fetch")
    assert got["ok"], got
    assert sorted(got["guides"]) == ["pro-upsell", "welcome-banner"]
    assert got["guides"]["pro-upsell"]["steps"][0]["content"]["headline"] == "Go pro, Ada"
    assert got["guides"]["welcome-banner"]["steps"][0]["content"]["body"] == (
        "You are on the free plan."
    )
    assert got["ineligible"] == [["beta-tour", "not_in_target_audience"]]


@pytest.mark.parametrize(
    ("location", "expected"),
    [
        ("http://app.test/projects/7", ["pro-upsell"]),  # rule: pathname contains /projects
        ("http://app.test/dashboard/home", ["welcome-banner"]),  # pattern: /dashboard/*
        ("http://app.test/settings", []),
    ],
    ids=["url-rule", "url-pattern", "neither"],
)
def test_the_client_evaluates_activation_rules(
    client: NodeClient, location: str, expected: list[str]
) -> None:
    assert client.call("fetch")["ok"]
    assert client.call("select", location=location)["keys"] == expected


def test_engagement_reaches_doorstep_and_reset_brings_the_guide_back(
    client: NodeClient, emu: Emulator
) -> None:
    assert client.call("fetch")["ok"]
    for action in ("seen", "interacted"):
        done = client.call("mark", key="welcome-banner", action=action, metadata={"cta": "ok"})
        assert done["results"] == [{"status": "ok"}], done
    [message] = emu.guide_messages("u1", "welcome-banner")
    assert message.content["body"] == "You are on the free plan."
    assert message.metadata == {"cta": "ok"}
    assert client.call("mark", key="welcome-banner", action="archived")["ok"]
    after = client.call("fetch")
    assert ["welcome-banner", "marked_as_archived"] in after["ineligible"]
    assert "welcome-banner" not in after["guides"]
    emu.unarchive_guide("u1", "welcome-banner")
    assert "welcome-banner" in client.call("fetch")["guides"]
    reset = client.call("reset", key="welcome-banner")
    assert reset["guides"]["welcome-banner"]["steps"][0]["message"]["seen_at"] is None
    assert emu.guide_messages("u1") == []


def test_the_guides_channel_joins_on_the_realtime_socket(client: NodeClient) -> None:
    assert client.call("subscribe", timeout=10.0)["topic"] == f"guides:{CHANNEL}"
