"""`doorstep serve --data-dir` compacts its journal into a snapshot of the state: a restart after
compaction (graceful, or a crash with entries written since) resumes open batch windows, delays
and scheduled email exactly once, and a crash during compaction loses nothing.

Run as a script (`python3 tests/test_durable_compaction.py DIR POINT`) it is the process that
is killed in the middle of a compaction."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

from emulator import Emulator, Journal
from emulator.cli._serve import ServeOptions, Service

ROOT = Path(__file__).resolve().parent.parent
KNOCK = {"Authorization": "Bearer sk_test_doorstep"}
RESEND = {"Authorization": "Bearer re_test_doorstep"}


def _service(data_dir: Path, compact_every: int = 0) -> Service:
    options = ServeOptions(
        http_port=0, smtp_port=0, clock="manual", data_dir=data_dir, compact_every=compact_every
    )
    return Service(options)


def _journal(service: Service) -> Journal:
    return service.data[service.environments.default.name].journal


def _counts(base: str) -> Counter[str]:
    listed = httpx.get(f"{base}/api/v1/messages", params={"limit": 1000}).json()
    return Counter(m["Subject"] for m in listed["messages"])


def _load(base: str) -> None:
    """Two open batch windows (one opened after the first snapshot), a delayed run, a scheduled
    Resend email and a user's preferences, with the clock moved in between."""

    def knock(method: str, path: str, body: object) -> None:
        answer = httpx.request(method, f"{base}/v1{path}", headers=KNOCK, json=body)
        assert answer.status_code < 300, answer.text

    knock("PUT", "/users/u1", {"email": "ada@example.com", "name": "Ada"})
    knock("PUT", "/users/u2", {"name": "Bo"})
    knock("PUT", "/users/u1/preferences/default", {"categories": {"x": True}})
    for invoice, status in (("i1", "open"), ("i1", "sent"), ("i2", "open")):
        data = {"invoice_id": invoice, "status": status}
        knock("POST", "/workflows/invoice-updated/trigger", {"recipients": ["u1"], "data": data})
        httpx.post(f"{base}/api/clock/advance", json={"seconds": 30}).raise_for_status()
    knock("POST", "/workflows/unseen-fallback/trigger", {"recipients": ["u1"], "data": {}})
    scheduled = {"from": "a@acme.test", "to": "b@example.com", "subject": "later", "text": "x"}
    httpx.post(
        f"{base}/emails", headers=RESEND, json={**scheduled, "scheduled_at": "in 1 hour"}
    ).raise_for_status()
    data = {"invoice_id": "i2", "status": "sent"}  # joins the window opened before the snapshot
    knock("POST", "/workflows/invoice-updated/trigger", {"recipients": ["u1"], "data": data})


@pytest.mark.parametrize("stop", ["graceful", "crash"])
def test_a_restart_after_compaction_resumes_windows_and_delays_once(
    tmp_path: Path, stop: str
) -> None:
    data_dir = tmp_path / "data"
    service = _service(data_dir, compact_every=5).start()
    try:
        base = f"http://127.0.0.1:{service.http.port}"
        _load(base)
        journal = _journal(service)
        assert journal.compaction_error is None
        trailing = journal.entries
        assert 0 < trailing < 5  # compacted on the way: a snapshot and what came since
        before = httpx.get(f"{base}/api/runs").json()
        clock = httpx.get(f"{base}/api/clock").json()
        sent = _counts(base)
        if stop == "crash":  # what a kill -9 leaves: the files as they are, WAL and all
            shutil.copytree(data_dir, tmp_path / "crashed")
            data_dir = tmp_path / "crashed"
    finally:
        service.stop()
    assert sent["2 updates to invoice i1"] == 0  # both windows are still open
    for _ in range(2):  # the second start finds the digests sent: never twice
        service = _service(data_dir, compact_every=5).start()
        try:
            base = f"http://127.0.0.1:{service.http.port}"
            assert service.restored
            if sent is not None:  # the first start: the state as the server left it
                assert service.replayed == (0 if stop == "graceful" else trailing)
                assert httpx.get(f"{base}/api/runs").json() == before
                assert httpx.get(f"{base}/api/clock").json() == clock
                assert _counts(base) == sent
                sent = None
            answer = httpx.get(f"{base}/v1/users/u1/preferences/default", headers=KNOCK)
            assert answer.json()["categories"] == {"x": True}
            httpx.post(f"{base}/api/clock/advance", json={"seconds": 3600}).raise_for_status()
            counts = _counts(base)
            for subject in ("2 updates to invoice i1", "2 updates to invoice i2", "later"):
                assert counts[subject] == 1, counts
            assert counts["You have an unread message"] == 1
        finally:
            service.stop()


def _summary(emulator: Emulator) -> dict[str, Any]:
    """What must survive: users, runs and their status, the clock and its parked timers."""
    return {
        "users": sorted(u["id"] for u in emulator.users()),
        "runs": sorted([r.id, r.status] for r in emulator.runs()),
        "now": emulator.clock.now.isoformat(),
        "timers": [[t.label, t.due.isoformat()] for t in emulator.clock.timers()],
    }


def _crash_in_compaction(data_dir: Path, point: str) -> None:
    """The child: changes, a snapshot, more changes, then a compaction killed at `point`."""
    service = _service(data_dir)
    emulator, journal = service.emulator, _journal(service)
    emulator.identify("u1", email="ada@example.com")
    emulator.identify("u2", name="Bo")
    emulator.trigger("invoice-updated", ["u1"], actor="u2", data={"invoice_id": "i1"})
    assert journal.compact()
    emulator.trigger("invoice-updated", ["u1"], actor="u2", data={"invoice_id": "i1"})
    emulator.trigger("unseen-fallback", ["u1"], data={})
    emulator.identify("u3", email="cy@example.com")
    emulator.advance(minutes=1)
    print(json.dumps(_summary(emulator)), flush=True)
    drop = Journal._drop_entries

    def crash(self: Journal) -> None:
        if point == "after deleting the entries":
            drop(self)
        os._exit(9)  # as kill -9: no cleanup, the transaction is never committed

    Journal._drop_entries = crash  # type: ignore[method-assign]
    journal.compact()


@pytest.mark.parametrize("point", ["after writing the snapshot", "after deleting the entries"])
def test_a_crash_during_compaction_loses_nothing(tmp_path: Path, point: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.run(
        [sys.executable, __file__, str(tmp_path), point],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert child.returncode == 9, child.stderr
    before = json.loads(child.stdout.splitlines()[-1])
    db = sqlite3.connect(tmp_path / "journal.sqlite3")
    assert db.execute("SELECT count(*) FROM entries").fetchone()[0] > 0  # rolled back
    db.close()
    service = _service(tmp_path)
    try:
        assert service.restored  # the first snapshot, and every entry written after it
        assert _summary(service.emulator) == before
        assert service.emulator.run_until_idle() > 0
        subjects = Counter(e.subject for e in service.emulator.outbox.all())
        assert subjects["You have an unread message"] == 1
        assert sum(s.startswith("2 updates to invoice") for s in subjects.elements()) == 1
    finally:
        service.stop()


if __name__ == "__main__":
    _crash_in_compaction(Path(sys.argv[1]), sys.argv[2])
