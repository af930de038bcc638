"""Markdown to HTML, as Knock does for in-app bodies, email markdown blocks and `from_markdown`."""

from __future__ import annotations

from functools import lru_cache

from markdown_it import MarkdownIt

# CommonMark plus GitHub tables and strikethrough; raw HTML passes through as Knock allows it.
_MD = MarkdownIt("commonmark", {"html": True}).enable("table").enable("strikethrough")


@lru_cache(maxsize=4096)
def markdown_to_html(text: str) -> str:
    """HTML for `text`; cached because digests render the same markdown many times."""
    return str(_MD.render(text))
