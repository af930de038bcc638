"""Mailpit API parity, proven with Mailpit's own npm client `mailpit-api` (pinned in tests/clients):
every call it makes answers with Mailpit's shapes; plus the search operators and tags in Python."""

from __future__ import annotations

import base64
import io
import json
import os
import shutil
import smtplib
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from emulator import Clock, Emulator, OutgoingEmail
from emulator.http import ServerThread, create_app
from emulator.mail import Attachment, running_smtp

LOCAL = "http://localhost"

# Each step runs one client call and records its result or its error message.
SCRIPT = r"""
const { MailpitClient } = require('mailpit-api');
const mailpit = new MailpitClient(process.env.BASE);
const out = {};
async function step(name, call) {
  try {
    const value = await call();
    out[name] = value instanceof Blob
      ? { type: value.type, size: value.size } : value;
  } catch (e) { out[name] = { error: String(e.message || e) }; }
}
(async () => {
  await step('info', () => mailpit.getInfo());
  await step('webui', () => mailpit.getConfiguration());
  await step('send', () => mailpit.sendMessage({
    From: { Email: 'app@example.test', Name: 'App' },
    To: [{ Email: 'rec@example.test', Name: 'Rec' }], Bcc: ['hidden@example.test'],
    Subject: 'Sent through the API', Text: 'hello', HTML: '<p>hello</p>', Tags: ['api', 'Bad#Tag'],
    Headers: { 'X-Campaign': 'c1' },
    Attachments: [{ Filename: 'notes.txt', Content: Buffer.from('notes').toString('base64'),
                    ContentType: 'text/plain' }],
  }));
  await step('sendBad', () => mailpit.sendMessage({ From: { Email: 'nope' }, Subject: 'x' }));
  await step('sendRestricted', () => mailpit.sendMessage({
    From: { Email: 'a@example.test' }, Headers: { Subject: 'x' } }));
  await step('summary', () => mailpit.getMessageSummary());
  await step('headers', () => mailpit.getMessageHeaders());
  const part = out.summary.Attachments && out.summary.Attachments[0];
  await step('attachment', () => mailpit.getMessageAttachment(out.send.ID, part.PartID));
  await step('thumb', () => mailpit.getAttachmentThumbnail(out.send.ID, part.PartID));
  await step('tagsBefore', () => mailpit.getTags());
  await step('setTags', () => mailpit.setTags({ IDs: [out.send.ID], Tags: ['one', 'two'] }));
  await step('rename', () => mailpit.renameTag('one', 'uno'));
  await step('deleteTag', () => mailpit.deleteTag('two'));
  await step('tagsAfter', () => mailpit.getTags());
  await step('byTag', () => mailpit.searchMessages({ query: 'tag:uno' }));
  await step('resendTag', () => mailpit.searchMessages({ query: 'tag:category=welcome' }));
  await step('resendTagName', () => mailpit.searchMessages({ query: 'tag:category' }));
  await step('after', () => mailpit.searchMessages({ query: 'after:2030-01-01' }));
  await step('before', () => mailpit.searchMessages({ query: 'before:"2030-01-01 00:00"' }));
  await step('badDate', () => mailpit.searchMessages({ query: 'after:someday' }));
  await step('spam', () => mailpit.spamAssassinCheck(out.send.ID));
  await step('htmlCheck', () => mailpit.htmlCheck(out.send.ID));
  await step('source', () => mailpit.getMessageSource(out.send.ID));
  await step('renderHtml', () => mailpit.renderMessageHTML(out.send.ID));
  await step('renderText', () => mailpit.renderMessageText(out.send.ID));
  await step('links', () => mailpit.linkCheck(out.send.ID));
  await step('waitOne', () => mailpit.waitForMessage(
    { query: 'subject:"Sent through"' }, { timeout: 3000, interval: 50 }));
  await step('waitMany', () => mailpit.waitForMessages(
    { query: 'is:unread', count: 1, exact: true }, { timeout: 3000, interval: 50 }));
  await step('waitNone', () => mailpit.waitForMessages(
    { query: 'subject:never', count: 1 }, { timeout: 200, interval: 50 }));
  await step('readBySearch', () => mailpit.setReadStatus({ Search: 'tag:uno', Read: true }));
  await step('deleteBySearch', () => mailpit.deleteMessagesBySearch({ query: 'subject:welcome' }));
  await step('left', () => mailpit.listMessages());
  await step('deleteOne', () => mailpit.deleteMessages({ IDs: [out.send.ID] }));
  await step('deleteUnknown', () => mailpit.deleteMessages({ IDs: ['no-such-id'] }));
  await step('deleteAll', () => mailpit.deleteMessages());
  await step('emptied', () => mailpit.waitForMessages(
    { count: 0 }, { timeout: 3000, interval: 50 }));
  await step('chaosBefore', () => mailpit.getChaosTriggers());
  await step('chaos', () => mailpit.setChaosTriggers({
    Sender: { ErrorCode: 452, Probability: 100 }, Authentication: { Probability: 50 } }));
  await step('chaosBad', () => mailpit.setChaosTriggers({ Recipient: { ErrorCode: 200 } }));
  console.log(JSON.stringify(out));
})().catch((e) => { console.error(e); process.exit(1); });
"""


