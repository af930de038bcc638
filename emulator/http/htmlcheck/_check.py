"""Mailpit's HTML check: which HTML and CSS features an email uses, and how well email clients
support each, from caniemail's data (vendored beside this module with its licence).

The answer has Mailpit's shape (`Warnings`, `Platforms`, `Total`) and scoring: a feature's
support is the share of tested client versions answering yes, partial or no; the total is 100
minus the worst partial and unsupported shares weighted by how many elements use the feature.
Two simplifications: style rules in `<style>` blocks are matched as text (Mailpit first inlines
them onto the elements), and remote stylesheets are never fetched (Doorstep contacts nothing).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from functools import cache
from html import escape
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from emulator.http.htmlcheck._tests import (
    HTML_TESTS,
    IMAGE_TESTS,
    INLINE_CSS_TESTS,
    STYLE_ATTRIBUTES,
    STYLESHEET_TESTS,
    UNIT_TESTS,
)

DATA = Path(__file__).with_name("caniemail-data.json")
_NOTE = re.compile(r" #(\d+)$")
_SELECTOR = re.compile(r'^([a-z0-9-]*)(?:\[([a-z-]+)(?:(\^?=)"([^"]*)")?\])?$')
_CODE = re.compile(r"`([^`]+)`")
_LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")
_BODY_END = re.compile(r"</body>", re.IGNORECASE)
_SKIPPED = ("html", "head", "meta")


@dataclass(slots=True)
class _Element:
    tag: str
    attrs: dict[str, str]


class _Document(HTMLParser):
    """Every start tag with its attributes, and the text of `<style>` blocks."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[_Element] = []
        self.styles: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append(_Element(tag, {k: v or "" for k, v in attrs}))
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.styles.append(data)


def _parse(html: str) -> _Document:
    document = _Document()
    document.feed(html)
    document.close()
    return document


def _matches(element: _Element, selector: str) -> bool:
    """One simple selector: `tag`, `[attr]`, `tag[attr="v"]` or `tag[attr^="v"]`."""
    found = _SELECTOR.match(selector.strip())
    if found is None:
        return False
    tag, attr, op, value = found.groups()
    if tag and element.tag != tag:
        return False
    if attr is None:
        return True
    if attr not in element.attrs:
        return False
    if op == "=":
        return element.attrs[attr] == value
    if op == "^=":
        return element.attrs[attr].startswith(value)
    return True


def _count(document: _Document, selectors: str) -> int:
    parts = selectors.split(",")
    return sum(1 for e in document.elements if any(_matches(e, p) for p in parts))


@cache
def _data() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(DATA.read_text(encoding="utf-8"))
    loaded["by_slug"] = {feature["slug"]: feature for feature in loaded["data"]}
    return loaded


def _markdown(text: str) -> str:
    """caniemail's descriptions and notes use `code` and [links](url) only."""
    html = _CODE.sub(r"<code>\1</code>", escape(text, quote=False))
    return _LINK.sub(r'<a href="\2" target="_blank">\1</a>', html)


def _warning(slug: str, found: int) -> dict[str, Any]:
    data = _data()
    feature = data["by_slug"][slug]
    families, platforms = data["nicenames"]["family"], data["nicenames"]["platform"]
    results: list[dict[str, str]] = []
    tally: Counter[str] = Counter()
    for family, by_platform in feature["stats"].items():
        for platform, versions in by_platform.items():
            for version, support in versions.items():
                verdict = {"y": "yes", "n": "no"}.get(support, "partial")
                tally[verdict] += 1
                note = _NOTE.search(support) if verdict == "partial" else None
                name = f"{families.get(family, family)} {platforms.get(platform, platform)}"
                results.append(
                    {
                        "Name": f"{name} ({version})",
                        "Platform": platform,
                        "Family": family,
                        "Version": version,
                        "Support": verdict,
                        "NoteNumber": note.group(1) if note else "",
                    }
                )
    total = sum(tally.values()) or 1
    notes = feature.get("notes_by_num") or {}
    return {
        "Slug": slug,
        "Title": feature["title"],
        "Description": _markdown(feature.get("description") or ""),
        "URL": feature.get("url") or "",
        "Category": feature.get("category") or "",
        "Tags": feature.get("tags") or [],
        "Keywords": feature.get("keywords") or "",
        "Results": results,
        "NotesByNumber": {number: _markdown(note) for number, note in notes.items()},
        "Score": {
            "Found": found,
            "Supported": tally["yes"] / total * 100,
            "Partial": tally["partial"] / total * 100,
            "Unsupported": tally["no"] / total * 100,
        },
    }


