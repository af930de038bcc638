"""`doorstep serve`'s SMTP options (--smtp-tls, --smtp-tls-cert, --smtp-auth, --smtp-tls-required)
driven by the real `nodemailer` client, and `--allow-fetch HOST` for fetch steps."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from emulator import FetchError, FetchRequest
from emulator.cli._main import build_parser
from emulator.cli._serve import ServeOptions, Service
from emulator.cli._smtp_options import SmtpOptions
from emulator.http import fetch_responder
from emulator.mail import SmtpServerError

SEND = r"""
const nodemailer = require('nodemailer');
const options = JSON.parse(process.env.TRANSPORT);
(async () => {
  const transport = nodemailer.createTransport(options);
  try {
    const info = await transport.sendMail({
      from: 'app@example.com', to: 'ada@example.com', subject: 'Hi over SMTP', text: 'hello',
    });
    console.log(JSON.stringify({ ok: info.response }));
  } catch (e) {
    console.log(JSON.stringify({ error: e.code || null, response: e.response || String(e) }));
  }
})();
"""


def _nodemailer() -> str | None:
    node = shutil.which("node")
    paths = [p for p in os.environ.get("NODE_PATH", "").split(os.pathsep) if p]
    if node is None or not any((Path(p) / "nodemailer").is_dir() for p in paths):
        return None
    return node


@pytest.fixture
def serve_smtp() -> Iterator[Any]:
    started: list[Service] = []

    def start(smtp: SmtpOptions) -> Service:
        service = Service(ServeOptions(http_port=0, smtp_port=0, clock="manual", smtp=smtp))
        started.append(service.start())
        return service

    yield start
    for service in started:
        service.stop()


def send(service: Service, tmp_path: Path, **transport: Any) -> dict[str, Any]:
    script = tmp_path / "send.js"
    script.write_text(SEND)
    options = {"host": "127.0.0.1", "port": service.smtp.port, **transport}
    done = subprocess.run(
        [str(_nodemailer()), str(script)],
        env={**os.environ, "TRANSPORT": json.dumps(options)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


SELF_SIGNED = {"rejectUnauthorized": False}


@pytest.mark.parametrize(
    ("smtp", "transport", "error"),
    [
        # without --smtp-tls, requireTLS fails as before; with it, the upgrade happens
        (SmtpOptions(), {"requireTLS": True}, "ETLS"),
        (SmtpOptions(tls=True), {"requireTLS": True, "tls": SELF_SIGNED}, None),
        # the throwaway certificate is not trusted: a verifying client refuses it
        (SmtpOptions(tls=True), {"requireTLS": True}, "ESOCKET"),
        # --smtp-tls-required: a client that never upgrades is refused at MAIL
        (SmtpOptions(tls_required=True), {"ignoreTLS": True}, "EENVELOPE"),
        (SmtpOptions(tls_required=True), {"tls": SELF_SIGNED}, None),
        # --smtp-auth with no value: AUTH needed, any pair accepted
        (SmtpOptions(auth="any"), {}, "EENVELOPE"),
        (SmtpOptions(auth="any"), {"auth": {"user": "x", "pass": "y"}}, None),
        # --smtp-auth USER:PASSWORD: only that pair
        (SmtpOptions(auth="app:s3:cret"), {"auth": {"user": "app", "pass": "s3:cret"}}, None),
        (SmtpOptions(auth="app:s3:cret"), {"auth": {"user": "app", "pass": "nope"}}, "EAUTH"),
        # TLS required and AUTH: AUTH happens inside TLS
        (
            SmtpOptions(tls_required=True, auth="app:pw"),
            {"auth": {"user": "app", "pass": "pw"}, "tls": SELF_SIGNED},
            None,
        ),
    ],
)
@pytest.mark.real_client
@pytest.mark.skipif(_nodemailer() is None, reason="node or nodemailer on NODE_PATH missing")
def test_nodemailer_against_serve_smtp_options(
    serve_smtp: Any, tmp_path: Path, smtp: SmtpOptions, transport: dict[str, Any], error: str | None
) -> None:
    service = serve_smtp(smtp)
    result = send(service, tmp_path, **transport)
    if error is None:
        assert "ok" in result, result
        assert result["ok"].startswith("250")
        assert [m.subject for m in service.mailbox.all()] == ["Hi over SMTP"]
    else:
        assert result.get("error") == error, result
        assert list(service.mailbox.all()) == []


@pytest.mark.real_client
@pytest.mark.skipif(_nodemailer() is None, reason="node or nodemailer on NODE_PATH missing")
def test_given_certificate_is_verified_by_nodemailer(serve_smtp: Any, tmp_path: Path) -> None:
    from emulator.mail._tls import self_signed_pem

    cert, key = self_signed_pem("mail.doorstep.test")
    (tmp_path / "cert.pem").write_bytes(cert)
    (tmp_path / "key.pem").write_bytes(key)
    smtp = SmtpOptions(tls_cert=tmp_path / "cert.pem", tls_key=tmp_path / "key.pem")
    service = serve_smtp(smtp)
    trusted = {"ca": cert.decode(), "servername": "mail.doorstep.test"}
    result = send(service, tmp_path, requireTLS=True, tls=trusted)
    assert "ok" in result, result
    assert "STARTTLS with" in service.banner()


def test_bad_certificate_files_name_the_file(tmp_path: Path) -> None:
    (tmp_path / "cert.pem").write_text("not a certificate")
    with pytest.raises(SmtpServerError, match="does not exist"):
        Service(ServeOptions(http_port=0, smtp_port=0, smtp=SmtpOptions(tls_cert=tmp_path / "x")))
    with pytest.raises(SmtpServerError, match=r"cert\.pem.*PEM certificate"):
        Service(
            ServeOptions(http_port=0, smtp_port=0, smtp=SmtpOptions(tls_cert=tmp_path / "cert.pem"))
        )


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        ([], SmtpOptions()),
        (["--smtp-tls"], SmtpOptions(tls=True)),
        (["--smtp-auth"], SmtpOptions(auth="any")),
        (["--smtp-auth", "u:p:q"], SmtpOptions(auth="u:p:q")),
        (["--smtp-tls-required", "--smtp-auth", "any"], SmtpOptions(auth="any", tls_required=True)),
        (["--smtp-tls-cert", "c.pem"], SmtpOptions(tls_cert=Path("c.pem"))),
    ],
)
def test_smtp_flags_parse(argv: list[str], expected: SmtpOptions) -> None:
    args = build_parser().parse_args(["serve", *argv])
    parsed = SmtpOptions(
        tls=args.smtp_tls,
        tls_cert=args.smtp_tls_cert,
        tls_key=args.smtp_tls_key,
        auth=args.smtp_auth,
        tls_required=args.smtp_tls_required,
    )
    assert parsed == expected


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--smtp-auth", "nocolon"], "is not USER:PASSWORD"),
        (["--allow-fetch", "a.example,b.example"], "one host per --allow-fetch"),
        (["--allow-fetch", "http://a.example/"], "is not a host"),
    ],
)
def test_bad_smtp_and_fetch_flags_are_usage_errors(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["serve", *argv])
    assert message in capsys.readouterr().err


def test_allow_fetch_flags_and_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOORSTEP_ALLOW_FETCH", "api.example.com, *.example.org")
    args = build_parser().parse_args(["serve", "--allow-fetch", "127.0.0.1:8000"])
    assert args.allow_fetch == ["api.example.com", "*.example.org", "127.0.0.1:8000"]


# -- --allow-fetch --------------------------------------------------------------------------------
class _Api(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        answer = json.dumps({"got": json.loads(body), "host": self.headers["Host"]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def api() -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Api)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


FETCH_WORKFLOW = """\
name: Enrich
steps:
  - ref: fetch_1
    type: http_fetch
    settings:
      method: post
      url: "{url}"
      body: '{{"user": "{{{{ recipient.id }}}}"}}'
      headers:
        - key: Content-Type
          value: application/json
