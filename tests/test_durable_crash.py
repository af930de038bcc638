"""`kill -9` during mixed SMTP / Resend / Knock load, with batch windows open and runs parked on
delays: after a restart, everything a client was told succeeded is there, new requests are
accepted, and letting the clock run sends each digest and each delayed email exactly once."""

from __future__ import annotations

import os
import re
import signal
import smtplib
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import Any

import httpx

KNOCK = {"Authorization": "Bearer sk_test_doorstep"}
RESEND = {"Authorization": "Bearer re_test_doorstep"}
PER_CLIENT = 40  # at most, per client: the kill comes well before
KILL_AFTER = 80  # acknowledged changes before the kill
EACH_KIND = 4  # at least this many of each kind (SMTP alone is quick enough for all 80)


def _serve(data_dir: Path) -> tuple[subprocess.Popen[str], str, int]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "emulator.cli",
            "serve",
            "--http-port",
            "0",
            "--smtp-port",
            "0",
            "--clock",
            "manual",
            "--data-dir",
            str(data_dir),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=data_dir,
    )
    assert proc.stdout is not None
    lines = []
    for line in proc.stdout:
        lines.append(line)
        if line.startswith("Press Ctrl+C"):
            break
    banner = "".join(lines)
    base = re.search(r"export KNOCK_BASE_URL=(\S+)", banner)
    port = re.search(r"export SMTP_PORT=(\d+)", banner)
    assert base, banner
    assert port, banner
    return proc, base.group(1), int(port.group(1))


class Acked:
    """What clients were told succeeded (appends are atomic under the GIL)."""

    def __init__(self) -> None:
        self.smtp: list[str] = []
        self.resend: list[str] = []
        self.batched: dict[str, list[str]] = {}  # invoice id -> workflow run ids
        self.delayed: list[str] = []  # unseen-fallback workflow run ids (a 10-minute delay)

        self.enough = threading.Event()  # set once enough changes of each kind were acknowledged

    def note(self) -> None:
        kinds = [self.smtp, self.resend, self.delayed, list(self.batched)]
        if self.total() >= KILL_AFTER and all(len(k) >= EACH_KIND for k in kinds):
            self.enough.set()

    def total(self) -> int:
        return (
            len(self.smtp)
            + len(self.resend)
            + len(self.delayed)
            + sum(len(v) for v in self.batched.values())
        )


def _smtp_client(port: int, k: int, acked: Acked) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        for i in range(PER_CLIENT):
            subject = f"smtp {k}-{i}"
            client.sendmail("a@example.com", ["b@example.com"], f"Subject: {subject}\r\n\r\nx\r\n")
            acked.smtp.append(subject)
            acked.note()


def _resend_client(base: str, k: int, acked: Acked) -> None:
    with httpx.Client(base_url=base, headers=RESEND, timeout=10) as client:
        for i in range(PER_CLIENT):
            body = {
                "from": "a@acme.test",
                "to": "b@example.com",
                "subject": f"r{k}-{i}",
                "text": "x",
            }
            answer = client.post("/emails", json=body)
            assert answer.status_code == 200, answer.text
            acked.resend.append(answer.json()["id"])
            acked.note()


def _knock_client(base: str, k: int, acked: Acked) -> None:
    with httpx.Client(base_url=base, headers=KNOCK, timeout=10) as client:
        for i in range(PER_CLIENT):
            if i % 3 == 2:
                answer = client.post(
                    "/v1/workflows/unseen-fallback/trigger",
                    json={"recipients": ["u1"], "data": {"invoice_id": f"d{k}-{i}"}},
                )
                assert answer.status_code == 200, answer.text
                acked.delayed.append(answer.json()["workflow_run_id"])
                acked.note()
                continue
            invoice = f"inv{k}-{i // 3}"  # two triggers per invoice: one open batch each
            answer = client.post(
                "/v1/workflows/invoice-updated/trigger",
                json={
                    "recipients": ["u1"],
                    "actor": "u2",
                    "data": {"invoice_id": invoice, "status": f"s{i}"},
                },
            )
            assert answer.status_code == 200, answer.text
            acked.batched.setdefault(invoice, []).append(answer.json()["workflow_run_id"])
            acked.note()


