"""`doorstep serve --data-dir` keeps Mailpit's Read flags and the tags set by hand (through the
Mailpit API or the inspector) across a graceful restart and a crash; they go with their email
(delete, retention, clear), and a data dir written before they were kept (format 3) is migrated."""

from __future__ import annotations

import os
import shutil
import signal
import smtplib
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from test_durable_crash import _serve

from emulator.cli._serve import ServeOptions, Service
from emulator.mail import Mailbox, OutgoingEmail, SqliteMailStore
from emulator.mail._sqlite import FORMAT

RESEND = {"Authorization": "Bearer re_test_doorstep"}


@contextmanager
def serving(data_dir: Path, stop: str = "graceful") -> Iterator[tuple[Service, str]]:
    """A served emulator on `data_dir`; with stop="crash", `data_dir/crashed` is a copy of the
    files taken while it still runs (what kill -9 leaves) for the next start."""
    service = Service(
        ServeOptions(http_port=0, smtp_port=0, clock="manual", data_dir=data_dir)
    ).start()
    try:
        yield service, f"http://127.0.0.1:{service.http.port}"
        if stop == "crash":
            shutil.copytree(data_dir, data_dir / "crashed")
    finally:
        service.stop()


def _flags(base: str) -> dict[str, tuple[bool, list[str]]]:
    listed = httpx.get(f"{base}/api/v1/messages", params={"limit": 100}).json()
    return {m["Subject"]: (m["Read"], m["Tags"]) for m in listed["messages"]}


def _search(base: str, query: str) -> list[str]:
    found = httpx.get(f"{base}/api/v1/search", params={"query": query}).json()
    return sorted(m["Subject"] for m in found["messages"])


def _mail(service: Service, base: str) -> dict[str, str]:
    """Four emails by subject: three over SMTP (one with an `X-Tags` header), one through
    Resend (with a Resend tag)."""
    with smtplib.SMTP("127.0.0.1", service.smtp.port, timeout=10) as client:
        for subject in ("opened", "flagged", "retagged"):
            head = f"Subject: {subject}\r\nX-Tags: news\r\n"
            client.sendmail("a@example.com", ["b@example.com"], f"{head}\r\nx\r\n")
    sent = httpx.post(
        f"{base}/emails",
        headers=RESEND,
        json={
            "from": "a@acme.test",
            "to": "b@example.com",
            "subject": "untagged",
            "text": "x",
            "tags": [{"name": "category", "value": "welcome"}],
        },
    )
    assert sent.status_code == 200, sent.text
    listed = httpx.get(f"{base}/api/v1/messages").json()["messages"]
    return {m["Subject"]: m["ID"] for m in listed}


def _put(base: str, path: str, body: dict[str, Any]) -> None:
    answer = httpx.put(f"{base}{path}", json=body, timeout=10)
    assert answer.status_code == 200, answer.text


@pytest.mark.parametrize("stop", ["graceful", "crash"])
def test_read_flags_and_tags_survive_a_restart(tmp_path: Path, stop: str) -> None:
    with serving(tmp_path, stop) as (service, base):
        ids = _mail(service, base)
        httpx.get(f"{base}/api/v1/message/{ids['opened']}").raise_for_status()  # marks read
        _put(base, "/api/v1/messages", {"IDs": [ids["flagged"], ids["untagged"]], "Read": True})
        _put(base, "/api/v1/messages", {"IDs": [ids["untagged"]], "Read": False})
        _put(base, "/api/v1/tags", {"IDs": [ids["retagged"]], "Tags": ["vip", "Later"]})
        _put(base, "/api/v1/tags", {"IDs": [ids["flagged"]], "Tags": []})  # removes `news`
        ui = httpx.post(f"{base}/ui/email/{ids['retagged']}/read", data={"read": "1"})
        assert ui.status_code < 400, ui.text
        before = _flags(base)
    assert before == {
        "opened": (True, ["news"]),
        "flagged": (True, []),
        "retagged": (True, ["Later", "vip"]),
        "untagged": (False, ["category=welcome"]),
    }
    data_dir = tmp_path / "crashed" if stop == "crash" else tmp_path
    with serving(data_dir) as (_, base):
        assert _flags(base) == before
        assert _search(base, "is:unread") == ["untagged"]
        assert _search(base, "tag:vip") == ["retagged"]
        assert httpx.get(f"{base}/api/v1/messages").json()["unread"] == 1


