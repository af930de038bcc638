"""Safe to leave running beside a browser: other sites cannot write, rebinding names get 403,
no route outside /v1 answers CORS, and SIGTERM stops `doorstep serve` at once."""

from __future__ import annotations

import asyncio
import io
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from emulator import Emulator
from emulator.http import ServerThread, create_app, parse_allowed_host

ROOT = Path(__file__).resolve().parents[1]
LOCAL = "http://localhost"
EVIL = "http://evil.example"
ADVANCE = ("POST", "/api/clock/advance")
TEXT = {"Content-Type": "text/plain"}
JSON = {"Content-Type": "application/json"}
DAY = b'{"seconds":86400}'


@pytest.fixture
def emu() -> Emulator:
    return Emulator()


@pytest.fixture
def client(emu: Emulator) -> Iterator[TestClient]:
    with TestClient(create_app(emu, allowed_hosts=["devbox"]), base_url=LOCAL) as c:
        yield c


def resets(emu: Emulator) -> list[bool]:
    seen: list[bool] = []
    emu.on_reset(lambda: seen.append(True))
    return seen


REFUSED = [
    # what a page on another origin can send without a preflight (the exact requests)
    (*ADVANCE, {"Origin": EVIL, "Sec-Fetch-Site": "cross-site", **TEXT}, DAY, 403),
    ("POST", "/api/reset", {"Origin": EVIL, "Sec-Fetch-Site": "cross-site"}, b"", 403),
    # each check on its own
    (*ADVANCE, {"Origin": EVIL, **JSON}, DAY, 403),
    (*ADVANCE, {"Origin": "null", **JSON}, DAY, 403),
    (*ADVANCE, {"Origin": "http://localhost:3000", **JSON}, DAY, 403),
    (*ADVANCE, {"Sec-Fetch-Site": "cross-site", **JSON}, DAY, 403),
    (*ADVANCE, TEXT, DAY, 415),
    (*ADVANCE, {}, DAY, 415),
    (*ADVANCE, {"Content-Type": "application/x-www-form-urlencoded"}, DAY, 415),
    ("POST", "/api/reset", {"Sec-Fetch-Site": "cross-site"}, b"", 403),
    ("DELETE", "/api/v1/messages", {"Origin": EVIL}, b"", 403),
    ("DELETE", "/api/v1/messages", TEXT, b'{"IDs":[]}', 415),
    ("PUT", "/api/v1/messages", {"Origin": EVIL, **JSON}, b'{"Read":true}', 403),
    ("POST", "/ui/clock/advance", {"Origin": EVIL}, b"seconds=86400", 403),
    ("POST", "/ui/clock/advance", {"Sec-Fetch-Site": "cross-site"}, b"seconds=86400", 403),
]


@pytest.mark.parametrize(("method", "path", "headers", "body", "status"), REFUSED)
def test_other_sites_cannot_write(
    emu: Emulator,
    client: TestClient,
    method: str,
    path: str,
    headers: dict[str, str],
    body: bytes,
    status: int,
) -> None:
    before, wiped = emu.clock.now, resets(emu)
    response = client.request(method, path, headers=headers, content=body)
    assert response.status_code == status, response.text
    assert response.json()["status"] == status
    assert emu.clock.now == before
    assert not wiped
    assert "access-control-allow-origin" not in response.headers


ALLOWED = [
    (*ADVANCE, JSON, DAY),  # curl, SDKs: no Origin
    (*ADVANCE, {"Origin": LOCAL, "Sec-Fetch-Site": "same-origin", **JSON}, DAY),
    (*ADVANCE, {"Sec-Fetch-Site": "none", "Content-Type": "application/json; charset=utf-8"}, DAY),
    ("POST", "/api/reset", {}, b""),
    ("POST", "/api/reset", {"Origin": LOCAL, "Sec-Fetch-Site": "same-origin"}, b""),
    ("DELETE", "/api/v1/messages", {}, b""),
    ("PUT", "/api/v1/messages", JSON, b'{"Read":true}'),
]


@pytest.mark.parametrize(("method", "path", "headers", "body"), ALLOWED)
def test_same_origin_and_non_browser_writes_still_work(
    client: TestClient, method: str, path: str, headers: dict[str, str], body: bytes
) -> None:
    response = client.request(method, path, headers=headers, content=body)
    assert response.status_code == 200, response.text


