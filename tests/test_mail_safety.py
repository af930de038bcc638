"""Issue 13, mail side: Mailpit write bodies never wipe by accident, ids of different kinds never
collide, and the bad inputs that gave a 500 give a clear answer (through smtplib, the `resend`
SDK and httpx, as the issue reproduced them)."""

from __future__ import annotations

import dataclasses
import http.client
import smtplib
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
import resend
import resend.exceptions as rex
from starlette.testclient import TestClient

from emulator import Emulator, OutgoingEmail
from emulator.core._ids import IdFactory
from emulator.http import ServerThread, create_app
from emulator.mail import Attachment, Mailbox, ResendService, SqliteMailStore
from emulator.mail._smtp_server import running_smtp

LOCAL = "http://localhost"  # the Host allow-list refuses TestClient's default "testserver"

SUBJECTS = ("alpha", "beta", "gamma")


@pytest.fixture
def emu() -> Emulator:
    return Emulator()


@pytest.fixture
def client(emu: Emulator) -> Iterator[TestClient]:
    with TestClient(create_app(emu), base_url=LOCAL, follow_redirects=False) as c:
        yield c


def capture(emu: Emulator, subject: str, **kw: Any) -> str:
    email = OutgoingEmail(
        from_="app@example.com", to=["qa@example.com"], subject=subject, html=None, text="hi", **kw
    )
    return emu.outbox.capture_outgoing(email).id


def subjects(client: TestClient) -> list[str]:
    return sorted(m["Subject"] for m in client.get("/api/v1/messages").json()["messages"])


def resolve(body: Any, ids: dict[str, str]) -> Any:
    """`body` with every `"<subject>"` string replaced by that email's id."""
    if isinstance(body, dict):
        return {k: resolve(v, ids) for k, v in body.items()}
    if isinstance(body, list):
        return [resolve(v, ids) for v in body]
    if isinstance(body, str) and body.startswith("<"):
        return ids[body.strip("<>")]
    return body


def send(client: TestClient, method: str, body: Any) -> httpx.Response:
    """`body` as JSON; bytes are sent as they are, None sends no body at all."""
    kwargs: dict[str, Any] = {} if body is None else {"json": body}
    if isinstance(body, bytes):
        kwargs = {"content": body, "headers": {"Content-Type": "application/json"}}
    return client.request(method, "/api/v1/messages", **kwargs)


def read_subjects(client: TestClient) -> list[str]:
    listed = client.get("/api/v1/messages").json()["messages"]
    return sorted(m["Subject"] for m in listed if m["Read"])


# -- nothing wiped by accident --------------------------------------------------------------------
@pytest.mark.parametrize(
    ("body", "status", "left"),
    [
        ({"ids": ["<beta>"]}, 200, ["alpha", "gamma"]),  # lowercase: Mailpit (Go) accepts it
        ({"Ids": ["<beta>"]}, 200, ["alpha", "gamma"]),
        ({"IDS": ["<beta>"]}, 200, ["alpha", "gamma"]),
        ({"IDs": ["<beta>"]}, 200, ["alpha", "gamma"]),
        ({"ids": [], "IDs": ["<beta>"]}, 200, ["alpha", "gamma"]),  # Go: the last duplicate wins
        (None, 200, []),  # no body: every email, as in Mailpit
        ({}, 200, []),
        ({"IDs": []}, 200, []),  # what Mailpit's clients send to mean "all"
        ({"id": "<beta>"}, 400, list(SUBJECTS)),  # not understood: nothing deleted
        ({"ID": ["<beta>"]}, 400, list(SUBJECTS)),
        ({"IDs": "<beta>"}, 400, list(SUBJECTS)),
        ({"IDs": [1]}, 400, list(SUBJECTS)),
        ({"Search": "subject:beta"}, 400, list(SUBJECTS)),  # DELETE has no Search in Mailpit
        (b"null", 400, list(SUBJECTS)),  # Go takes null for "all"; only an empty body is
        (b"   ", 200, []),  # whitespace is an empty body
        (["<beta>"], 400, list(SUBJECTS)),
        ("<beta>", 400, list(SUBJECTS)),
    ],
)
def test_delete_messages_reads_keys_like_mailpit(
    emu: Emulator, client: TestClient, body: Any, status: int, left: list[str]
) -> None:
    ids = {s: capture(emu, s) for s in SUBJECTS}
    response = send(client, "DELETE", resolve(body, ids))
    assert response.status_code == status, response.text
    assert subjects(client) == left
    if status == 400:
        assert "error" in response.json()


