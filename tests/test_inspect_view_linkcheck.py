"""Mailpit's testing routes: `/view/{ID}.html|.txt` and `/api/v1/message/{ID}/link-check`.

No test touches the network: the only server is a local one on 127.0.0.1 port 0, and the link
check must refuse it unless it is allowed explicitly. Host names are resolved by a fake resolver.
"""

from __future__ import annotations

import asyncio
import http.server
import re
import smtplib
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import jsonschema
import pytest
from starlette.testclient import TestClient

from emulator import Emulator, OutgoingEmail
from emulator.cli._main import build_parser
from emulator.http import create_app
from emulator.http.inspect._render import EMAIL_CSP
from emulator.http.linkcheck._check import LinkChecker, Target, classify, extract_links
from emulator.http.linkcheck._http import vetted_addresses
from emulator.http.linkcheck._rules import address_kind, parse_address, parse_rule

LOCAL = "http://localhost"  # the Host allow-list refuses TestClient's default "testserver"

# Mailpit v1.30.5 server/ui/api/v1/swagger.json, definitions LinkCheckResponse and Link, with
# every field required and nothing extra (Mailpit clients read exactly these keys).
LINK = {
    "type": "object",
    "required": ["URL", "StatusCode", "Status"],
    "additionalProperties": False,
    "properties": {
        "URL": {"type": "string"},
        "StatusCode": {"type": "integer"},
        "Status": {"type": "string"},
    },
}
LINK_CHECK_RESPONSE = {
    "type": "object",
    "required": ["Errors", "Links"],
    "additionalProperties": False,
    "properties": {"Errors": {"type": "integer"}, "Links": {"type": "array", "items": LINK}},
}
NOT_ALLOWED = "not checked: host not in --link-check-hosts"


# -- a local HTTP server on port 0 ---------------------------------------------------------------
@dataclass
class LocalServer:
    port: int
    hits: list[str] = field(default_factory=list)

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"


ROUTES: dict[str, tuple[int, str | None]] = {
    "/ok": (200, None),
    "/missing": (404, None),
    "/broken": (500, None),
    "/moved": (302, "/ok"),
    "/moved-to-missing": (301, "/missing"),
    "/loop": (302, "/loop"),
    "/away": (302, "http://10.0.0.1/secret"),
}


@pytest.fixture
def server() -> Iterator[LocalServer]:
    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_HEAD(self) -> None:
            hits.append(self.path)
            code, location = ROUTES.get(self.path, (404, None))
            self.send_response(code)
            if location is not None:
                self.send_header("Location", location)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield LocalServer(httpd.server_address[1], hits)
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


def capture(emu: Emulator, html: str | None, text: str | None = None) -> str:
    email = OutgoingEmail(
        from_="app@example.com", to=["ada@example.com"], subject="Links", html=html, text=text
    )
    return emu.outbox.capture_outgoing(email).id


def client_for(emu: Emulator, hosts: tuple[str, ...] = ()) -> TestClient:
    return TestClient(
        create_app(emu, link_check_hosts=hosts), base_url=LOCAL, follow_redirects=False
    )


def check(links: list[str], allow: tuple[str, ...] = (), follow: bool = False) -> list[Any]:
    results = asyncio.run(LinkChecker(allow, timeout=5).check(links, follow=follow))
    return [(r.status_code, r.status, r.broken) for r in results]


# -- /view ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("which", ["id", "latest"])
def test_view_html_is_the_bare_html_under_the_sandbox_csp(which: str) -> None:
    emu = Emulator()
    capture(emu, "<p>older</p>")
    newest = capture(emu, "<h1>Invoice inv_1</h1><script>alert(1)</script>", "Invoice inv_1")
    with client_for(emu) as client:
        answer = client.get(f"/view/{newest if which == 'id' else 'latest'}.html")
    assert answer.status_code == 200
    assert answer.text == "<h1>Invoice inv_1</h1><script>alert(1)</script>"
    assert answer.headers["content-type"] == "text/html; charset=utf-8"
    assert answer.headers["content-security-policy"] == EMAIL_CSP
    assert answer.headers["content-security-policy"].startswith("sandbox;")
    assert "script-src" not in EMAIL_CSP
    assert "default-src 'none'" in EMAIL_CSP
    assert answer.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize("which", ["id", "latest"])