def _client() -> str | None:
    node = shutil.which("node")
    paths = [p for p in os.environ.get("NODE_PATH", "").split(os.pathsep) if p]
    if node is None or not any((Path(p) / "mailpit-api").is_dir() for p in paths):
        return None
    return node


START = datetime(2030, 1, 1, 9, 0, tzinfo=UTC)


def seeded() -> Emulator:
    """One Resend-tagged welcome email received at 2030-01-01 09:00 (virtual time)."""
    emu = Emulator(clock=Clock(START))
    emu.outbox.capture_outgoing(
        OutgoingEmail(
            from_="hello@acme.test",
            to=["ada@example.com"],
            subject="Welcome aboard",
            html="<p>Hi</p>",
            text="Hi",
            tags=[{"name": "category", "value": "welcome"}],
            attachments=[Attachment("logo.png", b"\x89PNG-not-really", "image/png")],
        ),
        way_in="resend",
    )
    return emu


@pytest.fixture
def served() -> Iterator[tuple[Emulator, ServerThread]]:
    emu = seeded()
    with ServerThread(create_app(emu, enable_chaos=True)) as server:
        yield emu, server


@pytest.mark.real_client
@pytest.mark.skipif(_client() is None, reason="node or mailpit-api on NODE_PATH missing")
def test_every_mailpit_client_call(served: tuple[Emulator, ServerThread], tmp_path: Path) -> None:
    emu, server = served
    script = tmp_path / "mailpit.js"
    script.write_text(SCRIPT)
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

    assert out["info"]["Messages"] == 1
    assert out["info"]["Unread"] == 1
    assert out["info"]["Tags"] == {"category=welcome": 1}
    assert set(out["info"]["RuntimeStats"]) >= {"Uptime", "SMTPAccepted"}
    assert out["webui"]["MessageRelay"]["Enabled"] is False
    assert out["webui"]["SpamAssassin"] is False
    assert out["webui"]["ChaosEnabled"] is True

    sent_id = out["send"]["ID"]
    summary = out["summary"]
    assert (summary["Subject"], summary["Bcc"], out["headers"]["X-Campaign"]) == (
        "Sent through the API",
        [{"Name": "", "Address": "hidden@example.test"}],
        ["c1"],
    )
    assert "invalid From address: nope" in out["sendBad"]["error"]
    assert 'cannot overwrite header: \\"Subject\\"' in out["sendRestricted"]["error"]
    assert out["summary"]["ID"] == sent_id
    assert out["summary"]["Tags"] == ["api", "BadTag"]  # Mailpit strips other characters

    headers = out["headers"]
    assert list(headers) == sorted(headers)
    assert "Message-Id" in headers
    assert "Mime-Version" in headers
    assert "X-Tags" in headers
    assert out["attachment"]["type"].startswith("text/plain")
    assert out["attachment"]["size"] == 5

    assert out["thumb"]["type"] == "image/jpeg"
    assert out["thumb"]["size"] > 0
    assert out["tagsBefore"] == ["api", "BadTag", "category=welcome"]
    assert out["setTags"] == out["rename"] == out["deleteTag"] == "ok"
    assert out["tagsAfter"] == ["category=welcome", "uno"]
    assert [m["ID"] for m in out["byTag"]["messages"]] == [sent_id]
    assert out["resendTag"]["messages_count"] == 1
    assert out["resendTagName"]["messages_count"] == 1
    # the welcome email arrived at 09:00 virtual time, the sent one at the same virtual time
    assert out["after"]["messages_count"] == 2
    assert out["before"]["messages_count"] == 0
    assert "400" in out["badDate"]["error"]
    assert "2025-04-30" in out["badDate"]["error"]
    assert out["spam"]["error"].startswith("Mailpit API Error: 404")
    check = out["htmlCheck"]
    assert set(check) == {"Warnings", "Platforms", "Total"}
    assert "Apple Mail" in check["Platforms"]["ios"]
    assert check["Total"]["Nodes"] >= 1
    assert "Subject: Sent through the API" in out["source"]
    assert "<p>hello</p>" in out["renderHtml"]
    assert out["renderText"].strip() == "hello"
    assert set(out["links"]) == {"Errors", "Links"}
    assert out["waitOne"]["ID"] == sent_id
    assert out["waitOne"]["Subject"] == "Sent through the API"
    assert out["waitMany"]["messages_count"] == 1  # the welcome email (reading marks read)
    assert "Timeout waiting for messages" in out["waitNone"]["error"]
    assert out["readBySearch"] == "ok"
    assert out["deleteBySearch"] == "ok"
    assert [m["ID"] for m in out["left"]["messages"]] == [sent_id]
    assert out["left"]["messages"][0]["Read"] is True
    assert out["deleteOne"] == out["deleteUnknown"] == out["deleteAll"] == "ok"
    assert out["emptied"]["messages_count"] == out["emptied"]["total"] == 0

    idle = {"ErrorCode": 451, "Probability": 0}
    assert out["chaosBefore"] == {
        "Sender": idle,
        "Recipient": idle,
        "Authentication": {"ErrorCode": 535, "Probability": 0},
    }
    assert out["chaos"]["Sender"] == {"ErrorCode": 452, "Probability": 100}
    assert out["chaos"]["Authentication"] == {"ErrorCode": 535, "Probability": 50}
    assert "error code must be between 400 and 599" in out["chaosBad"]["error"]
    with (
        running_smtp(emu.outbox) as smtp,
        smtplib.SMTP(*smtp.address) as client,
        pytest.raises(smtplib.SMTPSenderRefused) as refused,
    ):
        client.sendmail("a@example.test", ["b@example.test"], b"Subject: x\r\n\r\nx")
    assert refused.value.smtp_code == 452


