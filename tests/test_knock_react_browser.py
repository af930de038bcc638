"""`@knocklabs/react` in Chromium against Doorstep, as a Next.js app on another origin uses it:
tests/clients/feed_app.jsx (KnockProvider with `host` pointed at Doorstep and a `pk_` key,
KnockFeedProvider, NotificationIconButton, NotificationFeedPopover) bundled with esbuild from the
pinned npm packages and served by a static server on another port.

After a trigger from Python the badge shows the unseen count without a reload (the realtime
socket), opening the popover shows the rendered item, and "Mark all as read" clears it, in the
page and in the emulator. tests/clients/guide_app.jsx does the same for guides:
KnockGuideProvider and the prebuilt <Banner /> show the bundled `welcome-banner` guide, mark it
seen, and dismissing it archives it. Needs node, the pinned packages on NODE_PATH, Debian's
chromium and playwright; skipped otherwise, except in CI (tests/conftest.py).
"""

from __future__ import annotations

import functools
import json
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from test_knock_client_node import (
    CLIENTS,
    FEED_ID,
    INVOICE,
    doorstep,
    in_app,
    node_with,
)
from wfbuild import bundled_emulator

from emulator.http.knock._serialize import channel_uuid

GUIDE_ID = channel_uuid("in-app-guide")  # the bundled guide channel, as the API reports it
NODE = node_with("@knocklabs/react", "react", "react-dom", "esbuild")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.real_client,
    pytest.mark.skipif(
        NODE is None,
        reason="node or @knocklabs/react, react, react-dom, esbuild on NODE_PATH missing",
    ),
]

PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>app</title><link rel="icon" href="data:,">
<link rel="stylesheet" href="feed_app.css">
</head><body><div id="root"></div>
<script>window.KNOCK = {config};</script><script src="feed_app.js"></script></body></html>
"""


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """feed_app.jsx bundled by esbuild (tests/clients/build.js), once per module."""
    out = tmp_path_factory.mktemp("feed_app")
    assert NODE is not None
    done = subprocess.run(
        [NODE, str(CLIENTS / "build.js"), str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return out


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Silent: the test reads the page, not the access log."""


@contextmanager
def static_site(root: Path) -> Iterator[str]:
    """`root` served on localhost, port 0: another origin than Doorstep's, like `next dev`."""
    server = ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(root))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://localhost:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_badge_popover_and_mark_all_as_read(bundle: Path, browser: Any) -> None:
    expect = pytest.importorskip("playwright.sync_api").expect
    emu = bundled_emulator()
    with doorstep(emu) as host, static_site(bundle) as origin:
        config = {"apiKey": "pk_test_app", "host": host, "userId": "u1", "feedId": FEED_ID}
        (bundle / "index.html").write_text(PAGE.replace("{config}", json.dumps(config)))
        page = browser.new_page()
        problems: list[str] = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda exc: problems.append(str(exc)))
        refused: list[str] = []  # every call the app makes to Doorstep must succeed
        page.on(
            "response",
            lambda r: (
                refused.append(f"{r.status} {r.request.method} {r.url}")
                if r.url.startswith(host) and r.status >= 400
                else None
            ),
        )
        page.goto(origin + "/index.html")
        button = page.locator(".rnf-notification-icon-button")
        expect(button).to_be_visible()
        page.wait_for_function("() => window.feedChannelJoined && window.feedChannelJoined()")
        page.evaluate("() => { window.sameDocument = true; }")

        emu.trigger("invoice-created", recipients=["u1"], data=INVOICE)
        expect(page.locator(".rnf-unseen-badge__count")).to_have_text("1")
        assert page.evaluate("() => window.sameDocument") is True  # live, no reload

        with page.expect_response(lambda r: r.url.endswith("/messages/bulk/seen")) as seen:
            button.click()  # the popover opens and marks everything seen
        assert seen.value.ok
        cell = page.locator(".rnf-notification-cell")
        expect(cell).to_have_count(1)
        expect(cell).to_contain_text("New invoice inv_1 for $5.")
        expect(page.locator(".rnf-unseen-badge__count")).to_have_count(0)
        expect(page.locator(".rnf-notification-cell__unread-dot")).to_have_count(1)
        [message] = in_app(emu)
        assert "seen" in emu.message(message.id).engagement_statuses

        with page.expect_response(lambda r: r.url.endswith("/messages/bulk/read")) as done:
            page.locator(".rnf-mark-all-as-read").click()
        assert done.value.ok
        expect(page.locator(".rnf-notification-cell__unread-dot")).to_have_count(0)
        assert "read" in emu.message(message.id).engagement_statuses
        assert refused == []
        assert problems == []


GUIDE_PAGE = PAGE.replace("feed_app", "guide_app")


@pytest.fixture(scope="module")
def guide_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """guide_app.jsx (KnockGuideProvider and the prebuilt Banner) bundled by esbuild."""
    out = tmp_path_factory.mktemp("guide_app")
    assert NODE is not None
    done = subprocess.run(
        [NODE, str(CLIENTS / "build.js"), str(out), "guide_app.jsx"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return out


def test_guide_banner_shows_is_seen_and_dismissed(guide_bundle: Path, browser: Any) -> None:
    """KnockGuideProvider with a `pk_` key fetches the bundled `welcome-banner` guide, rendered
    for the user; <Banner /> marks it seen; dismissing archives it, in the emulator too."""
    expect = pytest.importorskip("playwright.sync_api").expect
    emu = bundled_emulator()
    with doorstep(emu) as host, static_site(guide_bundle) as origin:
        config = {"apiKey": "pk_test_app", "host": host, "userId": "u1", "channelId": GUIDE_ID}
        (guide_bundle / "index.html").write_text(GUIDE_PAGE.replace("{config}", json.dumps(config)))
        page = browser.new_page()
        problems: list[str] = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda exc: problems.append(str(exc)))
        with page.expect_response(lambda r: r.url.endswith("/guides/messages/seen")) as seen:
            page.goto(origin + "/index.html")
        assert seen.value.ok
        expect(page.locator(".knock-guide-banner__title")).to_have_text("Welcome, Ada")
        [message] = emu.guide_messages("u1", "welcome-banner")
        assert message.seen_at is not None
        assert message.content["title"] == "Welcome, Ada"

        with page.expect_response(lambda r: r.url.endswith("/guides/messages/archived")) as gone:
            page.locator(".knock-guide-banner__close").click()
        assert gone.value.ok
        expect(page.locator(".knock-guide-banner")).to_have_count(0)
        assert emu.guide_messages("u1", "welcome-banner")[0].archived_at is not None
        assert [i.reason for i in emu.guides("u1").ineligible] == ["marked_as_archived"]
        assert problems == []
