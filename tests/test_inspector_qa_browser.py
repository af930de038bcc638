"""The web inspector's QA features in Chromium (Playwright): Mailpit's panels (read, delete, tags,
HTML check, link check, spam, release), links opening a new tab, remote content behind a toggle,
one timestamp format, and what only Doorstep shows (workflow names, warnings, feed actions, the
clock's "advance to", live runs). The tests also write the README's screenshots."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from emulator import Emulator, OutgoingEmail
from emulator.http import ServerThread, SmtpRelay, create_app
from emulator.mail import Mailbox, running_smtp

expect = pytest.importorskip("playwright.sync_api").expect

pytestmark = [pytest.mark.browser]

SHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
NEWSLETTER = """<html><body><h1>News</h1>
<p><a id="out" href="https://example.com/article">Read the article</a></p>
<img id="pixel" src="https://tracker.example.com/open.gif" alt="">
<div style="display:flex"><p>Columns</p></div></body></html>"""


def open_page(browser: Any) -> tuple[Any, list[str]]:
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 800})
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    return page, problems


def screenshot(page: Any, name: str) -> None:
    """Write docs/screenshots/NAME.png only when its content changed: Chromium's PNG bytes vary
    from run to run for the same picture, and a few antialiased pixels may too, so the committed
    file is compared decoded and kept unless more than 0.1 % of its pixels differ."""
    from PIL import Image, ImageChops

    SHOTS.mkdir(parents=True, exist_ok=True)
    target = SHOTS / f"{name}.png"
    shot: bytes = page.screenshot(full_page=False, animations="disabled", caret="hide")
    if target.exists():
        old = Image.open(target).convert("RGB")
        new = Image.open(io.BytesIO(shot)).convert("RGB")
        if old.size == new.size:
            diff = ImageChops.difference(old, new).convert("L").point(lambda v: 255 if v else 0)
            if diff.histogram()[255] <= old.width * old.height // 1000:
                return
    target.write_bytes(shot)


@pytest.fixture
def emu() -> Emulator:
    # seeded, so ids (and so the screenshots) are the same on every run
    emu = Emulator.from_directory(Path(__file__).parent.parent / "fixtures" / "workflows", seed=7)
    emu.identify("u1", name="Ada", email="ada@example.com")
    emu.identify("u2", name="Bob", email="bob@example.com")
    emu.trigger("invoice-created", recipients=["u1"], data={"invoice_id": "inv_9"})  # no amount
    emu.outbox.capture_outgoing(
        OutgoingEmail(
            from_="news@acme.test",
            to=["qa@example.com"],
            subject="Newsletter",
            html=NEWSLETTER,
            text="News",
            tags=[{"name": "category", "value": "news"}],
        ),
        way_in="resend",
    )
    return emu


@pytest.fixture
def relayed() -> Iterator[tuple[Mailbox, SmtpRelay]]:
    box = Mailbox()
    with running_smtp(box) as upstream:
        yield box, SmtpRelay("127.0.0.1", upstream.port, allowed_recipients=r"@example\.com$")


@pytest.fixture
def server(emu: Emulator, relayed: tuple[Mailbox, SmtpRelay]) -> Iterator[ServerThread]:
    with ServerThread(create_app(emu, smtp_relay=relayed[1])) as running:
        yield running


def test_email_panels(
    emu: Emulator,
    server: ServerThread,
    browser: Any,
    relayed: tuple[Mailbox, SmtpRelay],
) -> None:
    page, problems = open_page(browser)
    tracked: list[str] = []  # the outside world, answered locally: nothing leaves the machine

    def outside(route: Any) -> None:
        tracked.append(route.request.url)
        route.fulfill(status=200, body="outside", content_type="text/plain")

    page.context.route("https://**/*", outside)
    page.goto(server.base_url + "/ui/")
    assert page.locator("#unread-count").inner_text() == "2 unread"
    assert page.locator("#unread-badge").inner_text() == "2"
    first = page.locator("#emails td.when time").first
    assert first.get_attribute("title") == "2025-01-01T09:00:00Z"
    assert first.inner_text() == "1 Jan 2025, 09:00:00 UTC"  # en-GB, in UTC
    assert page.locator("#emails td.tags").first.inner_text().strip() == "category=news"
    screenshot(page, "emails")

    page.click("text=Newsletter")
    news = emu.outbox.filter(subject="Newsletter").latest()
    assert news is not None
    frame = page.frame_locator("iframe#email-html")
    # remote content is blocked until asked for: the tracking pixel is never requested
    assert frame.locator("h1").inner_text() == "News"
    assert tracked == []
    screenshot(page, "email")
    page.click(".widths button[data-width='tablet']")  # Mailpit's tablet preview width
    assert page.locator("iframe#email-html").evaluate("f => f.offsetWidth") == 768
    page.click(".widths button[data-width='mobile']")
    assert page.locator("iframe#email-html").evaluate("f => f.offsetWidth") == 375
    # a link opens a new tab, not inside the sandboxed preview
    with page.context.expect_page() as popup:
        frame.locator("#out").click()
    popup.value.wait_for_load_state()
    assert popup.value.url == "https://example.com/article"
    popup.value.close()
    assert frame.locator("h1").inner_text() == "News"
    with page.expect_request("https://tracker.example.com/open.gif"):
        page.click("#remote-toggle")
    assert "remote=1" in (page.locator("iframe#email-html").get_attribute("src") or "")

    page.click("button[data-tab='html-check']")
    page.wait_for_selector("#html-check-result[data-state='ready']")
    result = page.locator("#html-check-result").inner_text()
    assert "Supported" in result
    assert "display:flex" in result.replace(" ", "").lower() or "flex" in result.lower()
    screenshot(page, "html-check")
    page.click("button[data-tab='link-check']")
    page.wait_for_selector("#link-check-result[data-state='ready']")
    assert "https://example.com/article" in page.locator("#link-check-result").inner_text()
    page.click("button[data-tab='spam']")
    assert "--spamassassin HOST:PORT" in page.locator("#spam-result").inner_text()

    page.click("button[data-tab='release']")
    page.fill("#release-form input[name='to']", "outside@elsewhere.test")
    page.click("#release-form button")
    expect(page.locator("#release-result")).to_contain_text("do not match the allowlist")
    page.fill("#release-form input[name='to']", "qa@example.com")
    page.click("#release-form button")
    expect(page.locator("#release-result")).to_have_text("Released to qa@example.com")
    assert [e.subject for e in relayed[0].all()] == ["Newsletter"]

    page.fill("#email-tags", "urgent, qa")
    page.click("text=Save tags")
    assert page.locator("#email-tags").input_value() == "qa, urgent"
    page.click("#mark-unread")
    assert page.url.endswith("/ui/")
    assert page.locator("#unread-count").inner_text() == "2 unread"
    page.fill("input[name='q']", "tag:urgent")
    page.press("input[name='q']", "Enter")
    assert page.locator("#email-count").inner_text().startswith("1 of 2 emails match")
    page.click("#delete-all")
    assert emu.outbox.filter(subject="Newsletter") == []
    assert len(emu.outbox.all()) == 1
    page.click("a.subject")
    page.click("#delete-email")
    assert emu.outbox.all() == []
    assert problems == []


def test_runs_warnings_names_feeds_and_clock(
    emu: Emulator, server: ServerThread, browser: Any
) -> None:
    emu.trigger("unseen-fallback", recipients=["u1"], actor="u2", data={"message": "Hi"})
    page, problems = open_page(browser)
    page.goto(server.base_url + "/ui/runs")
    assert page.locator("#runs .workflow-name").first.inner_text() == "Unseen fallback"
    screenshot(page, "runs")

    page.goto(server.base_url + "/ui/")
    page.click("text=Invoice inv_9 created")
    warnings = page.locator("#email-warnings")
    assert warnings.is_visible()
    assert "data.amount" in warnings.inner_text()
    assert page.locator(".workflow-name").inner_text() == "Invoice created"
    page.click("text=run timeline")
    assert page.locator("h1 .workflow-name").inner_text() == "Invoice created"
    step_warnings = page.locator("#timeline .warnings")
    assert step_warnings.first.is_visible()
    assert "data.amount" in step_warnings.first.inner_text()
    screenshot(page, "run")

    # feeds: mark the in-app message seen, so the fallback email is not sent
    page.goto(server.base_url + "/ui/feeds/u1")
    item = "#feed li:has-text('sent you a message')"
    assert "2 unseen" in page.locator("p.count").inner_text()
    page.click(f"{item} button[data-action='seen']")
    assert "1 unseen" in page.locator("p.count").inner_text()
    assert page.locator(f"{item} button[data-action='seen']").inner_text() == "Unmark seen"
    assert "2 unread" in page.locator("p.count").inner_text()
    page.click(f"{item} button[data-action='read']")
    assert "1 unread" in page.locator("p.count").inner_text()
    assert page.locator(f"{item} button[data-action='read']").inner_text() == "Unmark read"
    page.click(f"{item} button[data-action='archived']")
    assert "archived" in page.locator(item).inner_text()
    screenshot(page, "feed")

    # advance to a date: ten minutes later the delay is over
    page.fill("#advance-to", "2025-01-01T09:10:00")
    page.click(".advance-to button")
    assert page.locator("#clock-now").get_attribute("datetime") == "2025-01-01T09:10:00Z"
    run = emu.runs(workflow="unseen-fallback")[0]
    assert run.status == "completed"
    assert emu.outbox.filter(subject="You have an unread message") == []
    assert page.locator("#advance-next").is_disabled()
    assert problems == []


KEEP = """() => {
    window.sameDocument = true;
    const row = document.querySelector(arguments[0]);
    window.kept = row;
    getSelection().selectAllChildren(row);
    return getSelection().toString();
}"""
STILL = """() => [window.sameDocument === true, window.kept.isConnected,
    getSelection().toString(), window.scrollY]"""


def _keep(page: Any, selector: str) -> str:
    """Mark the document and select `selector`'s text: a patch in place keeps both."""
    return str(page.evaluate(KEEP.replace("arguments[0]", repr(selector))))


