"""The plain-text part Knock derives from an HTML email body when no `text_body` is given.

Regular expressions rather than html.parser: this runs once per email and html.parser cost
more than the whole Liquid render of a digest.
"""

from __future__ import annotations

import html as html_lib
import re
from functools import lru_cache

_DROP = re.compile(r"<(head|style|script|title)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_LINK = re.compile(
    r"<a\b[^>]*?\bhref\s*=\s*(?:\"([^\"]*)\"|'([^']*)')[^>]*>(.*?)</a\s*>",
    re.IGNORECASE | re.DOTALL,
)
_IMG_ALT = re.compile(r"<img\b[^>]*?\balt\s*=\s*(?:\"([^\"]*)\"|'([^']*)')[^>]*>", re.IGNORECASE)
_BLOCK = re.compile(
    r"</?(?:p|div|table|tr|h[1-6]|ul|ol|blockquote|pre|section|article|header|footer)\b[^>]*>",
    re.IGNORECASE,
)
_BR = re.compile(r"<br\b[^>]*>", re.IGNORECASE)
_LI = re.compile(r"<li\b[^>]*>", re.IGNORECASE)
_HR = re.compile(r"<hr\b[^>]*>", re.IGNORECASE)
_CELL_END = re.compile(r"</t[dh]\s*>", re.IGNORECASE)  # cells of a row stay apart: `Invoice inv_1`
_TAG = re.compile(r"<[^>]+>")
_SPACES = re.compile(r"[ \t\r\f\v]+")
_BLANKS = re.compile(r"\n{3,}")


def _link(match: re.Match[str]) -> str:
    href = match.group(1) if match.group(1) is not None else match.group(2)
    label = _TAG.sub("", match.group(3)).strip()
    if not href or href.startswith("#") or html_lib.unescape(href) == html_lib.unescape(label):
        return match.group(3)
    return f"{match.group(3)} ({href})" if label else href


@lru_cache(maxsize=512)
def html_to_text(html: str) -> str:
    """Readable text: block elements become paragraphs, links keep their URL in parentheses.
    Cached: digests and notifications send the same body to many recipients."""
    text = _COMMENT.sub("", _DROP.sub("", html))
    text = re.sub(r"\s+", " ", text)  # source whitespace is not meaningful in HTML
    text = _LINK.sub(_link, text)
    text = _IMG_ALT.sub(lambda m: m.group(1) or m.group(2) or "", text)
    text = _HR.sub("\n\n---\n\n", text)
    text = _CELL_END.sub(" ", text)
    text = _BLOCK.sub("\n\n", text)
    text = _BR.sub("\n", text)
    text = _LI.sub("\n- ", text)
    text = html_lib.unescape(_TAG.sub("", text))
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANKS.sub("\n\n", "\n".join(lines)).strip()