def test_flags_survive_a_real_kill_9(tmp_path: Path) -> None:
    proc, base, smtp_port = _serve(tmp_path)
    try:
        with smtplib.SMTP("127.0.0.1", smtp_port, timeout=10) as client:
            for subject in ("read", "tagged"):
                client.sendmail("a@example.com", ["b@example.com"], f"Subject: {subject}\r\n\r\nx")
        listed = httpx.get(f"{base}/api/v1/messages").json()["messages"]
        ids = {m["Subject"]: m["ID"] for m in listed}
        _put(base, "/api/v1/messages", {"IDs": [ids["read"]], "Read": True})
        _put(base, "/api/v1/tags", {"IDs": [ids["tagged"]], "Tags": ["kept"]})
        os.kill(proc.pid, signal.SIGKILL)  # answered, then killed: no stop, no snapshot
    finally:
        proc.kill()
        proc.communicate(timeout=20)
    proc, base, _ = _serve(tmp_path)
    try:
        assert _flags(base) == {"read": (True, []), "tagged": (False, ["kept"])}
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=20)


def _box(path: Path, retention: int = 0) -> Mailbox:
    return Mailbox(store=path, retention=retention)


def _capture(box: Mailbox, subject: str) -> str:
    email = OutgoingEmail(
        from_="a@acme.test", to=["b@example.com"], subject=subject, html=None, text="x"
    )
    return box.capture_outgoing(email).id


def _flag_rows(path: Path) -> int:
    db = sqlite3.connect(path / "mail.sqlite3")
    return int(db.execute("SELECT count(*) FROM flags").fetchone()[0])


@pytest.mark.parametrize(
    ("gone", "kept"),
    [
        (lambda box, ids: box.delete([ids[0]]), 1),
        (lambda box, ids: box.clear(), 0),
        (lambda box, ids: [_capture(box, "c"), _capture(box, "d")], 0),  # retention 2 evicts
    ],
    ids=["delete", "clear", "retention"],
)
def test_flags_go_with_their_email(tmp_path: Path, gone: Any, kept: int) -> None:
    box = _box(tmp_path, retention=2)
    ids = [_capture(box, "a"), _capture(box, "b")]
    box.flags.mark_read(ids)
    box.flags.set_tags(ids[0], ["x"])
    gone(box, ids)
    assert [box.flags.is_read(i) for i in ids] == [False, kept == 1]
    assert box.flags.tags(ids[0]) is None
    box.close()
    reopened = _box(tmp_path, retention=2)
    assert [reopened.flags.is_read(i) for i in ids] == [False, kept == 1]
    assert _flag_rows(tmp_path) == kept  # the rows went too (evicted ones at the latest on load)


def test_format_3_is_migrated_and_keeps_flags_from_then_on(tmp_path: Path) -> None:
    box = _box(tmp_path)
    email_id = _capture(box, "old")
    box.close()
    db = sqlite3.connect(tmp_path / "mail.sqlite3", isolation_level=None)
    db.execute("DROP TABLE flags")
    db.execute("PRAGMA user_version=3")
    db.close()
    box = Mailbox(store=SqliteMailStore(tmp_path), retention=0)
    assert [e.subject for e in box.all()] == ["old"]
    assert not box.flags.is_read(email_id)
    box.flags.mark_read([email_id])
    box.flags.set_tags(email_id, ["kept"])
    box.close()
    db = sqlite3.connect(tmp_path / "mail.sqlite3")
    assert db.execute("PRAGMA user_version").fetchone() == (FORMAT,) == (4,)
    reopened = _box(tmp_path)
    assert reopened.flags.is_read(email_id)
    assert reopened.flags.tags(email_id) == ["kept"]
