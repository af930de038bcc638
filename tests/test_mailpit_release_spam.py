"""Mailpit's release through `--smtp-relay` (allow-list and block-list as Mailpit applies them) and
its SpamAssassin check against spamd (a tiny fake spamd on port 0 speaking SPAMC/1.5)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from emulator import Emulator, OutgoingEmail
from emulator.cli._main import build_parser
from emulator.cli._serve import ServeOptions, Service
from emulator.http import ServerThread, SmtpRelay, create_app
from emulator.mail import Mailbox, running_smtp

LOCAL = "http://localhost"

RELEASE = r"""
const { MailpitClient } = require('mailpit-api');
const mailpit = new MailpitClient(process.env.BASE);
const out = {};
async function step(name, call) {
  try { out[name] = await call(); } catch (e) { out[name] = { error: String(e.message || e) }; }
}
(async () => {
  await step('webui', () => mailpit.getConfiguration());
  await step('ok', () => mailpit.releaseMessage('latest', { To: ['qa@example.com'] }));
  await step('outside', () => mailpit.releaseMessage('latest', { To: ['boss@elsewhere.test'] }));
  await step('blocked', () => mailpit.releaseMessage('latest', { To: ['ceo@example.com'] }));
  await step('invalid', () => mailpit.releaseMessage('latest', { To: ['not an address'] }));
  console.log(JSON.stringify(out));
})().catch((e) => { console.error(e); process.exit(1); });
"""


def _client() -> str | None:
    node = shutil.which("node")
    paths = [p for p in os.environ.get("NODE_PATH", "").split(os.pathsep) if p]
    if node is None or not any((Path(p) / "mailpit-api").is_dir() for p in paths):
        return None
    return node


def captured() -> Emulator:
    emu = Emulator()
    emu.outbox.capture_outgoing(
        OutgoingEmail(
            from_="App <app@acme.test>",
            to=["ada@example.com"],
            bcc=["secret@example.com"],
            subject="Release me",
            html="<p>hi</p>",
            text="hi",
        )
    )
    return emu


@pytest.mark.real_client
@pytest.mark.skipif(_client() is None, reason="node or mailpit-api on NODE_PATH missing")
def test_release_through_the_relay_with_mailpit_client(tmp_path: Path) -> None:
    emu = captured()
    original = emu.outbox.latest()
    assert original is not None
    relayed = Mailbox()
    with running_smtp(relayed) as upstream:
        relay = SmtpRelay(
            "127.0.0.1",
            upstream.port,
            allowed_recipients=r"@example\.com$",
            blocked_recipients=r"^ceo@",
        )
        with ServerThread(create_app(emu, smtp_relay=relay)) as server:
            script = tmp_path / "release.js"
            script.write_text(RELEASE)
            done = subprocess.run(
                [str(_client()), str(script)],
                env={**os.environ, "BASE": server.base_url},
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
    assert done.returncode == 0, done.stderr
    out: dict[str, Any] = json.loads(done.stdout)
    assert out["webui"]["MessageRelay"]["Enabled"] is True
    assert out["webui"]["MessageRelay"]["SMTPServer"] == f"127.0.0.1:{upstream.port}"
    assert out["webui"]["MessageRelay"]["AllowedRecipients"] == r"@example\.com$"
    assert out["ok"] == "ok"
    assert "Address do not match the allowlist: boss@elsewhere.test" in out["outside"]["error"]
    assert "Address found on blocklist: ceo@example.com" in out["blocked"]["error"]
    assert "Invalid email address: not an address" in out["invalid"]["error"]
    [copy] = relayed.all()
    assert copy.envelope_to == ["qa@example.com"]
    assert copy.envelope_from == "app@acme.test"
    assert copy.subject == "Release me"
    assert copy.header("Bcc") is None
    assert copy.header("Message-ID") != original.header("Message-ID")


def test_release_without_a_relay_says_how_to_configure_one() -> None:
    with TestClient(create_app(captured()), base_url=LOCAL) as web:
        answer = web.post("/api/v1/message/latest/release", json={"To": ["a@example.com"]})
        config = web.get("/api/v1/webui").json()
    assert answer.status_code == 400
    assert "--smtp-relay HOST:PORT" in answer.json()["error"]
    assert config["MessageRelay"]["Enabled"] is False


def test_release_to_a_relay_that_is_down_is_an_smtp_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # nothing listens here once closed
    app = create_app(captured(), smtp_relay=SmtpRelay("127.0.0.1", port, timeout=2))
    with TestClient(app, base_url=LOCAL) as web:
        answer = web.post("/api/v1/message/latest/release", json={"To": ["a@example.com"]})
    assert answer.status_code == 400
    assert answer.json()["error"].startswith("SMTP error:")


# -- SpamAssassin -------------------------------------------------------------------------------
SPAMD_REPLY = (
    b"SPAMD/1.1 0 EX_OK\r\nContent-length: 300\r\nSpam: True ; 6.57 / 5.0\r\n\r\n"
    b"Spam detection software has identified this incoming email as possible spam.\n\n"
    b"Content analysis details:   (6.6 points, 5.0 required)\n\n"
    b" pts rule name              description\n"
    b"---- ---------------------- --------------------------------------------------\n"
    b" 3.5 BAYES_99               BODY: Bayes spam probability is 99 to 100%\n"
    b"                            [score: 1.0000]\n"
    b"-0.1 DKIM_VALID             Message has at least one valid DKIM or DK signature\n"
    b" 3.1 MISSING_MID            Missing Message-Id: header\n"
)


@pytest.fixture
def spamd() -> Iterator[tuple[int, list[bytes]]]:
    """A fake spamd: reads one request per connection, answers SPAMD_REPLY."""
    listener = socket.create_server(("127.0.0.1", 0))
    seen: list[bytes] = []

    def serve() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with conn:
                data = b""
                while chunk := conn.recv(65536):
                    data += chunk
                seen.append(data)
                conn.sendall(SPAMD_REPLY)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1], seen
    listener.close()
    thread.join(2)


def test_spamassassin_check_against_spamd(spamd: tuple[int, list[bytes]]) -> None:
    port, seen = spamd
    app = create_app(captured(), spamassassin=("127.0.0.1", port))
    with TestClient(app, base_url=LOCAL) as web:
        result = web.get("/api/v1/message/latest/sa-check").json()
        config = web.get("/api/v1/webui").json()
    assert config["SpamAssassin"] is True
    assert seen[0].startswith(b"REPORT SPAMC/1.5\r\nContent-length: ")
    assert b"Subject: Release me" in seen[0]
    assert result["IsSpam"] is True
    assert result["Score"] == 6.5  # floored to one decimal, as Mailpit
    assert result["Error"] == ""
    assert result["Rules"] == [
        {
            "Score": 3.5,
            "Name": "BAYES_99",
            "Description": "BODY: Bayes spam probability is 99 to 100% [score: 1.0000]",
        },
        {
            "Score": -0.1,
            "Name": "DKIM_VALID",
            "Description": "Message has at least one valid DKIM or DK signature",
        },
        {"Score": 3.1, "Name": "MISSING_MID", "Description": "Missing Message-Id: header"},
    ]


@pytest.mark.parametrize(("configured", "status"), [(False, 404), (True, 200)])
def test_spamassassin_unconfigured_or_unreachable(configured: bool, status: int) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = create_app(captured(), spamassassin=("127.0.0.1", port) if configured else None)
    with TestClient(app, base_url=LOCAL) as web:
        answer = web.get("/api/v1/message/latest/sa-check")
    assert answer.status_code == status
    if configured:
        assert "cannot reach spamd" in answer.json()["Error"]


def test_serve_flags_for_relay_and_spamassassin() -> None:
    argv = ["serve", "--smtp-relay", "127.0.0.1:2525", "--spamassassin", "[::1]:783"]
    argv += ["--smtp-relay-allowed-recipients", r"@example\.com$"]
    args = build_parser().parse_args(argv)
    assert args.smtp_relay == ("127.0.0.1", 2525)
    assert args.spamassassin == ("::1", 783)
    service = Service(
        ServeOptions(
            http_port=0,
            smtp_port=0,
            smtp_relay=SmtpRelay("127.0.0.1", 2525, allowed_recipients=r"@example\.com$"),
            spamassassin=("::1", 783),
        )
    )
    banner = service.banner()
    assert "Release relay:  127.0.0.1:2525 (only recipients matching @example\\.com$)" in banner
    assert "SpamAssassin:   spamd at ::1:783" in banner
    service.stop()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--smtp-relay", "nohost"], "is not HOST:PORT"),
        (["--spamassassin", "host:99999"], "is not HOST:PORT"),
        (["--smtp-relay-blocked-recipients", "(["], "is not a regular expression"),
    ],
)
def test_bad_relay_flags(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["serve", *argv])
    assert message in capsys.readouterr().err
