"""The real Knock CLI (`@knocklabs/cli`, pinned in tests/clients) with guides against `doorstep
serve`: `knock guide pull` writes the bundled `welcome-banner` in Knock's layout, `validate`
refuses broken Liquid naming the field, `push --commit` changes what the guides API serves."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from test_knock_cli_round_trip import Cli, _knock_cli

from emulator.cli._serve import ServeOptions, Service

pytestmark = [
    pytest.mark.real_client,  # may skip locally, never in CI (tests/conftest.py)
    pytest.mark.skipif(_knock_cli() is None, reason="node or @knocklabs/cli on NODE_PATH missing"),
]
DEV = ("--environment", "development")


@pytest.fixture
def service() -> Iterator[Service]:
    running = Service(ServeOptions(http_port=0, smtp_port=0, clock="manual")).start()
    try:
        yield running
    finally:
        running.stop()


def test_guide_pull_validate_push(service: Service, tmp_path: Path) -> None:
    binary = _knock_cli()
    assert binary is not None
    base = f"http://127.0.0.1:{service.http.port}"
    cli = Cli(binary, base, tmp_path / "home")
    guides = tmp_path / "guides"
    assert "welcome-banner" in cli("guide", "list", *DEV).stdout
    cli("guide", "pull", "--all", "--guides-dir", str(guides), "--force", *DEV)
    file = guides / "welcome-banner" / "guide.json"
    pulled = json.loads(file.read_text())
    assert pulled["channel_key"] == "in-app-guide"
    assert pulled["__readonly"]["active"] is True

    pulled["steps"][0]["values"]["title"] = "Hi {% if recipient.name %}"
    file.write_text(json.dumps(pulled))
    refused = cli("guide", "validate", "--all", "--guides-dir", str(guides), *DEV, ok=False)
    assert refused.returncode != 0
    assert "steps[0].values.title" in refused.stderr

    pulled["steps"][0]["values"]["title"] = "Hello {{ recipient.name }}"
    file.write_text(json.dumps(pulled))
    cli("guide", "push", "--all", "--guides-dir", str(guides), "--commit", "-m", "hello", *DEV)
    httpx.put(f"{base}/v1/users/u1", json={"name": "Ada"}, headers=_KEY).raise_for_status()
    served = httpx.get(f"{base}/v1/users/u1/guides/in-app-guide", headers=_KEY).json()
    assert served["entries"][0]["steps"][0]["content"]["title"] == "Hello Ada"


_KEY = {"Authorization": "Bearer sk_test_doorstep"}