@pytest.fixture
def client() -> Iterator[TestClient]:
    emu = seeded()
    emu.clock.advance(timedelta(days=2))
    emu.outbox.capture_outgoing(
        OutgoingEmail(
            from_="a@acme.test", to=["b@example.com"], subject="Later", html=None, text="x"
        )
    )
    with TestClient(create_app(emu), base_url=LOCAL) as c:
        yield c


@pytest.mark.parametrize(
    ("query", "tz", "subjects"),
    [
        ("after:2030-01-02", None, ["Later"]),
        ("before:2030-01-02", None, ["Welcome aboard"]),
        ("-after:2030-01-02", None, ["Welcome aboard"]),
        ("after:2030-01-01T09:00:00Z before:2030-01-01T09:00:01Z", None, ["Welcome aboard"]),
        # 2030-01-01 10:00 in Berlin is 09:00 UTC: the welcome email is not after it
        ('after:"2030-01-01T10:00:01"', "Europe/Berlin", ["Later"]),
        ("after:2030-01-01T10:00:00+01:00", None, ["Later", "Welcome aboard"]),
        ("tag:category=welcome", None, ["Welcome aboard"]),
        ("tag:CATEGORY", None, ["Welcome aboard"]),
        ("tag:welcome", None, []),
        ("is:tagged", None, ["Welcome aboard"]),
        ("has:attachment", None, ["Welcome aboard"]),
    ],
)
def test_search_operators(
    client: TestClient, query: str, tz: str | None, subjects: list[str]
) -> None:
    params = {"query": query, **({"tz": tz} if tz else {})}
    found = client.get("/api/v1/search", params=params).json()
    assert [m["Subject"] for m in found["messages"]] == subjects


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"query": "before:tomorrow"}, "cannot read the date 'tomorrow'"),
        ({"query": "after:2030-01-01", "tz": "Mars/Olympus"}, "unknown time zone"),
    ],
)
def test_unreadable_search_terms_are_400s(
    client: TestClient, params: dict[str, str], message: str
) -> None:
    answer = client.get("/api/v1/search", params=params)
    assert answer.status_code == 400
    assert message in answer.json()["error"]


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "message"),
    [
        ("PUT", "/api/v1/tags", {"IDs": ["nope"], "Tags": ["x"]}, 404, "nope"),
        ("PUT", "/api/v1/tags", {"IDs": "x"}, 400, "`IDs` must be a list of strings"),
        ("PUT", "/api/v1/tags/old", {"Name": "###"}, 400, '{"Name": "..."}'),
        ("DELETE", "/api/v1/search", None, 400, "missing query parameter `query`"),
        ("POST", "/api/v1/send", {"From": {"Email": "a@b.c"}, "To": [{"Email": "x"}]}, 400, "To"),
    ],
)
def test_mailpit_api_refusals(
    client: TestClient,
    method: str,
    path: str,
    body: dict[str, Any] | None,
    status: int,
    message: str,
) -> None:
    answer = client.request(method, path, json=body)
    assert answer.status_code == status
    assert message in answer.json()["error"]


