"""Markdown to HTML, as Knock does for in-app bodies, email markdown blocks and `from_markdown`."""

from __future__ import annotations

from functools import cache, lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from markdown_it import MarkdownIt


@lru_cache(maxsize=4096)
def markdown_to_html(text: str) -> str:
    """HTML for `text`; cached because digests render the same markdown many times."""
    return str(_parser().render(text))


@cache
def _parser() -> MarkdownIt:
    """CommonMark plus GitHub tables and strikethrough; raw HTML passes through as Knock allows
    it. Built on first use: importing markdown-it is a tenth of what `import emulator` costs,
    and a test that renders no markdown never needs it."""
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": True}).enable("table").enable("strikethrough")
