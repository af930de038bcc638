"""`doorstep serve --data-dir`: guide engagement survives a graceful restart (the snapshot) and
a crash (the journal's replay of `mark_guide`), like every other state."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from emulator.cli._serve import ServeOptions, Service

KNOCK = {"Authorization": "Bearer sk_test_doorstep"}
BODY = {
    "channel_id": "in-app-guide",
    "guide_id": "g",
    "guide_key": "welcome-banner",
    "guide_step_ref": "step_1",
}


@contextmanager
def serving(data_dir: Path, stop: str = "graceful") -> Iterator[tuple[str, Service]]:
    """Served on `data_dir`; with stop="crash", `data_dir/crashed` is a copy of the files taken
    while it still runs (what kill -9 leaves) for the next start."""
    options = ServeOptions(
        http_port=0, smtp_port=0, clock="manual", data_dir=data_dir, compact_every=0
    )
    service = Service(options).start()
    try:
        yield f"http://127.0.0.1:{service.http.port}/v1/users/u1/guides", service
        if stop == "crash":
            shutil.copytree(data_dir, data_dir / "crashed")
    finally:
        service.stop()


@pytest.mark.parametrize("stop", ["graceful", "crash"])
def test_guide_engagement_survives_a_restart(tmp_path: Path, stop: str) -> None:
    with serving(tmp_path, stop) as (guides, _):
        seen = httpx.put(f"{guides}/messages/seen", headers=KNOCK, json=BODY | {"content": {}})
        assert seen.json() == {"status": "ok"}
        httpx.put(f"{guides}/messages/archived", headers=KNOCK, json=BODY).raise_for_status()
    with serving(tmp_path / "crashed" if stop == "crash" else tmp_path) as (guides, service):
        # graceful: everything comes from the snapshot; crash: from replaying the journal
        assert (service.restored, service.replayed > 0) == (stop == "graceful", stop == "crash")
        listed = httpx.get(f"{guides}/in-app-guide", headers=KNOCK).json()
        assert listed["entries"] == []
        assert [i["reason"] for i in listed["ineligible_guides"]] == ["marked_as_archived"]
        assert "default" in listed["guide_group_display_logs"]