def test_attachments_keep_their_type_and_stay_downloads(client: TestClient) -> None:
    latest = client.get("/api/v1/search", params={"query": "has:attachment"}).json()
    email_id = latest["messages"][0]["ID"]
    part = client.get(f"/api/v1/message/{email_id}").json()["Attachments"][0]["PartID"]
    answer = client.get(f"/api/v1/message/{email_id}/part/{part}")
    assert answer.headers["content-type"] == "image/png"
    assert answer.headers["content-disposition"].startswith("attachment;")
    assert answer.headers["content-security-policy"] == "sandbox"
    assert answer.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize(
    ("triggers", "stage", "code"),
    [
        ({"Recipient": {"Probability": 100}}, "rcpt", 451),
        ({"Authentication": {"ErrorCode": 454, "Probability": 100}}, "auth", 454),
    ],
)
def test_chaos_triggers_fail_smtp(
    triggers: dict[str, Any], stage: str, code: int, tmp_path: Path
) -> None:
    emu = seeded()
    with TestClient(create_app(emu, enable_chaos=True), base_url=LOCAL) as web:
        assert web.put("/api/v1/chaos", json=triggers).status_code == 200
        with running_smtp(emu.outbox) as smtp, smtplib.SMTP(*smtp.address) as client:
            if stage == "auth":
                with pytest.raises(smtplib.SMTPAuthenticationError) as failed:
                    client.login("user", "pass")
                assert failed.value.smtp_code == code
            else:
                with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
                    client.sendmail("a@example.test", ["b@example.test"], b"Subject: x\r\n\r\n")
                assert refused.value.recipients["b@example.test"][0] == code
        # setting them again without the trigger turns it off
        assert web.put("/api/v1/chaos", json={}).json()["Recipient"]["Probability"] == 0
        assert emu.outbox.failures.rules == []