def test_view_txt_is_the_text_part(which: str) -> None:
    emu = Emulator()
    capture(emu, "<p>older</p>", "older")
    newest = capture(emu, "<p>é</p>", "Invoice inv_1 — ready <b>")
    with client_for(emu) as client:
        answer = client.get(f"/view/{newest if which == 'id' else 'latest'}.txt")
    assert answer.status_code == 200
    assert answer.text == "Invoice inv_1 — ready <b>"
    assert answer.headers["content-type"] == "text/plain; charset=utf-8"
    assert answer.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize(
    ("path", "fragment"),
    [
        ("/view/nope.html", "Message not found: no email 'nope'"),
        ("/view/nope.txt", "Message not found: no email 'nope'"),
        ("/view/latest.html", "Message not found: no email captured yet"),
        ("/view/latest.txt", "Message not found: no email captured yet"),
    ],
)
def test_view_unknown_ids_are_404_in_plain_text(path: str, fragment: str) -> None:
    with client_for(Emulator()) as client:
        answer = client.get(path)
    assert answer.status_code == 404
    assert answer.headers["content-type"] == "text/plain; charset=utf-8"
    assert answer.text.startswith(fragment)


def test_view_html_of_a_text_only_email_is_404_like_mailpit() -> None:
    emu = Emulator()
    email_id = capture(emu, None, "text only")
    with client_for(emu) as client:
        answer = client.get(f"/view/{email_id}.html")
        text = client.get(f"/view/{email_id}.txt")
    assert answer.status_code == 404
    assert answer.text.startswith("This message does not contain a HTML part")
    assert f"/view/{email_id}.txt" in answer.text
    assert text.text == "text only"


# -- extraction ----------------------------------------------------------------------------------
def test_links_come_from_html_attributes_and_the_text_part_once_each() -> None:
    html = (
        '<a href=" https://app.example.com/a?x=1&amp;y=2 ">a</a><img src="https://cdn.example.com/'
        'logo.png"><link rel="stylesheet" href="https://cdn.example.com/s.css">'
        '<a name="anchor">no href</a><area href="/map"><a href="https://app.example.com/a?x=1&y=2">'
        '<p data-href="https://ignored.example.com/">not a link attribute</p>'
    )
    text = (
        "Pay at https://app.example.com/pay. Or <https://app.example.com/long\n/path>, "
        "see {{ vars.app_url }}/invoices/1 and (https://wiki.example.org/A_(b)); mail "
        "mailto:help@example.com, call tel:+15550100, https://app.example.com/pay again."
    )
    assert extract_links(html, text) == [
        "https://app.example.com/a?x=1&y=2",
        "https://cdn.example.com/logo.png",
        "https://cdn.example.com/s.css",
        "/map",
        "https://app.example.com/pay",
        "https://app.example.com/long/path",
        "{{ vars.app_url }}/invoices/1",
        "https://wiki.example.org/A_(b)",
        "mailto:help@example.com",
        "tel:+15550100",
    ]


def test_at_most_100_unique_links_like_mailpit() -> None:
    html = "".join(f'<a href="https://app.example.com/{i % 150}">x</a>' for i in range(300))
    links = extract_links(html, None)
    assert len(links) == 100
    assert (links[0], links[-1]) == ("https://app.example.com/0", "https://app.example.com/99")


