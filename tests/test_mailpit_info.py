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
from hypothesis import given, settings
from hypothesis import strategies as st
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


SIZE_OPS = st.lists(
    st.one_of(
        st.tuples(st.sampled_from(["outgoing", "built", "smtp", "ask"]), st.integers(0, 30)),
        st.tuples(st.sampled_from(["delete", "clear"]), st.integers(0, 30)),
    ),
    max_size=30,
)


@settings(max_examples=60, deadline=None)
@given(ops=SIZE_OPS, retention=st.sampled_from([0, 3]))
def test_database_size_in_memory_is_a_scan_of_the_raw_bytes(
    ops: list[tuple[str, int]], retention: int
) -> None:
    box = Mailbox(retention=retention)
    emu = Emulator(mailbox=box)
    for op, n in ops:
        if op in ("outgoing", "built"):
            _capture(emu, "s" * n)  # subjects of every length: MIME of every size
            if op == "built":
                assert box.latest().raw  # type: ignore[union-attr]  # built before it is measured
        elif op == "smtp":
            box.ingest_raw(MESSAGE + b"x" * n, envelope_from="a@x.test", envelope_to=["b@x.test"])
        elif op == "ask":
            assert box.raw_size() == sum(len(e.raw) for e in box.all())
        elif op == "delete" and len(box):
            box.delete([box.all()[n % len(box)].id])
        elif op == "clear":
            box.clear()
    with TestClient(create_app(emu), base_url=LOCAL) as web:
        size = web.get("/api/v1/info").json()["DatabaseSize"]
    assert size == sum(len(e.raw) for e in box.all())


def test_database_size_counts_mail_a_data_dir_kept_raw(tmp_path: Path) -> None:
    box = Mailbox(store=tmp_path)
    box.ingest_raw(MESSAGE, envelope_from="a@x.test", envelope_to=["b@x.test"])
    _capture(Emulator(mailbox=box), "kept as a recipe")
    box.close()
    again = Mailbox(store=tmp_path)  # raw rows and recipes come back unparsed and unbuilt
    assert again.raw_size() == sum(len(e.raw) for e in again.all()) > len(MESSAGE)
    again.close()