CHAOS_OFF = r"""
const { MailpitClient } = require('mailpit-api');
const mailpit = new MailpitClient(process.env.BASE);
(async () => {
  const out = { webui: await mailpit.getConfiguration() };
  for (const [name, call] of [['get', () => mailpit.getChaosTriggers()],
      ['set', () => mailpit.setChaosTriggers({ Sender: { Probability: 100 } })]]) {
    try { out[name] = await call(); } catch (e) { out[name] = { error: String(e.message) }; }
  }
  console.log(JSON.stringify(out));
})().catch((e) => { console.error(e); process.exit(1); });
"""


@pytest.mark.real_client
@pytest.mark.skipif(_client() is None, reason="node or mailpit-api on NODE_PATH missing")
def test_chaos_is_off_unless_enabled(tmp_path: Path) -> None:
    """As in Mailpit without --enable-chaos: both routes answer 400, nothing is armed."""
    emu = seeded()
    script = tmp_path / "chaos.js"
    script.write_text(CHAOS_OFF)
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
    out = json.loads(done.stdout)
    assert out["webui"]["ChaosEnabled"] is False
    for name in ("get", "set"):
        assert out[name]["error"].startswith("Mailpit API Error: 400 Bad Request")
        assert "Chaos is not enabled" in out[name]["error"]
    assert emu.outbox.failures.rules == []


@pytest.mark.parametrize(
    ("argv", "env", "enabled"),
    [
        ([], None, False),
        (["--enable-chaos"], None, True),
        ([], "true", True),
        (["--enable-chaos", "false"], "true", False),
    ],
)
def test_serve_enable_chaos(
    argv: list[str], env: str | None, enabled: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    import httpx

    from emulator.cli._main import build_parser
    from emulator.cli._serve import ServeOptions, Service

    if env is not None:
        monkeypatch.setenv("DOORSTEP_ENABLE_CHAOS", env)
    args = build_parser().parse_args(["serve", *argv])
    assert args.enable_chaos is enabled
    service = Service(ServeOptions(http_port=0, smtp_port=0, enable_chaos=enabled)).start()
    try:
        base = f"http://127.0.0.1:{service.http.port}"
        answer = httpx.get(f"{base}/api/v1/chaos")
        config = httpx.get(f"{base}/api/v1/webui").json()
    finally:
        service.stop()
    assert answer.status_code == (200 if enabled else 400)
    assert config["ChaosEnabled"] is enabled
    assert ("Chaos:          enabled" in service.banner()) is enabled


RICH_HTML = """<html><head><style>@media (max-width: 600px) { a:hover { color: red } }</style>
</head><body><div style="display:flex; border-radius: 4px"><img src="logo.svg">
<script>alert(1)</script><form action="/x"><input type="text"></form></div></body></html>"""


def test_html_check_finds_features_with_caniemail_support() -> None:
    emu = seeded()
    rich = emu.outbox.capture_outgoing(
        OutgoingEmail(
            from_="a@acme.test", to=["b@example.com"], subject="Rich", html=RICH_HTML, text=None
        )
    )
    plain = emu.outbox.capture_outgoing(
        OutgoingEmail(
            from_="a@acme.test", to=["b@example.com"], subject="Plain", html=None, text="x"
        )
    )
    with TestClient(create_app(emu), base_url=LOCAL) as web:
        check = web.get(f"/api/v1/message/{rich.id}/html-check").json()
        refused = web.get(f"/api/v1/message/{plain.id}/html-check")
    slugs = {w["Slug"]: w for w in check["Warnings"]}
    expected = {"html-script", "css-at-media", "css-pseudo-class-hover", "css-display-flex"}
    expected |= {"css-border-radius", "image-svg", "html-form", "html-input-text", "html-style"}
    assert expected <= set(slugs)
    assert slugs["html-script"]["Score"]["Unsupported"] == 100
    flex = slugs["css-display-flex"]
    assert flex["URL"] == "https://www.caniemail.com/features/css-display-flex/"
    score = flex["Score"]
    assert score["Supported"] + score["Partial"] + score["Unsupported"] == pytest.approx(100)
    assert {r["Support"] for r in flex["Results"]} <= {"yes", "no", "partial"}
    worst = [w["Score"]["Partial"] + w["Score"]["Unsupported"] for w in check["Warnings"]]
    assert worst[0] == 100  # sorted worst first: the script
    total = check["Total"]
    assert total["Supported"] + total["Partial"] + total["Unsupported"] == pytest.approx(100)
    assert refused.status_code == 400
    assert refused.json()["error"] == "message does not contain HTML"


def _png(size: tuple[int, int], colour: tuple[int, int, int]) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "PNG")
    return out.getvalue()