# -- classification without the network ----------------------------------------------------------
@pytest.mark.parametrize(
    ("url", "code", "status", "broken"),
    [
        ("/invoices/1", 0, "broken: relative link has no host", True),
        ("invoices/1", 0, "broken: relative link has no host", True),
        ("", 0, "broken: empty link", True),
        ("https:///path", 0, "broken: no host in the link", True),
        ("http://app.example.com:99999/", 0, "broken: not a valid URL", True),
        ("http://app example.com/", 0, "broken: 'app example.com' is not a valid host", True),
        ("http://[0:0:0:0:0:0:0:1]/", 0, "not checked: loopback address", False),
        ("{{ vars.app_url }}/invoices/1", 0, "broken: contains unrendered Liquid", True),
        (
            "https://{{ vars.host }}/x",
            0,
            "broken: contains unrendered Liquid ({{ vars.host }})",
            True,
        ),
        ("https://app.example.com/{% if x %}a{% endif %}", 0, "broken: contains unrendered", True),
        ("https://app.example.com/%7B%7B%20id%20%7D%7D", 0, "broken: contains unrendered", True),
        ("mailto:help@example.com", 0, "skipped: mailto: link", False),
        ("tel:+15550100", 0, "skipped: tel: link", False),
        ("cid:logo@example.com", 0, "skipped: cid: link", False),
        ("#top", 0, "skipped: in-page anchor", False),
        ("javascript:alert(1)", 0, "not checked: javascript: is not an http(s) link", False),
        ("ftp://files.example.com/a", 0, "not checked: ftp: is not an http(s) link", False),
        ("//cdn.example.com/logo.png", 0, "not checked: protocol-relative link", False),
        ("https://app.example.com/ok", 0, NOT_ALLOWED, False),
        ("http://127.0.0.1:8000/", 0, "not checked: loopback address; host not in", False),
        ("http://[::1]/", 0, "not checked: loopback address", False),
        ("http://10.1.2.3/", 0, "not checked: private address", False),
        ("http://192.168.1.10/", 0, "not checked: private address", False),
        ("http://169.254.169.254/latest/meta-data/", 0, "not checked: link-local address", False),
        ("http://[::ffff:127.0.0.1]/", 0, "not checked: loopback address", False),
        ("http://localhost:3000/", 0, "not checked: local host name", False),
        ("http://app.localhost/", 0, "not checked: local host name", False),
        ("http://intranet/", 0, "not checked: local host name", False),
    ],
)
def test_links_are_classified_offline(url: str, code: int, status: str, broken: bool) -> None:
    [(got_code, got_status, got_broken)] = check([url])
    assert (got_code, got_broken) == (code, broken)
    assert got_status.startswith(status), got_status


def test_a_long_data_url_is_shown_by_its_header() -> None:
    [result] = asyncio.run(
        LinkChecker().check(["data:image/png;base64," + "A" * 500], follow=False)
    )
    assert (result.url, result.status) == ("data:image/png;base64,...", "skipped: data: link")


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("10.0.0.1", "private"),
        ("172.16.5.4", "private"),
        ("fc00::1", "private"),
        ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("0.0.0.0", "unspecified"),
        ("224.0.1.1", "multicast"),
        ("100.64.0.1", "reserved"),  # carrier-grade NAT
        ("fec0::1", "site-local"),
        ("::ffff:10.0.0.1", "private"),  # IPv4-mapped
        ("64:ff9b::a9fe:a9fe", "link-local"),  # NAT64 around 169.254.169.254
        ("2002:7f00:1::", "loopback"),  # 6to4 around 127.0.0.1
        ("2600::5efe:a00:1", "private"),  # ISATAP around 10.0.0.1
        ("93.184.215.14", None),
        ("2606:4700::1111", None),
        ("64:ff9b::808:808", None),  # NAT64 around 8.8.8.8
    ],
)
def test_address_ranges_never_contacted_unless_allowed(address: str, kind: str | None) -> None:
    ip = parse_address(address)
    assert ip is not None
    assert address_kind(ip) == kind


@pytest.mark.parametrize(
    ("entry", "shown"),
    [
        ("App.Example.com", "app.example.com"),
        ("127.0.0.1:8000", "127.0.0.1:8000"),
        ("*.example.org", "*.example.org"),
        ("[::1]:8080", "[::1]:8080"),
    ],
)
def test_allow_list_entries(entry: str, shown: str) -> None:
    assert str(parse_rule(entry)) == shown


@pytest.mark.parametrize(
    ("entry", "fragment"),
    [
        ("https://app.example.com/", "is not a host"),
        ("app.example.com:http", "no valid port"),
        ("::1", "IPv6 address in brackets"),
        ("a b", "is not a host"),
        ("*", "is not a host"),
    ],
)
def test_bad_allow_list_entries_say_what_to_write(entry: str, fragment: str) -> None:
    with pytest.raises(ValueError, match=re.escape(fragment)):
        create_app(Emulator(), link_check_hosts=[entry])


# -- real HEAD requests, only to the local server and only when allowed -------------------------
def test_the_local_server_is_refused_unless_allowed(server: LocalServer) -> None:
    [(code, status, broken)] = check([server.url("/ok")], allow=("127.0.0.1:1",))
    assert (code, broken) == (0, False)
    assert status.startswith("not checked: loopback address")
    assert server.hits == []


