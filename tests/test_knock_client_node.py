"""The real browser SDK `@knocklabs/client` (pinned in tests/clients/package.json), run in Node
against Doorstep: a `pk_` key, the feed, the realtime socket, engagement, preferences; then the
same under enhanced security with user tokens from `@knocklabs/node`'s `signUserToken` and from
`emulator.sign_user_token`, and the 401s for a missing, forged or expired token.

Needs node and the pinned packages on NODE_PATH (`.ci/run` installs them); skipped otherwise,
except in CI where tests/conftest.py turns that skip into a failure.
"""

from __future__ import annotations

import base64
import json
import os
import queue
import shutil
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from wfbuild import bundled_emulator

import emulator
from emulator import Emulator
from emulator.http import ServerThread, create_app
from emulator.http.knock._serialize import channel_uuid

CLIENTS = Path(__file__).resolve().parent / "clients"
REPLY = "@@reply "
# The id the API reports for the bundled in-app channel `in-app-feed` (what a Next.js app puts in
# NEXT_PUBLIC_KNOCK_FEED_ID); feeds and the socket accept it as well as the key.
FEED_ID = channel_uuid("in-app-feed")
INVOICE = {"invoice_id": "inv_1", "amount": "$5"}

pytestmark = pytest.mark.real_client


def node_with(*packages: str) -> str | None:
    """The `node` binary when every package is installed on NODE_PATH, else None (skip)."""
    node = shutil.which("node")
    paths = [Path(p) for p in os.environ.get("NODE_PATH", "").split(os.pathsep) if p]
    if node is None or not all(any((p / pkg).is_dir() for p in paths) for pkg in packages):
        return None
    return node


NODE = node_with("@knocklabs/client", "@knocklabs/node", "ws")
needs_node = pytest.mark.skipif(
    NODE is None, reason="node or @knocklabs/client, @knocklabs/node, ws on NODE_PATH missing"
)