HOSTS = [
    ("localhost", 200),
    ("localhost:8025", 200),
    ("127.0.0.1:1", 200),
    ("[::1]:8025", 200),
    ("LOCALHOST:8025", 200),
    ("devbox:9000", 200),  # allowed_hosts=["devbox"]
    ("evil.example", 403),
    ("evil.example:8025", 403),
    ("localhost.evil.example", 403),
    ("127.0.0.1.nip.io:8025", 403),
    ("", 403),
]


REFUSAL_KEYS = {  # each refusal in the shape the caller's SDK parses (found by the fuzz suite)
    "/api/messages": {"error", "status"},
    "/ui/": {"error", "status"},
    "/v1/users/u1": {"code", "message", "status", "type"},
    "/emails/x": {"statusCode", "name", "message"},
    "/nowhere": {"error", "status"},
}


@pytest.mark.parametrize(("host", "status"), HOSTS)
@pytest.mark.parametrize("path", list(REFUSAL_KEYS))
def test_only_known_host_names_are_answered(
    client: TestClient, host: str, status: int, path: str
) -> None:
    response = client.get(path, headers={"Host": host})
    if status == 403:
        body = response.json()
        assert (response.status_code, set(body)) == (403, REFUSAL_KEYS[path]), body
        assert "--allowed-host" in body.get("error", body.get("message"))
    else:
        assert response.status_code != 403


@pytest.mark.parametrize(
    ("hosts", "status"),
    [((b"localhost", b"evil.example"), 403), ((b"evil.example", b"localhost"), 200)],
    ids=["rebinding name last", "loopback name last"],
)
def test_a_repeated_host_header_is_judged_by_its_last_value(
    emu: Emulator, hosts: tuple[bytes, bytes], status: int
) -> None:
    """The guard reads only the Host header for most requests: the last of several decides."""
    sent: list[Any] = []
    scope = {
        "type": "http",
        "method": "GET",
        "path": "/api/messages",
        "raw_path": b"/api/messages",
        "query_string": b"",
        "root_path": "",
        "scheme": "http",
        "server": ("127.0.0.1", 8025),
        "headers": [(b"host", h) for h in hosts],
    }

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(create_app(emu)(scope, receive, send))
    assert sent[0]["status"] == status


@pytest.mark.parametrize(("host", "status"), HOSTS)
def test_the_live_socket_refuses_rebinding_names(
    client: TestClient, host: str, status: int
) -> None:
    if status == 403:
        url = f"ws://{host or 'x'}/api/events"
        with (
            pytest.raises(WebSocketDisconnect) as refused,
            client.websocket_connect(url, headers={"Host": host}),
        ):
            pass
        assert refused.value.code == 1008
    else:
        with client.websocket_connect(f"ws://{host}/api/events") as ws:
            assert ws.receive_json()["Type"] == "stats"


@pytest.mark.parametrize("path", ["/api/reset", "/api/clock/advance", "/api/messages", "/ui/"])
@pytest.mark.parametrize("origin", ["http://localhost:3000", EVIL])
def test_no_cors_outside_the_knock_api(client: TestClient, path: str, origin: str) -> None:
    asked = {"Origin": origin, "Access-Control-Request-Method": "POST"}
    preflight = client.options(
        path, headers={**asked, "Access-Control-Request-Headers": "content-type"}
    )
    assert preflight.status_code != 204
    assert not any(h.startswith("access-control-") for h in preflight.headers)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("devbox", "devbox"),
        ("DevBox.Local ", "devbox.local"),
        ("::1", "[::1]"),
        ("10.0.0.5", "10.0.0.5"),
    ],
)
def test_allowed_host_values(text: str, expected: str) -> None:
    assert parse_allowed_host(text) == expected


@pytest.mark.parametrize("text", ["", "http://devbox", "devbox:8025", "a b"])
def test_bad_allowed_host_says_how_to_write_it(text: str) -> None:
    with pytest.raises(ValueError, match=r"--allowed-host doorstep\.internal"):
        parse_allowed_host(text)