@pytest.mark.parametrize(
    ("path", "follow", "code", "status", "broken"),
    [
        ("/ok", False, 200, "OK", False),
        ("/missing", False, 404, "Not Found", True),
        ("/broken", False, 500, "Internal Server Error", True),
        ("/moved", False, 302, "Found (to http://127.0.0.1:{port}/ok)", False),
        ("/moved", True, 200, "OK", False),
        ("/moved-to-missing", False, 301, "Moved Permanently (to ", False),
        ("/moved-to-missing", True, 404, "Not Found", True),
        ("/loop", True, 0, "failed: more than 3 redirects", True),
        (
            "/away",
            True,
            302,
            "Found: redirect to http://10.0.0.1/secret not followed: private",
            False,
        ),
    ],
)
def test_allowed_host_gets_a_head_request(
    server: LocalServer, path: str, follow: bool, code: int, status: str, broken: bool
) -> None:
    [(got_code, got_status, got_broken)] = check(
        [server.url(path)], allow=(f"127.0.0.1:{server.port}",), follow=follow
    )
    assert (got_code, got_broken) == (code, broken)
    assert got_status.startswith(status.format(port=server.port)), got_status
    assert server.hits[0] == path
    assert len(server.hits) == (4 if path == "/loop" else 1 + (follow and path != "/away"))


def test_link_check_endpoint_in_mailpits_shape(server: LocalServer) -> None:
    emu = Emulator()
    html = (
        f'<a href="{server.url("/ok")}">ok</a><a href="{server.url("/missing")}">gone</a>'
        '<a href="/relative">rel</a><a href="{{ vars.app_url }}/x">liquid</a>'
        '<a href="mailto:help@example.com">help</a><img src="https://cdn.example.com/l.png">'
    )
    capture(emu, html, f"Open {server.url('/moved')} now")
    allowed = (f"127.0.0.1:{server.port}",)
    with client_for(emu, allowed) as client:
        body = client.get("/api/v1/message/latest/link-check").json()
        followed = client.get("/api/v1/message/latest/link-check?follow=true").json()
        unknown = client.get("/api/v1/message/nope/link-check")
    jsonschema.validate(body, LINK_CHECK_RESPONSE)
    jsonschema.validate(followed, LINK_CHECK_RESPONSE)
    expected = [
        (server.url("/ok"), 200, "OK"),
        (server.url("/missing"), 404, "Not Found"),
        ("/relative", 0, "broken: relative link has no host"),
        ("{{ vars.app_url }}/x", 0, "broken: contains unrendered Liquid ({{ vars.app_url }})"),
        ("mailto:help@example.com", 0, "skipped: mailto: link"),
        ("https://cdn.example.com/l.png", 0, NOT_ALLOWED),
        (server.url("/moved"), 302, f"Found (to {server.url('/ok')})"),
    ]
    assert len(body["Links"]) == len(expected)
    for link, (url, code, status) in zip(body["Links"], expected, strict=True):
        assert (link["URL"], link["StatusCode"]) == (url, code)
        assert link["Status"].startswith(status), link["Status"]
    assert body["Errors"] == 3  # 404, relative, unrendered Liquid
    assert [link["StatusCode"] for link in followed["Links"]][-1] == 200
    assert unknown.status_code == 404
    assert "no email 'nope'" in unknown.json()["error"]


def test_without_an_allow_list_nothing_is_contacted(server: LocalServer) -> None:
    emu = Emulator()
    email_id = capture(emu, f'<a href="{server.url("/ok")}">ok</a>')
    with client_for(emu) as client:
        body = client.get(f"/api/v1/message/{email_id}/link-check?follow=1").json()
    assert body == {
        "Errors": 0,
        "Links": [
            {
                "URL": server.url("/ok"),
                "StatusCode": 0,
                "Status": "not checked: loopback address; host not in --link-check-hosts",
            }
        ],
    }
    assert server.hits == []


def fake_dns(answers: dict[str, list[str]]) -> Any:
    async def resolve(host: str, port: int) -> list[str]:
        return answers[host]

    return resolve


@pytest.mark.parametrize(
    ("host", "answers", "status"),
    [
        ("rebind.example.com", ["127.0.0.1"], "blocked: rebind.example.com resolves to 127.0.0.1"),
        ("rebind.example.com", ["93.184.215.14", "10.0.0.1"], "blocked: rebind.example.com"),
        ("localhost", ["10.0.0.5"], "blocked: localhost resolves to 10.0.0.5 (not loopback)"),
    ],
)
def test_allowed_names_resolving_to_private_addresses_are_blocked(
    server: LocalServer, host: str, answers: list[str], status: str
) -> None:
    checker = LinkChecker([host], resolve=fake_dns({host: answers}))
    [result] = asyncio.run(checker.check([server.url("/ok", host)], follow=False))
    assert (result.status_code, result.broken) == (0, False)
    assert result.status.startswith(status), result.status
    assert server.hits == []


