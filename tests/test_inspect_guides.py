"""The inspector's guides page (`/ui/guides`): the loaded guides, read-only, and each user's
engagement with them (Knock's guide messages: in-app-ui/guides/handling-engagement), escaped."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from starlette.testclient import TestClient

from emulator import Emulator
from emulator.http import create_app

GUIDES = Path(__file__).parent / "data" / "guides"
LOCAL = "http://127.0.0.1"


def rows(page: str, table: str) -> list[list[str]]:
    """The text of each body row's cells of table `#table` (tags stripped)."""
    body = page.split(f'id="{table}"', 1)[1].split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [
        [
            re.sub(r"<[^>]+>", "", cell).strip()
            for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.S)
        ]
        for row in re.findall(r"<tr>(.*?)</tr>", body, flags=re.S)
    ]


def test_guides_page_lists_guides_and_engagement(tmp_path: Path) -> None:
    shutil.copytree(GUIDES, tmp_path, dirs_exist_ok=True)
    banner = tmp_path / "guides" / "welcome-banner" / "guide.json"
    banner.write_text(banner.read_text().replace('"Welcome banner"', '"<b>Welcome</b>"'))
    upsell = tmp_path / "guides" / "pro-upsell" / "guide.json"
    upsell.write_text(upsell.read_text().replace('"active": true', '"active": false'))
    emu = Emulator.from_directory(tmp_path)
    with TestClient(create_app(emu), base_url=LOCAL) as client:
        assert "No engagement yet." in client.get("/ui/guides").text
        emu.mark_guide("u1", "welcome-banner", "seen")
        emu.mark_guide("u1", "welcome-banner", "archived")
        emu.advance(minutes=5)
        emu.mark_guide(
            "<i>u2</i>", "beta-tour", "interacted", step="finish", details={"tenant": "acme"}
        )
        page = client.get("/ui/guides").text
    assert rows(page, "guides") == [
        [
            "beta-tour · Beta tour",
            "tour",
            "in-app-guide",
            "active",
            "intro, finish",
            "audience beta-testers",
        ],
        ["pro-upsell · Pro upsell", "card", "in-app-guide", "inactive", "step_1", "conditions"],
        [
            "welcome-banner · &lt;b&gt;Welcome&lt;/b&gt;",
            "banner",
            "in-app-guide",
            "active",
            "step_1",
            "everyone",
        ],
    ]
    now, later = "2025-01-01T09:00:00Z", "2025-01-01T09:05:00Z"
    assert rows(page, "guide-messages") == [
        ["u1", "welcome-banner", "step_1", "—", now, "—", now],
        [
            "&lt;i&gt;u2&lt;/i&gt;",
            "beta-tour",
            "finish",
            "acme",
            later,
            later,
            "—",
        ],  # interacting sees
    ]
    assert "<b>Welcome</b>" not in page
    assert "<i>u2</i>" not in page
    assert 'href="/ui/guides" class="on"' in page


def test_guides_page_without_guides_says_where_they_come_from() -> None:
    with TestClient(create_app(Emulator()), base_url=LOCAL) as client:
        page = client.get("/ui/guides").text
    assert "No guides. Put them in <code>guides/&lt;key&gt;/guide.json</code>" in page
