"""Mailpit's relay configuration file (`doorstep serve --smtp-relay-config FILE`): release over
STARTTLS or TLS with AUTH, `return-path`, `override-from`, `preserve-message-ids`,
`forward-smtp-errors`, proven with Mailpit's npm client against a Doorstep SMTP server standing
in for the upstream relay; and every refusal names the file and line."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from emulator import Emulator, OutgoingEmail
from emulator.cli._mailpit_options import relay_from_args
from emulator.cli._main import build_parser
from emulator.http import ServerThread, SmtpRelay, create_app
from emulator.mail import Mailbox, SmtpServer

LOCAL = "http://localhost"
RELEASE = r"""
const { MailpitClient } = require('mailpit-api');
const mailpit = new MailpitClient(process.env.BASE);
(async () => {
  const out = { webui: await mailpit.getConfiguration() };
  try { out.release = await mailpit.releaseMessage('latest', { To: ['qa@example.com'] }); }
  catch (e) { out.release = { error: String(e.message) }; }
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
            subject="Release me",
            html="<p>hi</p>",
            text="hi",
        )
    )
    return emu


@pytest.fixture
def upstream() -> Iterator[tuple[SmtpServer, Mailbox]]:
    """The relay: STARTTLS required (self-signed), AUTH required as relay / s3cret."""
    box = Mailbox()
    server = SmtpServer(
        box, tls_required=True, credentials=("relay", "s3cret"), auth_required=True
    ).start()
    yield server, box
    server.stop()


def relay_args(tmp_path: Path, text: str, *extra: str) -> SmtpRelay | None:
    config = tmp_path / "relay.yaml"
    config.write_text(text)
    return relay_from_args(
        build_parser().parse_args(["serve", "--smtp-relay-config", str(config), *extra])
    )


