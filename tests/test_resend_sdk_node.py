"""The official Node `resend` SDK (pinned in tests/clients) against the whole `doorstep serve`
app: every resource it exposes, each call answered without an error, except `inboxes` and
`usage`, which resend-api.yml does not document and which answer Resend's 404."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from emulator import Emulator
from emulator.http import ServerThread, create_app
from emulator.mail import ResendService

NOT_DOCUMENTED = {"usage.get", "inboxes.list", "webhooks.events.list"}

SCRIPT = Path(__file__).with_name("resend_sdk_node.js")


def _node() -> str | None:
    node = shutil.which("node")
    paths = [p for p in os.environ.get("NODE_PATH", "").split(os.pathsep) if p]
    if node is None or not any((Path(p) / "resend").is_dir() for p in paths):
        return None
    return node


@pytest.fixture
def served() -> Iterator[tuple[Emulator, ResendService, str]]:
    emu = Emulator()
    service = ResendService(emu.outbox, emu.clock)
    with ServerThread(create_app(emu, resend_service=service)) as server:
        yield emu, service, server.base_url


@pytest.mark.real_client
@pytest.mark.skipif(_node() is None, reason="node or resend on NODE_PATH missing")
def test_every_resource_of_the_node_sdk(
    served: tuple[Emulator, ResendService, str], tmp_path: Path
) -> None:
    emu, service, base_url = served
    grant = service.account.oauth_grants.grant("client_1", "Zapier", ["emails:send"])
    script = tmp_path / "resend.js"
    script.write_text(SCRIPT.read_text())
    done = subprocess.run(
        [str(_node()), str(script)],
        env={**os.environ, "RESEND_BASE_URL": base_url, "GRANT": grant["id"]},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    out: dict[str, Any] = json.loads(done.stdout)
    failed = {k: v["error"] for k, v in out.items() if v["error"] and k not in NOT_DOCUMENTED}
    assert not failed
    for name in NOT_DOCUMENTED:
        assert out[name]["error"]["name"] == "not_found", out[name]
    assert out["emails.get"]["data"]["subject"] == "Welcome Bob"
    assert out["emails.get.suppressed"]["data"]["last_event"] == "suppressed"
    assert out["contacts.imports.get"]["data"]["counts"]["created"] == 1
    assert out["automations.runs.get"]["data"]["status"] == "completed"
    assert out["domains.claims.verify"]["data"]["status"] == "completed"
    assert out["oauthGrants.revoke"]["data"]["revoked_reason"] == "revoked_by_user"
    subjects = [m.subject for m in emu.outbox.all()]
    assert subjects.count("Welcome Ada") == 1  # the automation's email
    assert "News!" in subjects  # the broadcast, to the imported contact at least