"""


@pytest.mark.parametrize(
    ("allow", "url", "outcome"),
    [
        (("127.0.0.1:{port}",), "http://127.0.0.1:{port}/enrich", "completed"),
        (("localhost:{port}",), "http://localhost:{port}/enrich", "completed"),
        ((), "http://127.0.0.1:{port}/enrich", "--allow-fetch 127.0.0.1"),
        (("127.0.0.1:1",), "http://127.0.0.1:{port}/enrich", "--allow-fetch 127.0.0.1"),
    ],
)
def test_serve_allow_fetch(
    api: int, tmp_path: Path, allow: tuple[str, ...], url: str, outcome: str
) -> None:
    (tmp_path / "enrich.yaml").write_text(FETCH_WORKFLOW.format(url=url.format(port=api)))
    options = ServeOptions(
        workflows=tmp_path,
        http_port=0,
        smtp_port=0,
        clock="manual",
        allow_fetch=tuple(a.format(port=api) for a in allow),
    )
    service = Service(options)
    service.emulator.trigger("enrich", recipients=["u1"])
    (run,) = service.emulator.runs()
    if outcome == "completed":
        assert run.status == "completed", run
        answer = json.loads(run.steps[0].detail["attempts"][-1].body)
        assert answer == {"got": {"user": "u1"}, "host": url.format(port=api).split("/")[2]}
    else:
        assert run.status == "failed"
        assert outcome in str(run.steps[0].error)
    service.stop()


@pytest.mark.parametrize(
    ("resolved", "message"),
    [
        ("10.0.0.7", "resolves to 10.0.0.7 (private)"),
        ("169.254.169.254", "resolves to 169.254.169.254 (link-local)"),
        ("127.0.0.1", "resolves to 127.0.0.1 (loopback)"),
    ],
)
def test_allowed_name_resolving_to_a_private_address_is_refused(
    monkeypatch: pytest.MonkeyPatch, resolved: str, message: str
) -> None:
    def fake(host: str, port: int, **kwargs: Any) -> list[Any]:
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (resolved, port))]

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    respond = fetch_responder(["api.example.com"])
    with pytest.raises(FetchError, match=re.escape(message)) as caught:
        respond(FetchRequest("GET", "https://api.example.com/x", {}, None))
    assert "--allow-fetch" in str(caught.value)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://api.example.com/x", "only absolute http(s) URLs"),
        ("https://evil.example.com/x", "'evil.example.com' is not allowed"),
        ("https://api.example.com:8443/x", "is not allowed"),
    ],
)
def test_fetch_refuses_what_is_not_allowed(url: str, message: str) -> None:
    respond = fetch_responder(["api.example.com:443"])
    with pytest.raises(FetchError, match=re.escape(message)):
        respond(FetchRequest("GET", url, {}, None))