def test_serve_flag_and_environment_name_allowed_hosts(monkeypatch: pytest.MonkeyPatch) -> None:
    from emulator.cli._main import build_parser

    monkeypatch.setenv("DOORSTEP_ALLOWED_HOSTS", "a.test, B.test")
    args = build_parser().parse_args(["serve", "--allowed-host", "c.test"])
    assert args.allowed_hosts == ["a.test", "b.test", "c.test"]


STUCK_SERVE = """
import sys, threading
from emulator.cli import _serve
started = _serve.Service.start
def start(self):
    service = started(self)
    holder = threading.Thread(target=self.emulator.lock.acquire, daemon=True)
    holder.start()
    holder.join()  # a thread that took the engine lock and never gave it back
    return service
_serve.Service.start = start
from emulator.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_sigterm_stops_serve_even_with_a_request_stuck_on_the_engine_lock() -> None:
    command = [sys.executable, "-c", STUCK_SERVE, "serve", "--http-port", "0", "--smtp-port", "0"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    try:
        assert proc.stdout is not None
        base = ""
        for line in proc.stdout:
            if "Web inspector:" in line:
                base = line.split()[-1].removesuffix("/ui/")
                break
        assert base, "serve printed no banner"
        with pytest.raises(httpx.ReadTimeout):  # this request now holds the event loop
            httpx.post(base + "/api/reset", timeout=0.5)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0  # a bound for "it stops", generous for a loaded CI
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.mark.browser
def test_a_page_on_another_origin_cannot_reset_or_advance(emu: Emulator, browser: Any) -> None:
    before, wiped = emu.clock.now, resets(emu)
    with ServerThread(create_app(emu)) as server:
        target = server.base_url  # http://127.0.0.1:PORT
        other = target.replace("127.0.0.1", "localhost")  # another origin, still loopback
        page = browser.new_page()
        page.route(
            other + "/evil", lambda route: route.fulfill(body="<p>hi</p>", content_type="text/html")
        )
        page.goto(other + "/evil")
        page.evaluate(
            """async (t) => {
              // the answers are opaque (and a JSON one is blocked by ORB): only the writes count
              const send = (path, init) => fetch(t + path, init).catch(() => null);
              await send("/api/clock/advance", {method: "POST", mode: "no-cors",
                headers: {"Content-Type": "text/plain"}, body: '{"seconds":86400}'});
              await send("/api/reset", {method: "POST", mode: "no-cors"});
            }""",
            target,
        )
        assert emu.clock.now == before
        assert not wiped
        same = page.evaluate(
            """async (t) => (await fetch(t + "/api/reset", {method: "POST"})).status""", other
        )
        assert same == 200
        assert wiped  # the same page may write to its own origin
        context = browser.new_context(proxy={"server": target})
        rebound = context.new_page().goto(f"http://evil.example:{server.port}/api/messages")
        assert rebound is not None
        assert rebound.status == 403
        context.close()


@pytest.mark.parametrize(
    ("host", "allowed", "note"),
    [
        ("127.0.0.1", (), "Allowed hosts:  localhost, 127.0.0.1, [::1] (any port)"),
        ("0.0.0.0", ("devbox",), "Allowed hosts:  localhost, 127.0.0.1, [::1], devbox (any port)"),
        ("0.0.0.0", (), "reach the server by another name with --allowed-host NAME"),
    ],
)
def test_the_banner_lists_allowed_hosts(host: str, allowed: tuple[str, ...], note: str) -> None:
    from emulator.cli._serve import ServeOptions, Service

    options = ServeOptions(host=host, http_port=0, smtp_port=0, allowed_hosts=allowed)
    banner = Service(options, out=io.StringIO()).banner()
    assert note in banner
    assert ("--allowed-host NAME" in banner) == (host != "127.0.0.1")


def test_a_cross_origin_websocket_handshake_gets_403(emu: Emulator) -> None:
    """What a browser sees (the README says so): the upgrade is answered with HTTP 403."""
    import socket

    with ServerThread(create_app(emu)) as server:
        request = (
            "GET /api/events HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            f"Sec-WebSocket-Version: 13\r\nOrigin: {EVIL}\r\n\r\n"
        )
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
            sock.sendall(request.encode())
            status = sock.recv(4096).split(b"\r\n", 1)[0]
    assert status.split()[1] == b"403", status