def _until_refused(work: Callable[[], None]) -> Callable[[], None]:
    def run() -> None:
        # The server is killed under the clients: what was not acknowledged may be lost.
        with suppress(OSError, httpx.HTTPError, smtplib.SMTPException):
            work()

    return run


def _all(base: str, path: str, key: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    while True:
        page = httpx.get(f"{base}{path}", params={"start": len(found), "limit": 1000}).json()
        found += page[key]
        if len(found) >= page["total"]:
            return found


def test_kill_9_under_load_loses_nothing_acknowledged(tmp_path: Path) -> None:
    proc, base, smtp_port = _serve(tmp_path)
    acked = Acked()
    try:
        for user, body in (("u1", {"email": "ada@example.com"}), ("u2", {"name": "Bo"})):
            httpx.put(f"{base}/v1/users/{user}", headers=KNOCK, json=body).raise_for_status()
        clients = [
            *(lambda k=k: _smtp_client(smtp_port, k, acked) for k in range(3)),
            *(lambda k=k: _resend_client(base, k, acked) for k in range(2)),
            *(lambda k=k: _knock_client(base, k, acked) for k in range(3)),
        ]
        threads = [threading.Thread(target=_until_refused(c)) for c in clients]
        for thread in threads:
            thread.start()
        acked.enough.wait(30)
        os.kill(proc.pid, signal.SIGKILL)  # mid-load: clients are still sending
        for thread in threads:
            thread.join(30)
    finally:
        proc.kill()
        proc.communicate(timeout=20)
    assert [bool(acked.smtp), bool(acked.resend), bool(acked.batched), bool(acked.delayed)] == [
        True
    ] * 4

    proc, base, smtp_port = _serve(tmp_path)
    try:
        emails = _all(base, "/api/v1/messages", "messages")
        assert set(acked.smtp) <= {e["Subject"] for e in emails}
        for email_id in acked.resend:
            assert httpx.get(f"{base}/emails/{email_id}", headers=RESEND).status_code == 200
        runs = _all(base, "/api/runs", "runs")
        started = {r["workflow_run_id"] for r in runs}
        assert {w for ws in acked.batched.values() for w in ws} <= started
        assert set(acked.delayed) <= started

        httpx.post(f"{base}/api/clock/advance", json={"seconds": 3600}).raise_for_status()
        emails = _all(base, "/api/v1/messages", "messages")
        digests = Counter(
            e["Subject"].rsplit(" ", 1)[-1]
            for e in emails
            if " updates to invoice " in e["Subject"]
        )
        assert all(digests[invoice] == 1 for invoice in acked.batched), digests
        assert max(digests.values()) == 1
        delayed = [r for r in _all(base, "/api/runs", "runs") if r["workflow"] == "unseen-fallback"]
        assert all(r["status"] == "completed" for r in delayed)  # acknowledged or cut short
        unread = [e for e in emails if e["Subject"] == "You have an unread message"]
        assert len(unread) == len(delayed)  # one email per delayed run, not one more
        assert all(r["status"] != "waiting" for r in _all(base, "/api/runs", "runs"))

        with smtplib.SMTP("127.0.0.1", smtp_port, timeout=10) as client:  # nothing refused
            client.sendmail("a@example.com", ["b@example.com"], "Subject: after\r\n\r\nx\r\n")
        answer = httpx.post(
            f"{base}/v1/workflows/unseen-fallback/trigger",
            headers=KNOCK,
            json={"recipients": ["u1"], "data": {"invoice_id": "after"}},
        )
        assert answer.status_code == 200, answer.text
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=20)