def test_runs_list_updates_in_place(emu: Emulator, server: ServerThread, browser: Any) -> None:
    for n in range(40):  # a list longer than the window, to scroll
        emu.trigger("invoice-created", recipients=["u2"], data={"invoice_id": f"inv_{n}"})
    emu.trigger("unseen-fallback", recipients=["u1"], actor="u2", data={"message": "Hi"})
    page, problems = open_page(browser)
    page.goto(server.base_url + "/ui/runs")
    expect(page.locator("body")).to_have_attribute("data-live-via", "websocket")
    waiting = page.locator("#runs-rows tr").first
    expect(waiting.locator(".status")).to_have_text("waiting")
    page.evaluate("() => window.scrollTo(0, document.body.scrollHeight)")
    selected = _keep(page, "#runs-rows tr:last-child td.trace")
    scrolled = page.evaluate("() => window.scrollY")
    assert selected
    assert scrolled > 0

    with emu.lock:  # a run triggered elsewhere (the API, another tab, a test)
        emu.trigger("invoice-created", recipients=["u1"], data={"invoice_id": "inv_new"})
    expect(page.locator("#runs-count")).to_have_attribute("data-total", "43")
    expect(page.locator("#runs-rows tr").first).to_contain_text("u1")
    assert page.evaluate(STILL)[:3] == [True, True, selected]
    assert page.evaluate(STILL)[3] >= scrolled  # not back at the top

    with emu.lock:  # the waiting run finishes when the clock moves
        emu.clock.advance(seconds=600)
    expect(page.locator("#runs-rows tr").nth(1).locator(".status")).to_have_text("completed")
    assert page.evaluate(STILL)[:3] == [True, True, selected]
    assert problems == []


