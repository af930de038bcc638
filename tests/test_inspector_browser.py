"""The web inspector in Chromium via Playwright: digest email, sandbox, clock, live list."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from wfbuild import bundled_emulator

from emulator import Emulator, OutgoingEmail
from emulator.http import ServerThread, create_app

pytestmark = [
    pytest.mark.browser,
]


@pytest.fixture
def emu() -> Emulator:
    return bundled_emulator()


@pytest.fixture
def server(emu: Emulator) -> Iterator[ServerThread]:
    with ServerThread(create_app(emu)) as running:
        yield running


def open_page(browser: Any) -> tuple[Any, list[str]]:
    page = browser.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    return page, problems


def test_digest_email_through_the_inspector(
    emu: Emulator, server: ServerThread, browser: Any
) -> None:
    for status in ("open", "overdue"):
        emu.trigger(
            "invoice-updated",
            recipients=["u1"],
            actor="u2",
            data={"invoice_id": "inv_1", "status": status},
        )
    page, problems = open_page(browser)
    page.goto(server.base_url + "/")
    assert page.url == server.base_url + "/ui/"
    assert "0 emails" in page.locator("#email-count").inner_text()

    with page.expect_navigation(url=server.base_url + "/ui/"):
        page.click("button[data-advance='300']")  # the clock panel's +5 min
    assert page.url == server.base_url + "/ui/"
    clock = page.locator("#clock-now")
    assert clock.get_attribute("title") == "2025-01-01T09:05:00Z"  # ISO on hover
    assert "09:05:00" in clock.inner_text()  # the locale's format (en-US here), in UTC
    page.click("text=2 updates to invoice inv_1")
    assert page.locator("#email-subject").inner_text() == "2 updates to invoice inv_1"

    frame_el = page.locator("iframe#email-html")
    assert frame_el.get_attribute("sandbox") == "allow-popups allow-popups-to-escape-sandbox"
    frame = page.frame_locator("iframe#email-html")
    assert "2 updates" in frame.locator("body").inner_text()
    assert "open by Bob" in frame.locator("body").inner_text()

    page.click("button[data-width='mobile']")
    assert frame_el.evaluate("el => el.getBoundingClientRect().width") == 375
    page.click("button[data-tab='text']")
    assert page.locator("#email-text").is_visible()
    assert not frame_el.is_visible()
    page.click("button[data-tab='raw']")
    assert "Subject: 2 updates to invoice inv_1" in page.locator("#email-raw").inner_text()

    page.click("text=run timeline")
    timeline = page.locator("#timeline").inner_text()
    assert "Branch taken: User" in timeline
    assert "2 activities from 1 actor" in timeline
    assert problems == []


def test_script_in_captured_email_cannot_run_in_inspector_origin(
    emu: Emulator, server: ServerThread, browser: Any
) -> None:
    payload = "<script>window.top.__pwned = 1</script>"
    html = (
        f"<p>hello</p>{payload}"
        '<img src=x onerror="window.top.__pwned = 2">'
        '<a id=go href="javascript:window.top.__pwned = 3">go</a>'
    )
    email = OutgoingEmail(
        from_=f"Evil {payload} <evil@example.com>",
        to=["qa@example.com"],
        subject=f"Hi {payload}",
        html=html,
        text=payload,
    )
    captured = emu.outbox.capture_outgoing(email)
    page, _ = open_page(browser)
    page.goto(server.base_url + "/ui/")
    assert page.locator("a.subject").inner_text() == f"Hi {payload}"
    page.goto(server.base_url + f"/ui/email/{captured.id}")
    frame = page.frame_locator("iframe#email-html")
    assert frame.locator("p").inner_text() == "hello"
    assert page.evaluate("() => window.__pwned") is None
    # the sandboxed frame has an opaque origin: it cannot even read its parent
    handle = page.locator("iframe#email-html").element_handle()
    assert handle is not None
    child = handle.content_frame()
    assert child is not None
    assert (
        child.evaluate(
            "() => { try { return window.top.location.href } catch (e) { return 'blocked' } }"
        )
        == "blocked"
    )
    page.goto(server.base_url + f"/ui/email/{captured.id}/html")  # opened directly, still sandboxed
    assert page.evaluate("() => window.__pwned") is None


def test_email_list_updates_live_when_mail_arrives(
    emu: Emulator, server: ServerThread, browser: Any
) -> None:
    expect = pytest.importorskip("playwright.sync_api").expect
    page, problems = open_page(browser)
    page.goto(server.base_url + "/ui/")
    assert "0 emails" in page.locator("#email-count").inner_text()
    expect(page.locator("body")).to_have_attribute("data-live-via", "websocket")
    page.evaluate("() => { window.sameDocument = true; }")
    with emu.lock:
        emu.outbox.capture_outgoing(
            OutgoingEmail(
                from_="a@example.com", to=["b@example.com"], subject="fresh", html=None, text="x"
            )
        )
    page.locator("a.subject", has_text="fresh").wait_for(timeout=15_000)
    expect(page.locator("#email-count")).to_contain_text("1 email, showing 1")
    row = page.locator("#emails tbody tr").first
    expect(row).to_have_class("unread")
    assert page.locator("#unread-count").inner_text() == "1 unread"
    # a Mailpit client marks it read: the row and the unread count follow
    fresh = emu.outbox.latest()
    assert fresh is not None
    read = {"IDs": [fresh.id], "Read": True}
    flagged = httpx.put(server.base_url + "/api/v1/messages", json=read)
    assert flagged.status_code == 200
    expect(row).to_have_class("read")
    expect(page.locator("#unread-count")).to_have_text("0 unread")
    assert page.evaluate("() => window.sameDocument") is True  # patched in place, no reload
    assert problems == []


def test_feed_page_and_next_timer_button(emu: Emulator, server: ServerThread, browser: Any) -> None:
    emu.trigger(
        "invoice-updated",
        recipients=["u1"],
        actor="u2",
        data={"invoice_id": "inv_9", "status": "open"},
    )
    page, problems = open_page(browser)
    page.goto(server.base_url + "/ui/feeds")
    with page.expect_navigation(url=server.base_url + "/ui/feeds"):
        page.click("#advance-next")
    assert page.url == server.base_url + "/ui/feeds"
    page.click("text=u1")
    assert "1 update to invoice inv_9" in page.locator("#feed").inner_text()
    assert page.locator("#advance-next").is_disabled()
    assert problems == []