@pytest.mark.real_client
@pytest.mark.skipif(_client() is None, reason="node or mailpit-api on NODE_PATH missing")
@pytest.mark.parametrize("auth", ["plain", "login"])
def test_release_with_relay_config_through_mailpit_client(
    upstream: tuple[SmtpServer, Mailbox], tmp_path: Path, auth: str
) -> None:
    server, relayed = upstream
    relay = relay_args(
        tmp_path,
        f"""# Mailpit's relay configuration
host: 127.0.0.1
port: {server.port}
starttls: true
allow-insecure: true
auth: {auth.upper()}
username: relay
password: s3cret
return-path: bounces@acme.test
override-from: Acme <noreply@acme.test>
allowed-recipients: '@example\\.com$'
preserve-message-ids: true
""",
    )
    assert relay is not None
    emu = captured()
    original = emu.outbox.latest()
    assert original is not None
    script = tmp_path / "release.js"
    script.write_text(RELEASE)
    with ServerThread(create_app(emu, smtp_relay=relay)) as web:
        done = subprocess.run(
            [str(_client()), str(script)],
            env={**os.environ, "BASE": web.base_url},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert done.returncode == 0, done.stderr
    out: dict[str, Any] = json.loads(done.stdout)
    assert out["release"] == "ok", out
    config = out["webui"]["MessageRelay"]
    assert (config["ReturnPath"], config["OverrideFrom"]) == (
        "bounces@acme.test",
        "noreply@acme.test",
    )
    assert config["PreserveMessageIDs"] is True
    [copy] = relayed.all()
    assert copy.envelope_from == "noreply@acme.test"  # override-from wins over return-path
    assert copy.envelope_to == ["qa@example.com"]
    assert copy.header("From") == "App <noreply@acme.test>"
    assert copy.header("X-Original-From") == "app@acme.test"
    assert copy.header("Return-Path") == "<bounces@acme.test>"
    assert copy.header("Message-ID") == original.header("Message-ID")


@pytest.mark.parametrize(
    ("settings", "error"),
    [
        ("", "SMTP error:"),  # STARTTLS is required upstream
        ("starttls: true\nallow-insecure: true\n", "SMTP error:"),  # AUTH is required
        (  # the self-signed certificate is verified unless allow-insecure
            "starttls: true\nauth: login\nusername: relay\npassword: s3cret\n",
            "CERTIFICATE_VERIFY_FAILED",
        ),
        (
            "starttls: true\nallow-insecure: true\nauth: plain\nusername: relay\npassword: wrong\n",
            "error response to AUTH command",
        ),
        ("tls: true\nallow-insecure: true\n", "SMTP error:"),  # the relay does not speak TLS
    ],
)
def test_relay_connection_settings_are_used(
    upstream: tuple[SmtpServer, Mailbox], tmp_path: Path, settings: str, error: str
) -> None:
    server, relayed = upstream
    relay = relay_args(tmp_path, f"host: 127.0.0.1\nport: {server.port}\n{settings}")
    assert relay is not None
    with TestClient(create_app(captured(), smtp_relay=relay), base_url=LOCAL) as web:
        answer = web.post("/api/v1/message/latest/release", json={"To": ["a@example.com"]})
    assert answer.status_code == 400
    assert error in answer.json()["error"]
    assert relayed.all() == []


@pytest.mark.parametrize(("forward", "status"), [(False, 200), (True, 400)])
def test_forward_smtp_errors(tmp_path: Path, forward: bool, status: int) -> None:
    relayed = Mailbox()
    relayed.failures.fail_smtp("rcpt", 550, "no such user", recipient="gone@example.com")
    with SmtpServer(relayed) as server:
        relay = relay_args(
            tmp_path,
            f"host: 127.0.0.1\nport: {server.port}\nforward-smtp-errors: {str(forward).lower()}\n",
        )
        assert relay is not None
        with TestClient(create_app(captured(), smtp_relay=relay), base_url=LOCAL) as web:
            answer = web.post(
                "/api/v1/message/latest/release",
                json={"To": ["gone@example.com", "qa@example.com"]},
            )
    assert answer.status_code == status, answer.text
    if forward:
        assert "error response to RCPT command for gone@example.com: 550" in answer.json()["error"]
        assert relayed.all() == []
    else:
        assert [e.envelope_to for e in relayed.all()] == [["qa@example.com"]]


def test_flags_win_over_the_file_and_the_banner_says_it(tmp_path: Path) -> None:
    from emulator.cli._serve import ServeOptions, Service

    relay = relay_args(
        tmp_path,
        "host: smtp.example.com\nport: 587\nstarttls: true\nauth: login\nusername: u\n"
        "password: p\nrecipient-allowlist: '@old$'\nblocked-recipients: ^ceo@\n",
        "--smtp-relay",
        "127.0.0.1:2525",
        "--smtp-relay-allowed-recipients",
        "@new$",
    )
    assert relay == SmtpRelay(
        "127.0.0.1",
        2525,
        starttls=True,
        auth="login",
        username="u",
        password="p",
        allowed_recipients="@new$",
        blocked_recipients="^ceo@",
    )
    service = Service(ServeOptions(http_port=0, smtp_port=0, smtp_relay=relay))
    assert (
        "Release relay:  127.0.0.1:2525 (STARTTLS; AUTH LOGIN as u; only recipients matching "
        "@new$; never recipients matching ^ceo@)" in service.banner()
    )
    service.stop()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("host: a.test\nport: 25\nstarttls: yes please\n", "relay.yaml:3: starttls must be true"),
        ("host: a.test\n\nsmtp-host: b.test\n", "relay.yaml:3: unknown key 'smtp-host'"),
        ("host: a.test\nport: '25'\n", "relay.yaml:2: port must be a whole number (e.g. port"),
        ("host: a.test\npassword: no\n", "password must be a string (put the value in quotes)"),
        ("host: a.test\nport: [\n", "relay.yaml:3: did not find expected node content"),
        ("- host: a.test\n", "must be one mapping"),
        ("port: 25\n", "relay.yaml: host not set"),
        ("host: a.test\nauth: plain\nusername: u\n", "username or password not set for PLAIN"),
        ("host: a.test\nauth: cram\nusername: u\n", "username or secret not set for CRAM-MD5"),
        ("host: a.test\nauth: xoauth2\n", "authentication method not supported: xoauth2"),
        ("host: a.test\noverride-from: nobody\n", "override-from is not a valid email address"),
        ("host: a.test\ntls: true\nstarttls: true\n", "TLS & STARTTLS cannot be required"),
        ("host: a.test\nblocked-recipients: '(['\n", "blocked-recipients is not a regular"),
        ("host: a.test\nport: 70000\n", "port 70000 is not a TCP port"),
    ],
)
def test_bad_relay_config_names_file_and_line(
    tmp_path: Path, text: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        relay_args(tmp_path, text)
    err = capsys.readouterr().err
    assert "--smtp-relay-config" in err
    assert message in err


def test_missing_relay_config_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["serve", "--smtp-relay-config", str(tmp_path / "nope.yaml")])
    assert "nope.yaml: cannot read the relay configuration" in capsys.readouterr().err