WHITE = (255, 255, 255)


@pytest.mark.parametrize(
    ("content", "content_type", "centre", "corner", "small"),
    [
        (_png((400, 300), (200, 0, 0)), "image/png", (200, 0, 0), (200, 0, 0), False),  # cropped
        (_png((40, 30), (0, 0, 200)), "image/png", (0, 0, 200), WHITE, True),  # padded, not grown
        (_png((900, 40), (0, 150, 0)), "image/png", (0, 150, 0), WHITE, False),  # scaled to fit
        (b"not an image", "image/png", WHITE, WHITE, False),  # blank
        (b"%PDF-1.7", "application/pdf", WHITE, WHITE, False),  # blank
    ],
)
def test_thumbnails(
    content: bytes,
    content_type: str,
    centre: tuple[int, int, int],
    corner: tuple[int, int, int],
    small: bool,
) -> None:
    from PIL import Image

    emu = Emulator()
    email = emu.outbox.capture_outgoing(
        OutgoingEmail(
            from_="a@acme.test",
            to=["b@example.com"],
            subject="Files",
            html=None,
            text="x",
            attachments=[Attachment("file", content, content_type)],
        )
    )
    part = email.attachments[0].id
    with TestClient(create_app(emu), base_url=LOCAL) as web:
        answer = web.get(f"/api/v1/message/{email.id}/part/{part}/thumb")
        missing = web.get(f"/api/v1/message/{email.id}/part/nope/thumb")
    assert answer.headers["content-type"] == "image/jpeg"
    thumb = Image.open(io.BytesIO(answer.content))
    assert thumb.size == (180, 120)
    for (x, y), want in (((90, 60), centre), ((1, 1), corner)):
        assert all(abs(a - b) < 24 for a, b in zip(thumb.getpixel((x, y)), want, strict=True))
    # a small image is not scaled up (40x30 spans x 70..110, so x=65 is white), as in Mailpit
    edge = thumb.getpixel((65, 60))
    assert all(abs(a - b) < 24 for a, b in zip(edge, WHITE if small else centre, strict=True))
    assert missing.status_code == 404


def test_send_takes_attachments_larger_than_other_json_bodies() -> None:
    big = bytes(range(256)) * 8192  # 2 MiB, over the 1 MiB other inspection API bodies get
    body = {
        "From": {"Email": "app@example.test"},
        "To": [{"Email": "rec@example.test"}],
        "Subject": "Big",
        "Attachments": [
            {
                "Filename": "big.bin",
                "Content": base64.b64encode(big).decode(),
                "ContentType": "application/octet-stream",
            }
        ],
    }
    emu = Emulator()
    with TestClient(create_app(emu), base_url=LOCAL) as web:
        answer = web.post("/api/v1/send", json=body)
        assert answer.status_code == 200, answer.text
        email = emu.outbox.get(answer.json()["ID"])
        part = email.attachments[0]
        download = web.get(f"/api/v1/message/{email.id}/part/{part.id}")
    assert download.content == big