@pytest.mark.parametrize(
    ("first", "body", "status", "read"),
    [
        # `Search` applies to the search's matches only
        (None, {"Search": "subject:beta", "Read": True}, 200, ["beta"]),
        (None, {"search": "subject:beta", "read": True}, 200, ["beta"]),
        ({"Read": True}, {"Search": "subject:beta"}, 200, ["alpha", "gamma"]),  # Read: false
        # lowercase keys: `Read` defaults to false, as in Mailpit
        ({"Read": True}, {"ids": ["<beta>"]}, 200, ["alpha", "gamma"]),
        (None, {"ids": ["<beta>"], "read": True}, 200, ["beta"]),
        (None, {"IDs": ["<beta>"], "Read": True}, 200, ["beta"]),
        (None, {"Read": True}, 200, list(SUBJECTS)),  # neither ids nor search: every email
        ({"Read": True}, {"Read": False}, 200, []),
        (None, {"IDs": ["<beta>"], "Search": "subject:alpha"}, 400, []),  # Mailpit: not both
        (None, {"Read": "true"}, 400, []),
        (None, {"Search": 5}, 400, []),
        (None, {"Reed": True}, 400, []),
        (None, {"ids": "<beta>", "read": True}, 400, []),
        (None, [True], 400, []),
        (None, None, 400, []),  # Mailpit answers 400 (EOF) for an empty PUT
        (None, b"null", 400, []),
    ],
)
def test_set_read_reads_keys_and_search_like_mailpit(
    emu: Emulator,
    client: TestClient,
    first: dict[str, Any] | None,
    body: Any,
    status: int,
    read: list[str],
) -> None:
    ids = {s: capture(emu, s) for s in SUBJECTS}
    if first is not None:
        assert send(client, "PUT", first).status_code == 200
    before = read_subjects(client)
    response = send(client, "PUT", resolve(body, ids))
    assert response.status_code == status, response.text
    assert read_subjects(client) == (read if status == 200 else before)  # a 400 changes nothing


# -- ids of different kinds never collide ---------------------------------------------------------
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "workflows"


def smtp_email(box: Mailbox, subject: str) -> str:
    """One unrelated email through the SMTP server; returns its id."""
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "app@example.com", "qa@example.com", subject
    msg.set_content("hello")
    with running_smtp(box) as server, smtplib.SMTP(*server.address) as smtp:
        smtp.send_message(msg)
    latest = box.latest()
    assert latest is not None
    return latest.id


def ids_of_one_session(seed: int) -> tuple[set[str], set[str]]:
    """(every run and workflow-run id, every email id) of an SMTP email, a trigger and the
    emails it sends, all from default seeds (the case the issue reproduced)."""
    emu = Emulator.from_directory(FIXTURES, seed=seed)
    email_ids = {smtp_email(emu.outbox, "unrelated")}
    emu.identify("u1", name="Ada", email="ada@example.com")
    result = emu.trigger("invoice-created", ["u1"], data={"invoice_id": "i1", "amount": "$1"})
    email_ids |= {e.id for e in emu.outbox.all()}
    run_ids = {result.workflow_run_id, *(r.id for r in result.runs)}
    return run_ids, email_ids


@pytest.mark.parametrize("seed", [0, 1, 0x5E4D])
def test_run_and_email_ids_come_from_different_id_spaces(seed: int) -> None:
    run_ids, email_ids = ids_of_one_session(seed)
    assert len(email_ids) == 2  # the SMTP email and the workflow's
    assert len(run_ids) == 2  # the workflow run id and the one run
    assert not run_ids & email_ids  # before: workflow_run_id == the SMTP email's id
    assert ids_of_one_session(seed) == (run_ids, email_ids)  # still deterministic per seed


@pytest.mark.parametrize(("a", "b"), [(None, "email"), ("email", "resend_email"), (None, "x")])
def test_id_factory_kinds_are_separate_streams(a: str | None, b: str) -> None:
    first, second = IdFactory(0, kind=a), IdFactory(0, kind=b)
    assert {first.uuid4() for _ in range(50)}.isdisjoint(second.uuid4() for _ in range(50))
    assert IdFactory(0, kind=b).uuid4() == IdFactory(0, kind=b).uuid4()


# -- inputs that gave a 500 ------------------------------------------------------------------------
def smtputf8_email(box: Mailbox) -> str:
    """What nodemailer sends for `jösé@example.com`: SMTPUTF8, raw UTF-8 in the headers."""
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "app@example.com", "jösé@example.com", "Hola"
    msg.set_content("hola")
    with running_smtp(box) as server, smtplib.SMTP(*server.address) as smtp:
        smtp.send_message(msg)  # smtplib adds SMTPUTF8 itself for a non-ASCII address
    latest = box.latest()
    assert latest is not None
    return latest.id


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/messages",
        "/api/v1/message/{id}",
        "/api/v1/message/latest",
        "/api/v1/search?query=to:jösé",
        "/api/v1/search?query=hola",
        "/ui/",
        "/ui/email/{id}",
    ],
)
def test_a_non_ascii_address_is_listed_not_a_500(
    emu: Emulator, client: TestClient, path: str
) -> None:
    email_id = smtputf8_email(emu.outbox)
    response = client.get(path.format(id=email_id))
    assert response.status_code == 200, response.text
    assert "jösé@example.com" in response.text