def test_allowed_localhost_may_resolve_to_loopback(server: LocalServer) -> None:
    checker = LinkChecker(["localhost"], resolve=fake_dns({"localhost": ["::1", "127.0.0.1"]}))
    [result] = asyncio.run(checker.check([server.url("/ok", "localhost")], follow=False))
    assert (result.status_code, result.status) == (200, "OK")
    assert server.hits == ["/ok"]


def test_a_public_answer_is_used_as_is() -> None:
    target = classify("https://app.example.com/", LinkChecker(["app.example.com"]).rules)
    assert isinstance(target, Target)
    resolve = fake_dns({"app.example.com": ["93.184.215.14"]})
    assert asyncio.run(vetted_addresses(target, resolve)) == ["93.184.215.14"]


# A refused connection answers at once, so its budget is generous (5 s): a loaded machine cannot
# turn it into a timeout. The silent listener never answers, so it always uses its whole 0.2 s.
@pytest.mark.parametrize(
    ("listening", "timeout", "expected"),
    [(False, 5.0, "failed: connection refused"), (True, 0.2, "failed: no answer within 0.2s")],
    ids=["refused", "silent"],
)
def test_refused_and_silent_hosts_fail_within_the_timeout(
    listening: bool, timeout: float, expected: str
) -> None:
    server = socket.socket()
    try:
        server.bind(("127.0.0.1", 0))  # bound, not listening: connections are refused
        if listening:
            server.listen(1)  # accepts the handshake, never answers
        url = f"http://127.0.0.1:{server.getsockname()[1]}/"
        checker = LinkChecker(["127.0.0.1"], timeout=timeout)
        [result] = asyncio.run(checker.check([url], follow=False))
    finally:
        server.close()
    assert (result.status, result.broken) == (expected, True)


# -- doorstep serve ------------------------------------------------------------------------------
def test_cli_option_and_environment_twin(monkeypatch: pytest.MonkeyPatch) -> None:
    parser = build_parser()
    assert parser.parse_args(["serve"]).link_check_hosts is None
    flag = parser.parse_args(["serve", "--link-check-hosts", "App.example.com, 127.0.0.1:8000"])
    assert flag.link_check_hosts == ("app.example.com", "127.0.0.1:8000")
    monkeypatch.setenv("DOORSTEP_LINK_CHECK_HOSTS", "*.example.org")
    assert build_parser().parse_args(["serve"]).link_check_hosts == ("*.example.org",)


def test_serve_checks_only_the_configured_hosts(server: LocalServer) -> None:
    from emulator.cli._serve import ServeOptions, Service

    options = ServeOptions(
        http_port=0, smtp_port=0, clock="manual", link_check_hosts=(f"127.0.0.1:{server.port}",)
    )
    service = Service(options).start()
    try:
        assert f"Link check:     127.0.0.1:{server.port}" in service.banner()
        body = f"Subject: links\r\n\r\n{server.url('/missing')} and http://10.0.0.1/x\r\n"
        with smtplib.SMTP("127.0.0.1", service.smtp.port, timeout=10) as smtp:
            smtp.sendmail("a@example.com", ["b@example.com"], body.encode())
        base = f"http://127.0.0.1:{service.http.port}"
        answer = httpx.get(f"{base}/api/v1/message/latest/link-check", timeout=10).json()
        page = httpx.get(f"{base}/view/latest.txt", timeout=10)
    finally:
        service.stop()
    assert answer["Errors"] == 1
    assert [link["StatusCode"] for link in answer["Links"]] == [404, 0]
    assert server.hits == ["/missing"]
    assert page.text.startswith(server.url("/missing"))


def test_https_goes_through_tls_and_a_failed_handshake_is_broken(server: LocalServer) -> None:
    url = f"https://127.0.0.1:{server.port}/ok"  # the local server speaks plain HTTP
    [(code, status, broken)] = check([url], allow=(f"127.0.0.1:{server.port}",))
    assert (code, broken) == (0, True)
    assert status.startswith("failed: TLS error"), status