class NodeClient:
    """tests/clients/knock_client.js in a child process: `call(command, **args)` sends one
    command and returns the client's JSON reply."""

    def __init__(self, node: str, script: Path) -> None:
        self.process = subprocess.Popen(
            [node, str(script)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.replies: queue.Queue[dict[str, Any]] = queue.Queue()
        self.stderr: list[str] = []
        threading.Thread(target=self._read_replies, daemon=True).start()
        threading.Thread(target=self._read_stderr, daemon=True).start()

    def _read_replies(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            if line.startswith(REPLY):
                self.replies.put(json.loads(line[len(REPLY) :]))

    def _read_stderr(self) -> None:
        assert self.process.stderr is not None
        self.stderr.extend(self.process.stderr)

    def call(self, command: str, timeout: float = 15.0, **args: Any) -> dict[str, Any]:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps({"command": command, **args}) + "\n")
        self.process.stdin.flush()
        try:
            reply = self.replies.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(
                f"no reply to {command!r} within {timeout}s; node said:\n{''.join(self.stderr)}"
            ) from None
        assert reply["command"] == command
        return reply

    def close(self) -> None:
        if self.process.poll() is None:
            self.call("exit")
            self.process.wait(timeout=10)


@contextmanager
def node_client() -> Iterator[NodeClient]:
    assert NODE is not None
    client = NodeClient(NODE, CLIENTS / "knock_client.js")
    try:
        yield client
    finally:
        client.close()
        if client.process.poll() is None:
            client.process.kill()


def new_signing_key() -> str:
    """A fresh RSA key in the format `doorstep signing-key` prints and Knock's dashboard gives:
    the PKCS#8 PEM, base64-encoded on one line."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return base64.b64encode(pem).decode()


@pytest.fixture(scope="module")
def signing_key() -> str:
    return new_signing_key()


@contextmanager
def doorstep(emu: Emulator, signing_key: str | None = None) -> Iterator[str]:
    """Doorstep on port 0; with a signing key, in enhanced security mode."""
    options: dict[str, Any] = {}
    if signing_key is not None:
        options = {"enhanced_security": True, "signing_key": signing_key}
    with ServerThread(create_app(emu, **options)) as server:
        yield server.base_url


def user_token(client: NodeClient, how: str, signing_key: str, expires_in: int = 3600) -> str:
    """A token for u1 from `@knocklabs/node`'s signUserToken or `emulator.sign_user_token`."""
    if how == "signUserToken":
        args: dict[str, Any] = {
            "userId": "u1",
            "signingKey": signing_key,
            "expiresInSeconds": expires_in,
        }
        signed = client.call("sign", **args)
        return str(signed["token"])
    sign = emulator.sign_user_token
    return str(sign("u1", signing_key, expires_in=expires_in))


def walk_through(client: NodeClient, emu: Emulator, host: str, token: str | None = None) -> None:
    """The issue's walk-through: a trigger, the app loads (authenticate, fetch, listen live),
    a second trigger arrives over the socket, engagement, preferences."""
    first = emu.trigger("invoice-created", recipients=["u1"], data=INVOICE)
    init: dict[str, Any] = {
        "apiKey": "pk_test_app",
        "host": host,
        "userId": "u1",
        "feedId": FEED_ID,
    }
    assert client.call("init", token=token, **init)["ok"]
    fetched = client.call("fetch")
    assert fetched["ok"], fetched
    assert [item["id"] for item in fetched["items"]] == [m.id for m in in_app(emu)]
    assert fetched["meta"]["unseen_count"] == 1
    assert "inv_1" in json.dumps(fetched["items"][0]["blocks"])

    assert client.call("joined")["ok"]  # the feed's channel, so the next push is not missed
    again = {**INVOICE, "invoice_id": "inv_2"}
    second = emu.trigger("invoice-created", recipients=["u1"], data=again)
    live = client.call("realtime")  # items.received.realtime: the socket's new-message, refetched
    newest = in_app(emu)[-1]
    assert [item["id"] for item in live["items"]] == [newest.id]
    assert live["meta"]["unseen_count"] == 2
    assert {first.workflow_run_id, second.workflow_run_id} == {
        m.workflow_run_id for m in in_app(emu)
    }

    older = in_app(emu)[0]
    assert client.call("markAsSeen", id=older.id)["ok"]
    assert emu.message(older.id).engagement_statuses == ["seen"]
    assert client.call("markAsRead", id=newest.id)["ok"]
    assert emu.message(newest.id).engagement_statuses == ["read"]
    assert client.call("markAllAsRead")["ok"]
    assert all("read" in m.engagement_statuses for m in in_app(emu))

    assert client.call("getPreferences")["preferences"]["id"] == "default"
    wanted = {"channel_types": {"email": False}, "workflows": {"invoice-created": True}}
    stored = client.call("setPreferences", preferences=wanted)["preferences"]
    assert stored["channel_types"]["email"] is False
    default = emu.preference_sets("u1")["default"]
    assert default["channel_types"]["email"] is False
    assert default["workflows"]["invoice-created"] in (True, {"subscribed": True})


def in_app(emu: Emulator) -> list[Any]:
    return emu.messages(channel_type="in_app_feed", recipient="u1")


@needs_node
def test_public_key_feed_realtime_engagement_preferences() -> None:
    emu = bundled_emulator()
    with doorstep(emu) as base, node_client() as client:
        walk_through(client, emu, base)


@needs_node
@pytest.mark.parametrize("how", ["signUserToken", "sign_user_token"])
def test_enhanced_security_with_a_signed_user_token(how: str, signing_key: str) -> None:
    emu = bundled_emulator()
    with doorstep(emu, signing_key) as base, node_client() as client:
        walk_through(client, emu, base, user_token(client, how, signing_key))


@needs_node
@pytest.mark.parametrize(
    ("token", "code", "says"),
    [
        ("none", "missing_user_token", "X-Knock-User-Token"),
        ("forged", "invalid_user_token", ""),  # signed with another environment's key
        ("expired", "invalid_user_token", "expired"),
    ],
)
def test_enhanced_security_refuses_a_missing_forged_or_expired_token(
    token: str, code: str, says: str, signing_key: str
) -> None:
    emu = bundled_emulator()
    emu.trigger("invoice-created", recipients=["u1"], data=INVOICE)
    with doorstep(emu, signing_key) as base, node_client() as client:
        tokens = {
            "none": None,
            "forged": user_token(client, "signUserToken", new_signing_key()),
            "expired": user_token(client, "signUserToken", signing_key, expires_in=-60),
        }
        init: dict[str, Any] = {"apiKey": "pk_test_app", "host": base, "userId": "u1"}
        assert client.call("init", token=tokens[token], feedId=FEED_ID, **init)["ok"]
        fetched = client.call("fetch")
        assert (fetched["ok"], fetched["status"]) == (False, 401), fetched
        body = fetched["body"]
        assert (body["status"], body["code"], body["type"]) == (401, code, "authentication_error")
        assert says in body["message"]
        prefs = client.call("getPreferences")  # the client reports only the status here
        assert not prefs["ok"]
        assert "status code 401" in prefs["error"]
        assert client.call("socketRefused")["reasons"]  # the socket is refused too
        assert all(m.engagement_statuses == [] for m in in_app(emu))