def platforms() -> dict[str, list[str]]:
    """Platform (`desktop-app`, `ios`, ...) -> the client families tested on it, sorted."""
    data = _data()
    families = data["nicenames"]["family"]
    out: dict[str, set[str]] = {}
    for feature in data["data"]:
        for family, by_platform in feature["stats"].items():
            for platform in by_platform:
                out.setdefault(platform, set()).add(families.get(family, family))
    return {platform: sorted(names) for platform, names in out.items()}


def _found(html: str, document: _Document) -> Counter[str]:
    """How often each caniemail feature occurs in the email."""
    found: Counter[str] = Counter()
    for slug, selectors in HTML_TESTS.items():
        if selectors == "body":
            found[slug] += 1 if _BODY_END.search(html) else 0
        else:
            found[slug] += _count(document, selectors)
    for element in document.elements:
        source = element.attrs.get("src") if element.tag == "img" else None
        for slug, test in IMAGE_TESTS.items():
            found[slug] += 1 if source is not None and test.search(source) else 0
    styles = [e.attrs["style"] for e in document.elements if "style" in e.attrs]
    stylesheet = "".join(document.styles)
    declarations = [*styles, *re.findall(r"\{([^{}]*)\}", stylesheet)]
    for slug, test in INLINE_CSS_TESTS.items():
        found[slug] += sum(1 for style in declarations if test.search(style))
    for slug, selector in STYLE_ATTRIBUTES.items():
        found[slug] += 1 if _count(document, selector) else 0
    for slug, test in UNIT_TESTS.items():
        found[slug] += sum(len(test.findall(style)) for style in declarations)
    for slug, test in STYLESHEET_TESTS.items():
        found[slug] += len(test.findall(stylesheet))
    return found


def html_check(html: str) -> dict[str, Any]:
    """Mailpit's HTML check response for one email's HTML."""
    document = _parse(html)
    nodes = sum(1 for e in document.elements if e.tag not in _SKIPPED)
    if not _BODY_END.search(html):
        nodes -= sum(1 for e in document.elements if e.tag == "body")
    nodes = max(nodes, 1)
    warnings = []
    scripts = sum(
        1
        for e in document.elements
        if e.tag == "script"
        and e.attrs.get("type") not in ("application/ld+json", "application/json")
    )
    if scripts:
        warnings.append(_script_warning(scripts))
    known = _data()["by_slug"]
    warnings += [
        _warning(slug, n) for slug, n in _found(html, document).items() if n and slug in known
    ]
    partial = max((_weight(w, "Partial", nodes) for w in warnings), default=0.0)
    unsupported = max((_weight(w, "Unsupported", nodes) for w in warnings), default=0.0)
    warnings.sort(key=lambda w: -(_weight(w, "Partial", nodes) + _weight(w, "Unsupported", nodes)))
    tests = 1 + len(HTML_TESTS) + len(IMAGE_TESTS) + len(INLINE_CSS_TESTS)
    tests += len(STYLE_ATTRIBUTES) + len(UNIT_TESTS) + len(STYLESHEET_TESTS)
    return {
        "Warnings": warnings,
        "Platforms": platforms(),
        "Total": {
            "Tests": tests,
            "Nodes": nodes,
            "Supported": 100 - partial - unsupported,
            "Partial": partial,
            "Unsupported": unsupported,
        },
    }


def _weight(warning: dict[str, Any], kind: str, nodes: int) -> float:
    score = warning["Score"]
    return float(score[kind] * score["Found"] / nodes)


def _script_warning(found: int) -> dict[str, Any]:
    return {
        "Slug": "html-script",
        "Title": "<script> element",
        "Description": "JavaScript is not supported in any email client.",
        "URL": "",
        "Category": "html",
        "Tags": [],
        "Keywords": "",
        "Results": [],
        "NotesByNumber": {},
        "Score": {"Found": found, "Supported": 0, "Partial": 0, "Unsupported": 100},
    }
