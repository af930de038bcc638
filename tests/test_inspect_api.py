"""The inspection API: Mailpit-compatible shapes, runs, channel messages, clock, reset, errors."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient
from wfbuild import make_emulator, workflow

from emulator import Emulator, OutgoingEmail
from emulator.http import create_app

LOCAL = "http://localhost"  # the Host allow-list refuses TestClient's default "testserver"

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "workflows"
SUMMARY_KEYS = {
    "ID",
    "MessageID",
    "Read",
    "From",
    "To",
    "Cc",
    "Bcc",
    "ReplyTo",
    "Subject",
    "Created",
    "Username",
    "Tags",
    "Size",
    "Attachments",
    "Snippet",
}


def digest_emulator() -> Emulator:
    emu = Emulator.from_directory(FIXTURES)
    emu.identify("u1", name="Ada", email="ada@example.com")
    emu.identify("u2", name="Bob", email="bob@example.com")
    for status in ("open", "overdue"):
        emu.trigger(
            "invoice-updated",
            recipients=["u1"],
            actor="u2",
            data={"invoice_id": "inv_1", "status": status},
        )
    return emu


@pytest.fixture
def emu() -> Emulator:
    return digest_emulator()


@pytest.fixture
def client(emu: Emulator) -> Iterator[TestClient]:
    with TestClient(create_app(emu), base_url=LOCAL, follow_redirects=False) as c:
        yield c


def capture(emu: Emulator, subject: str, to: str = "qa@example.com", **kw: object) -> str:
    email = OutgoingEmail(
        from_="App <app@example.com>", to=[to], subject=subject, html="<p>hi</p>", text="hi", **kw
    )  # type: ignore[arg-type]
    return emu.outbox.capture_outgoing(email).id


def test_digest_email_is_listed_in_mailpit_shape(client: TestClient) -> None:
    client.post("/api/clock/advance", json={"seconds": 300})
    body = client.get("/api/v1/messages").json()
    assert body["total"] == 1
    assert body["unread"] == 1
    assert body["count"] == 1
    assert body["start"] == 0
    (summary,) = body["messages"]
    assert set(summary) == SUMMARY_KEYS
    assert summary["Subject"] == "2 updates to invoice inv_1"
    assert summary["To"] == [{"Name": "", "Address": "ada@example.com"}]
    assert summary["From"]["Address"] == "notifications@example.com"
    assert summary["Created"] == "2025-01-01T09:05:00.000Z"
    assert summary["Read"] is False


def test_pagination_is_newest_first_with_start_and_limit(emu: Emulator, client: TestClient) -> None:
    ids = [capture(emu, f"mail {i}") for i in range(7)]
    page = client.get("/api/v1/messages", params={"start": 2, "limit": 3}).json()
    assert page["total"] == 7
    assert page["count"] == 3
    assert page["start"] == 2
    assert [m["ID"] for m in page["messages"]] == ids[::-1][2:5]


def test_message_latest_raw_headers_and_read_flag(emu: Emulator, client: TestClient) -> None:
    capture(emu, "first")
    last = capture(emu, "second")
    latest = client.get("/api/v1/message/latest").json()
    assert latest["ID"] == last
    assert latest["Subject"] == "second"
    assert latest["Text"] == "hi"
    assert latest["HTML"] == "<p>hi</p>"
    assert latest["Doorstep"]["way_in"] == "engine"
    assert client.get("/api/v1/messages").json()["unread"] == 1
    raw = client.get(f"/api/v1/message/{last}/raw")
    assert raw.headers["content-type"].startswith("text/plain")
    assert b"Subject: second" in raw.content
    headers = client.get(f"/api/v1/message/{last}/headers").json()
    assert headers["Subject"] == ["second"]


@pytest.mark.parametrize(
    ("query", "subjects"),
    [
        ("subject:alpha", ["alpha news"]),
        ("to:zed@", ["beta"]),
        ("-subject:alpha", ["beta"]),
        ('"alpha news"', ["alpha news"]),
        ("nothing-matches-this", []),
    ],
)
def test_search(emu: Emulator, client: TestClient, query: str, subjects: list[str]) -> None:
    capture(emu, "alpha news")
    capture(emu, "beta", to="zed@example.com")
    body = client.get("/api/v1/search", params={"query": query}).json()
    assert [m["Subject"] for m in body["messages"]] == subjects
    assert body["total"] == 2
    assert body["messages_count"] == len(subjects)


def test_delete_all_messages(emu: Emulator, client: TestClient) -> None:
    capture(emu, "x")
    assert client.delete("/api/v1/messages").status_code == 200
    assert client.get("/api/v1/messages").json()["total"] == 0


def test_delete_selected_messages_like_mailpit(emu: Emulator, client: TestClient) -> None:
    keep, drop = capture(emu, "keep"), capture(emu, "drop")
    assert client.request("DELETE", "/api/v1/messages", json={"IDs": [drop]}).status_code == 200
    listed = client.get("/api/v1/messages").json()["messages"]
    assert [m["ID"] for m in listed] == [keep]
    # Mailpit skips ids it does not know and deletes the others
    unknown = client.request("DELETE", "/api/v1/messages", json={"IDs": ["nope"]})
    assert (unknown.status_code, unknown.text) == (200, "ok")
    assert client.get("/api/v1/messages").json()["total"] == 1
    mixed = client.request("DELETE", "/api/v1/messages", json={"IDs": [keep, "nope"]})
    assert (mixed.status_code, mixed.text) == (200, "ok")
    assert client.get("/api/v1/messages").json()["total"] == 0


def test_runs_show_branch_batch_and_messages(client: TestClient) -> None:
    client.post("/api/clock/advance", json={"next": True})
    runs = client.get("/api/runs").json()
    assert runs["total"] == 2
    statuses = sorted(r["status"] for r in runs["runs"])
    assert statuses == ["completed", "merged_into_batch"]
    completed = next(r for r in runs["runs"] if r["status"] == "completed")
    run = client.get(f"/api/runs/{completed['id']}").json()
    assert run["path"] == ["branch_1", "batch_1", "in_app_feed_1", "email_1"]
    steps = {s["ref"]: s for s in run["steps"]}
    assert steps["branch_1"]["branch"] == "User"
    assert steps["batch_1"]["batch"]["total_activities"] == 2
    assert [a["status"] for a in steps["batch_1"]["batch"]["activity_data"]] == ["open", "overdue"]
    assert len(steps["email_1"]["message_ids"]) == 1


def test_messages_per_channel(client: TestClient) -> None:
    client.post("/api/clock/advance", json={"to": "2025-01-01T09:05:00Z"})
    feed = client.get("/api/messages", params={"channel_type": "in_app_feed"}).json()
    assert feed["total"] == 1
    assert feed["messages"][0]["recipient_id"] == "u1"
    assert feed["messages"][0]["content"]["markdown_body"].startswith("2 updates")
    emails = client.get("/api/messages", params={"channel_type": "email"}).json()
    assert emails["total"] == 1


def test_clock_reports_and_advances(client: TestClient) -> None:
    clock = client.get("/api/clock").json()
    assert clock == {
        "now": "2025-01-01T09:00:00Z",
        "mode": "manual",
        "pending": 1,
        "next_due": "2025-01-01T09:05:00Z",
        "timers": [
            {"label": "invoice-updated/batch_1 batch window", "due": "2025-01-01T09:05:00Z"}
        ],
    }
    moved = client.post("/api/clock/advance", json={"seconds": 60}).json()
    assert moved["fired"] == 0
    assert moved["clock"]["now"] == "2025-01-01T09:01:00Z"
    fired = client.post("/api/clock/advance", json={"next": True}).json()
    assert fired["fired"] == 1
    assert fired["clock"]["pending"] == 0


@pytest.mark.parametrize(
    ("body", "status", "fragment"),
    [
        (b"{not json", 400, "not valid JSON"),
        (b"", 400, "body is empty"),
        (b"[1]", 400, "send a JSON object"),
        (b'{"seconds": "5"}', 400, "`seconds` must be a number"),
        (b'{"seconds": -1}', 400, "`seconds` must be a number of 0 or more"),
        (b'{"seconds": true}', 400, "`seconds` must be a number"),
        (b'{"to": "yesterday"}', 400, "`to` is not ISO-8601"),
        (b'{"to": "2025-01-01T09:05:00"}', 400, "no time zone"),
        (b'{"to": "2024-01-01T00:00:00Z"}', 400, "cannot move back"),
        (b'{"next": 1}', 400, "`next` must be true"),
        (b'{"seconds": 1, "next": true}', 400, "exactly one of"),
        (b'{"minutes": 5}', 400, "exactly one of"),
    ],
)
def test_clock_advance_rejects_bad_input(
    client: TestClient, body: bytes, status: int, fragment: str
) -> None:
    response = client.post(
        "/api/clock/advance", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == status
    assert fragment in response.json()["error"]


@pytest.mark.parametrize(
    ("method", "path", "status", "fragment"),
    [
        ("GET", "/api/v1/message/nope", 404, "no email 'nope'"),
        ("GET", "/api/runs/nope", 404, "no run with id 'nope'"),
        ("GET", "/api/v1/messages?limit=x", 400, "`limit` must be an integer"),
        ("GET", "/api/v1/messages?start=-1", 400, "must be 0 or more"),
        ("GET", "/api/v1/search", 400, "missing query parameter `query`"),
        ("GET", "/api/nothing-here", 404, "no route /api/nothing-here"),
        ("PATCH", "/api/clock", 405, "not allowed"),
    ],
)
def test_errors_are_json(
    client: TestClient, method: str, path: str, status: int, fragment: str
) -> None:
    response = client.request(method, path)
    assert response.status_code == status
    assert fragment in response.json()["error"]


def test_latest_with_no_mail_is_404(client: TestClient) -> None:
    response = client.get("/api/v1/message/latest")
    assert response.status_code == 404
    assert "no email captured yet" in response.json()["error"]


def test_oversized_body_is_refused(client: TestClient) -> None:
    response = client.post(
        "/api/clock/advance",
        content=b"{" + b" " * (2 * 1024 * 1024) + b"}",
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 413


def test_reset_clears_runs_and_mail(emu: Emulator, client: TestClient) -> None:
    capture(emu, "x")
    assert client.post("/api/reset").json()["reset"] is True
    assert client.get("/api/runs").json()["total"] == 0
    assert client.get("/api/v1/messages").json()["total"] == 0


def test_root_redirects_to_inspector(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 307
    assert response.headers["location"] == "/ui/"


def test_stats_is_cheap_and_tracks_latest(emu: Emulator, client: TestClient) -> None:
    assert client.get("/api/stats").json()["latest_email"] is None
    last = capture(emu, "x")
    stats = client.get("/api/stats").json()
    assert stats == {"emails": 1, "latest_email": last, "runs": 2, "now": "2025-01-01T09:00:00Z"}


def test_inspector_pages_escape_and_set_csp(emu: Emulator, client: TestClient) -> None:
    eid = capture(emu, "<script>alert(1)</script>")
    page = client.get("/ui/")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    html = client.get(f"/ui/email/{eid}/html")
    csp = html.headers["content-security-policy"]
    assert csp.startswith("sandbox allow-popups allow-popups-to-escape-sandbox;")
    assert "allow-scripts" not in csp
    assert "allow-same-origin" not in csp
    assert "img-src data:;" in csp  # remote content blocked until asked for
    remote = client.get(f"/ui/email/{eid}/html?remote=1").headers["content-security-policy"]
    assert "img-src data: http: https:;" in remote
    view = client.get(f"/ui/email/{eid}")
    assert (
        'sandbox="allow-popups allow-popups-to-escape-sandbox" title="Email HTML (sandboxed)" '
        f'src="/ui/email/{eid}/html"'
    ) in view.text
    title = "<title>&lt;script&gt;alert(1)&lt;/script&gt; · Doorstep inspector</title>"
    assert title in view.text  # the subject alone; once a merge put the tab panels in it
    assert view.text.count('data-panel="html-check"') == 1


@pytest.mark.parametrize("path", ["/ui/", "/ui/runs", "/ui/feeds", "/ui/feeds/u1", "/ui/schedules"])
def test_inspector_pages_render(client: TestClient, path: str) -> None:
    client.post("/api/clock/advance", json={"seconds": 300})
    response = client.get(path)
    assert response.status_code == 200
    assert "Doorstep" in response.text


def test_run_timeline_page(client: TestClient) -> None:
    client.post("/api/clock/advance", json={"seconds": 300})
    run = next(r for r in client.get("/api/runs").json()["runs"] if r["status"] == "completed")
    page = client.get(f"/ui/runs/{run['id']}").text
    assert "Branch taken" in page
    assert "User" in page
    assert "2 activities from 1 actor" in page
    assert "2 updates to invoice inv_1" in page


def test_clock_form_advances_and_redirects_back(client: TestClient) -> None:
    response = client.post("/ui/clock/advance", data={"seconds": "300", "back": "/ui/runs"})
    assert response.status_code == 303
    assert response.headers["location"] == "/ui/runs"
    assert client.get("/api/clock").json()["now"] == "2025-01-01T09:05:00Z"


def test_clock_form_refuses_cross_origin_posts(client: TestClient) -> None:
    response = client.post(
        "/ui/clock/advance", data={"seconds": "300"}, headers={"origin": "http://evil.example"}
    )
    assert response.status_code == 403


def test_knock_and_resend_apis_share_the_port(client: TestClient) -> None:
    auth = {"authorization": "Bearer sk_test_doorstep"}
    triggered = client.post(
        "/v1/workflows/invoice-created/trigger",
        json={"recipients": ["u1"], "data": {"invoice_id": "inv_7", "amount": "$1"}},
        headers=auth,
    )
    assert triggered.status_code == 200, triggered.text
    runs = client.get("/api/runs", params={"workflow": "invoice-created"}).json()
    assert runs["total"] == 1
    sent = client.post(
        "/emails",
        json={
            "from": "a@example.com",
            "to": ["b@example.com"],
            "subject": "via resend",
            "text": "x",
        },
        headers={"authorization": "Bearer re_test_doorstep"},
    )
    assert sent.status_code == 200, sent.text
    subjects = [m["Subject"] for m in client.get("/api/v1/messages").json()["messages"]]
    assert "via resend" in subjects
    assert "Invoice inv_7 created" in subjects


@settings(max_examples=40, deadline=None)
@given(
    count=st.integers(0, 30),
    limit=st.integers(1, 12),
    word=st.sampled_from(["alpha", "beta", "to:zed@", "subject:1", "is:unread"]),
)
def test_pages_cover_everything_and_negation_partitions(count: int, limit: int, word: str) -> None:
    emu = Emulator()
    ids = [
        capture(emu, f"alpha {i}" if i % 3 else f"beta {i}", to=f"u{i % 4}@x.io")
        for i in range(count)
    ]
    with TestClient(create_app(emu), base_url=LOCAL) as c:
        seen: list[str] = []
        for start in range(0, count + limit, limit):
            page = c.get("/api/v1/messages", params={"start": start, "limit": limit}).json()
            assert page["count"] == len(page["messages"]) <= limit
            seen += [m["ID"] for m in page["messages"]]
        assert seen == ids[::-1]
        hit = c.get("/api/v1/search", params={"query": word}).json()["messages_count"]
        miss = c.get("/api/v1/search", params={"query": f"-{word}"}).json()["messages_count"]
        assert hit + miss == count


def test_schedules_page_lists_schedules_and_audiences_escaped(
    emu: Emulator, client: TestClient
) -> None:
    assert "No schedules." in client.get("/ui/schedules").text
    emu.create_schedules(
        "invoice-created",
        ["u1"],
        repeats=[{"frequency": "weekly", "interval": 2, "days": ["mon", "fri"], "hours": 18}],
        data={"invoice_id": "inv_7", "amount": "$7"},
    )
    emu.create_schedules("invoice-created", ["u1"], scheduled_at="2025-01-01T10:00:00Z")
    emu.add_to_audience("<b>vip</b>", "u1", tenant="acme")
    client.post("/api/clock/advance", json={"seconds": 3600})
    page = client.get("/ui/schedules").text
    assert "weekly every 2 on mon, fri at 18:00" in page
    assert "once" in page
    assert 'datetime="2025-01-03T18:00:00Z"' in page  # the first Friday 18:00 after the start
    assert 'datetime="2025-01-01T10:00:00Z"' in page  # the one-off ran
    assert "&lt;b&gt;vip&lt;/b&gt;" in page
    assert "<b>vip</b>" not in page
    assert "u1 (acme)" in page


def test_chat_messages_are_listed_and_on_the_run_timeline() -> None:
    """A Slack or Teams chat step's message is captured like any channel's: the inspection API
    lists it by channel type and the run's timeline shows its text (issue #19)."""
    step = {
        "ref": "chat_1",
        "type": "channel",
        "channel_type": "chat",
        "channel_key": "slack",
        "template": {"markdown_body": "Deploy {{ data.build }} finished"},
    }
    emu = make_emulator(workflow("deployed", step))
    emu.identify(
        "u1", channel_data={"slack": {"connections": [{"incoming_webhook": {"url": "x"}}]}}
    )
    run = emu.trigger("deployed", ["u1"], data={"build": "<b>42</b>"}).runs[0]
    with TestClient(create_app(emu), base_url=LOCAL) as client:
        listed = client.get("/api/messages", params={"channel_type": "chat"}).json()
        page = client.get(f"/ui/runs/{run.id}").text
    assert listed["total"] == 1
    assert listed["messages"][0]["content"]["markdown_body"] == "Deploy <b>42</b> finished"
    assert "Deploy &lt;b&gt;42&lt;/b&gt; finished" in page