def test_a_non_ascii_address_reaches_the_live_socket(emu: Emulator, client: TestClient) -> None:
    with client.websocket_connect("ws://localhost/api/events") as ws:
        assert ws.receive_json()["Type"] == "stats"
        email_id = smtputf8_email(emu.outbox)
        new = ws.receive_json()
        while new["Type"] != "new":
            new = ws.receive_json()
    assert new["Data"]["ID"] == email_id
    assert new["Data"]["To"] == [{"Name": "", "Address": "jösé@example.com"}]


def test_a_store_written_before_the_fix_is_listed_not_a_500(tmp_path: Path) -> None:
    """`--data-dir` kept the surrogate-escaped address: reopening repairs it."""
    email = Mailbox().capture_outgoing(
        OutgoingEmail(from_="a@example.com", to=["x@example.com"], subject="s", html=None, text="x")
    )
    store = SqliteMailStore(tmp_path)
    store.save(dataclasses.replace(email, to=["j\udcc3\udcb6s\udcc3\udca9@example.com"]))
    store.close()
    emu = Emulator(mailbox=Mailbox(store=tmp_path))
    with TestClient(create_app(emu), base_url=LOCAL) as c:
        response = c.get("/api/v1/messages")
    assert response.status_code == 200
    assert response.json()["messages"][0]["To"] == [{"Name": "", "Address": "jösé@example.com"}]


@pytest.mark.parametrize(
    ("body", "text"),
    [
        # smtplib ends the data with CRLF unless it already does: text gets one more "\n"
        (b"x" * 1_200, "x" * 1_200 + "\n"),  # one bare-LF message over 1,000 bytes
        (b"line\n" * 20_000, "line\n" * 20_000 + "\n"),
        (b"a\n.dot\n..two\n" * 100, "a\n.dot\n..two\n" * 100 + "\n"),  # dot-stuffed after \n
        (b"y" * 5_000 + b"\r\n", "y" * 5_000 + "\n"),  # one long CRLF line, as Mailpit takes
    ],
    ids=["1200-bytes", "20000-lines", "dots", "long-crlf-line"],
)
def test_bare_lf_messages_are_accepted(body: bytes, text: str) -> None:
    box = Mailbox()
    raw = b"From: app@example.com\nTo: qa@example.com\nSubject: lf\n\n" + body
    with running_smtp(box) as server, smtplib.SMTP(*server.address) as smtp:
        refused = smtp.sendmail("app@example.com", ["qa@example.com"], raw)
    assert refused == {}
    got = box.latest()
    assert got is not None
    assert got.subject == "lf"
    assert got.text == text


@pytest.mark.parametrize(
    ("filename", "disposition"),
    [
        ("報告€.csv", "attachment; filename=\"___.csv\"; filename*=UTF-8''" + quote("報告€.csv")),
        ("café.pdf", "attachment; filename=\"caf_.pdf\"; filename*=UTF-8''caf%C3%A9.pdf"),
        ('a"b.txt', "attachment; filename=\"a_b.txt\"; filename*=UTF-8''a%22b.txt"),
        ("plain.txt", 'attachment; filename="plain.txt"'),
    ],
)
def test_attachment_download_names_any_filename(
    emu: Emulator, client: TestClient, filename: str, disposition: str
) -> None:
    email_id = capture(emu, "files", attachments=[Attachment(filename, b"a,b\n", "text/csv")])
    [part] = client.get(f"/api/v1/message/{email_id}").json()["Attachments"]
    response = client.get(f"/api/v1/message/{email_id}/part/{part['PartID']}")
    assert response.status_code == 200
    assert response.content == b"a,b\n"
    assert response.headers["content-disposition"] == disposition
    assert httpx.Headers(response.headers).get("content-disposition").isascii()


@pytest.mark.parametrize("user", ["org/42", "a?b", "ü 1"])
def test_feed_links_reach_user_ids_with_slashes(user: str) -> None:
    emu = Emulator.from_directory(FIXTURES)
    emu.identify(user, name="Ada", email="ada@example.com")
    emu.trigger("invoice-created", [user], data={"invoice_id": "i1", "amount": "$1"})
    with TestClient(create_app(emu), base_url=LOCAL) as c:
        page = c.get("/ui/feeds").text
        link = f"/ui/feeds/{quote(user, safe='')}"
        assert f'href="{link}"' in page
        response = c.get(link)
    assert response.status_code == 200, response.text
    assert "New invoice" in response.text