def test_run_timeline_updates_in_place(emu: Emulator, server: ServerThread, browser: Any) -> None:
    result = emu.trigger("unseen-fallback", recipients=["u1"], actor="u2", data={"message": "Hi"})
    run = result.runs[0]
    page, problems = open_page(browser)
    page.goto(server.base_url + f"/ui/runs/{run.id}")
    assert page.locator("#run-live").get_attribute("data-status") == "waiting"
    assert page.locator("#timeline > li").count() == 2
    assert page.locator("#advance-next").is_enabled()
    expect(page.locator("body")).to_have_attribute("data-live-via", "websocket")
    selected = _keep(page, "#timeline > li:first-child .head")
    # the delay ends elsewhere (another tab, the API, a test): the timeline follows by itself
    with emu.lock:
        emu.clock.advance(seconds=600)
    expect(page.locator("#run-live")).to_have_attribute("data-status", "completed")
    expect(page.locator("#timeline > li")).to_have_count(3)
    assert "email_1" in page.locator("#timeline > li").nth(2).inner_text()
    assert "completed" in page.locator("#run-meta").inner_text()
    expect(page.locator("#advance-next")).to_be_disabled()  # the header follows too
    when = page.locator("#timeline > li").nth(2).locator("time").first
    assert when.inner_text() == "1 Jan 2025, 09:10:00 UTC"  # patched parts show local times
    assert page.evaluate(STILL)[:3] == [True, True, selected]  # unchanged step kept
    assert problems == []
