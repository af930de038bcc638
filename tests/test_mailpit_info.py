"""Mailpit's `GET /api/v1/info` counts for real, as Mailpit's npm client reads it: SMTP messages
accepted (and their bytes) and rejected since start, emails deleted (by request, retention and
clearing), the process's memory, and the database `--data-dir` keeps (its path and size)."""

from __future__ import annotations

import json
import os
import shutil
import smtplib
import subprocess
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from emulator import Emulator, OutgoingEmail
from emulator.http import ServerThread, create_app
from emulator.mail import Mailbox, running_smtp

LOCAL = "http://localhost"
INFO = r"""
const { MailpitClient } = require('mailpit-api');
new MailpitClient(process.env.BASE).getInfo()
  .then((info) => console.log(JSON.stringify(info)))
  .catch((e) => { console.error(e); process.exit(1); });
"""
MESSAGE = b"From: a@example.test\r\nTo: b@example.test\r\nSubject: hi\r\n\r\nhello\r\n"


def _client() -> str | None:
    node = shutil.which("node")
    paths = [p for p in os.environ.get("NODE_PATH", "").split(os.pathsep) if p]
    if node is None or not any((Path(p) / "mailpit-api").is_dir() for p in paths):
        return None
    return node


def _send(box: Mailbox, count: int) -> None:
    with running_smtp(box) as smtp, smtplib.SMTP(*smtp.address) as client:
        for _ in range(count):
            client.sendmail("a@example.test", ["b@example.test"], MESSAGE)


def _capture(emu: Emulator, subject: str) -> None:
    emu.outbox.capture_outgoing(
        OutgoingEmail(from_="a@acme.test", to=["b@x.test"], subject=subject, html=None, text="x")
    )


@pytest.mark.real_client
@pytest.mark.skipif(_client() is None, reason="node or mailpit-api on NODE_PATH missing")
def test_info_counts_with_mailpit_client(tmp_path: Path) -> None:
    emu = Emulator(mailbox=Mailbox(retention=3, store=tmp_path))
    _send(emu.outbox, 2)
    _capture(emu, "resend")  # not SMTP: not counted as accepted
    _capture(emu, "evicts the oldest")  # retention 3: one deleted
    with TestClient(create_app(emu), base_url=LOCAL) as web:
        latest = web.get("/api/v1/message/latest").json()
        assert web.request("DELETE", "/api/v1/messages", json={"IDs": [latest["ID"]]}).is_success
    script = tmp_path / "info.js"
    script.write_text(INFO)
    with ServerThread(create_app(emu)) as server:
        done = subprocess.run(
            [str(_client()), str(script)],
            env={**os.environ, "BASE": server.base_url},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert done.returncode == 0, done.stderr
    info: dict[str, Any] = json.loads(done.stdout)
    stats = info["RuntimeStats"]
    assert (stats["SMTPAccepted"], stats["SMTPAcceptedSize"]) == (2, 2 * len(MESSAGE))
    assert (stats["MessagesDeleted"], stats["SMTPRejected"], stats["SMTPIgnored"]) == (2, 0, 0)
    assert stats["Memory"] > 1_000_000
    assert (info["Messages"], info["Unread"]) == (2, 2)
    assert info["Database"] == str(tmp_path / "mail.sqlite3")
    db = tmp_path / "mail.sqlite3"
    wal = tmp_path / "mail.sqlite3-wal"
    assert info["DatabaseSize"] == db.stat().st_size + (wal.stat().st_size if wal.exists() else 0)
    emu.outbox.close()


def test_info_counts_rejected_smtp_and_cleared_mail(monkeypatch: pytest.MonkeyPatch) -> None:
    emu = Emulator()
    _send(emu.outbox, 1)

    def broken(*args: Any, **kwargs: Any) -> str:
        raise OSError("disk full")

    monkeypatch.setattr(emu.outbox, "ingest_raw", broken)
    with pytest.raises(smtplib.SMTPDataError):
        _send(emu.outbox, 1)
    monkeypatch.undo()
    _capture(emu, "one more")
    with TestClient(create_app(emu), base_url=LOCAL) as web:
        assert web.request("DELETE", "/api/v1/messages").is_success  # clears both
        info = web.get("/api/v1/info").json()
    assert info["Database"] == "memory"
    assert info["RuntimeStats"]["SMTPAccepted"] == 1
    assert info["RuntimeStats"]["SMTPRejected"] == 1
    assert info["RuntimeStats"]["MessagesDeleted"] == 2