# -- answers in each API's own shape --------------------------------------------------------------
@pytest.fixture
def server(emu: Emulator, monkeypatch: pytest.MonkeyPatch) -> Iterator[ServerThread]:
    """The whole app on a real port, the `resend` SDK pointed at it."""
    service = ResendService(emu.outbox, emu.clock, api_keys={"re_sdk"})
    with ServerThread(create_app(emu, resend_service=service)) as running:
        monkeypatch.setattr(resend, "api_url", running.base_url)
        monkeypatch.setattr(resend, "api_key", "re_sdk")
        yield running


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("POST", "/api/v1/messages", {"GET", "DELETE", "PUT"}),
        ("GET", "/api/reset", {"POST"}),
        ("DELETE", "/api/clock", {"GET"}),
        ("PUT", "/emails", {"GET", "POST"}),
        ("DELETE", "/emails/4ef9a417-02e9-4d39-ad75-9611e0fcc33c", {"GET", "PATCH"}),
        ("GET", "/emails/4ef9a417-02e9-4d39-ad75-9611e0fcc33c/cancel", {"POST"}),
        ("POST", "/v1/users/u1", {"GET", "PUT", "DELETE"}),  # one Knock route per method
        ("PATCH", "/v1/messages/m1/seen", {"PUT", "DELETE"}),
        ("GET", "/v1/workflows/w/trigger", {"POST"}),
    ],
)
def test_405_names_the_allowed_methods(
    server: ServerThread, method: str, path: str, allow: set[str]
) -> None:
    key = "sk_test" if path.startswith("/v1/") else "re_sdk"
    response = httpx.request(
        method, server.base_url + path, headers={"Authorization": f"Bearer {key}"}
    )
    assert response.status_code == 405
    head = {"HEAD"} if "GET" in allow else set()  # Starlette answers HEAD wherever GET is
    assert {m.strip() for m in response.headers["allow"].split(",")} == allow | head


@pytest.mark.parametrize(
    ("path", "shape"),
    [
        ("/emails", {"statusCode", "name", "message"}),  # Resend's shape on the Resend API
        ("/emails/batch", {"statusCode", "name", "message"}),
        ("/domains", {"statusCode", "name", "message"}),
        ("/api/clock/advance", {"error", "status"}),  # the inspection API's own
        ("/api/v1/messages", {"error", "status"}),
    ],
)
def test_a_declared_body_over_50_mb_is_refused_in_each_apis_shape(
    server: ServerThread, path: str, shape: set[str]
) -> None:
    # http.client sends the declared length as given (httpx refuses to): what a client that
    # streams a huge upload does before its first body byte
    host, port = server.base_url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    connection.putrequest("POST", path)
    connection.putheader("Content-Length", str(51 * 1024 * 1024))
    connection.putheader("Content-Type", "application/json")
    connection.putheader("Authorization", "Bearer re_sdk")
    connection.endheaders(b"{}")
    answer = connection.getresponse()
    response = httpx.Response(answer.status, content=answer.read())
    connection.close()
    assert response.status_code == 413
    assert set(response.json()) == shape
    assert response.json().get("statusCode", 413) == 413


@pytest.mark.parametrize(
    "call",
    [
        lambda: resend.Usage.get(),
        lambda: resend.Inboxes.list(),
    ],
    ids=["usage", "inboxes"],
)
def test_resend_endpoints_doorstep_does_not_emulate_are_resends_404(
    server: ServerThread, call: Callable[[], object]
) -> None:
    with pytest.raises(rex.ResendError) as info:
        call()
    assert info.value.code == 404
    assert info.value.error_type == "not_found"
    assert "The requested endpoint does not exist." in info.value.message


@pytest.mark.parametrize(
    ("rcpt", "shown"),
    [
        ("jösé@example.com".encode(), "jösé@example.com"),  # UTF-8 without SMTPUTF8
        (b"j\xf6s\xe9@example.com", "j\ufffds\ufffd@example.com"),  # Latin-1: not UTF-8 at all
    ],
)
def test_8bit_envelope_addresses_are_listed_not_a_500(
    emu: Emulator, client: TestClient, rcpt: bytes, shown: str
) -> None:
    with running_smtp(emu.outbox) as server, smtplib.SMTP(*server.address) as smtp:
        smtp.ehlo()
        assert smtp.mail("app@example.com")[0] == 250
        smtp.send(b"RCPT TO:<" + rcpt + b">\r\n")  # the raw bytes, as an old client sends them
        assert smtp.getreply()[0] == 250
        assert smtp.data(b"Subject: hi\r\n\r\nhi\r\n")[0] == 250
    response = client.get("/api/v1/messages")
    assert response.status_code == 200
    assert response.json()["messages"][0]["Bcc"] == [{"Name": "", "Address": shown}]
