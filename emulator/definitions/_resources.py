"""Email layouts and partials: raw dict (layout.json / partial.json fields, inlined) -> model."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Literal, cast

from emulator.definitions._fields import (
    Problems,
    as_map,
    check_keys,
    get_bool,
    get_enum,
    get_list,
    get_str,
)
from emulator.definitions._model import FooterLink, Layout, Partial, Source

_CONTENT = re.compile(r"\{\{-?\s*content\s*-?\}\}")
_LAYOUT_KEYS = ("key", "name", "html_layout", "text_layout", "footer_links", "is_mjml")
_PARTIAL_KEYS = (
    "key",
    "name",
    "type",
    "content",
    "input_schema",
    "description",
    "visual_block_enabled",
    "icon_name",
)
_PARTIAL_TYPES = ("html", "markdown", "text", "json")
_KEY = re.compile(r"^[a-z0-9_-]+$")


def _start(
    raw: Mapping[str, Any],
    kind: str,
    allowed: tuple[str, ...],
    key: str,
    file: str,
    origins: Mapping[str, str],
) -> tuple[Problems, Source]:
    """Begin reading a layout or partial: its problems so far and its source."""
    probs = Problems(origins)
    src = Source(file, "")
    _check_key(raw, key, kind, src, probs)
    check_keys(raw, allowed, src, probs, f"a {kind}")
    return probs, src


def _check_key(raw: Mapping[str, Any], key: str, kind: str, src: Source, probs: Problems) -> None:
    if not key or not _KEY.match(key):
        probs.add(
            src,
            f"{kind} key {key!r} is not valid: use lowercase letters, digits, `-` and `_`",
            f"rename the {kind} directory (Knock layout) or set `key:` (YAML)",
        )
    declared = raw.get("key")
    if declared is not None and declared != key:
        probs.add(
            src.at("key"),
            f"`key` is {declared!r} but the {kind} is stored as {key!r}",
            "make them match (Knock uses the directory name as the key)",
        )


def parse_layout(
    raw: Mapping[str, Any], *, key: str, file: str, origins: Mapping[str, str]
) -> Layout:
    """A layout (layout.json fields); raises DefinitionError listing every problem."""
    probs, src = _start(raw, "layout", _LAYOUT_KEYS, key, file, origins)
    if get_bool(raw, "is_mjml", src, probs, False):
        probs.add(
            src.at("is_mjml"),
            f"layout `{key}` is MJML, which is not emulated yet",
            "use an HTML layout",
        )
    html = get_str(raw, "html_layout", src, probs, required=True) or ""
    text = get_str(raw, "text_layout", src, probs)
    for name, value in (("html_layout", html), ("text_layout", text)):
        if value and not _CONTENT.search(value):
            probs.add(
                src.at(name),
                f"`{name}` of layout `{key}` has no `{{{{ content }}}}`",
                "add `{{ content }}` where the message body goes",
            )
    links = _footer_links(raw, src, probs)
    layout = Layout(
        key=key,
        name=get_str(raw, "name", src, probs, required=True) or key,
        html_layout=html,
        text_layout="{{ content }}" if text is None else text,
        footer_links=links,
        source=src,
    )
    probs.raise_if_any()
    return layout


def _footer_links(raw: Mapping[str, Any], src: Source, probs: Problems) -> tuple[FooterLink, ...]:
    links: list[FooterLink] = []
    for i, item in enumerate(get_list(raw, "footer_links", src, probs)):
        at = src.at("footer_links").at(f"[{i}]")
        link = as_map(item, at, probs, "a footer link")
        if link is not None:
            check_keys(link, ("text", "url"), at, probs, "a footer link")
            text = get_str(link, "text", at, probs, required=True)
            url = get_str(link, "url", at, probs, required=True)
            if text is not None and url is not None:
                links.append(FooterLink(text, url))
    return tuple(links)


def parse_partial(
    raw: Mapping[str, Any], *, key: str, file: str, origins: Mapping[str, str]
) -> Partial:
    """A partial (partial.json fields); raises DefinitionError listing every problem."""
    probs, src = _start(raw, "partial", _PARTIAL_KEYS, key, file, origins)
    kind = get_enum(raw, "type", _PARTIAL_TYPES, src, probs, "")
    if not kind and raw.get("type") is None:
        probs.add(
            src.at("type"), "`type` is required", "add `type: html` (or markdown, text, json)"
        )
    schema: list[Mapping[str, Any]] = []
    for i, item in enumerate(get_list(raw, "input_schema", src, probs)):
        entry = as_map(item, src.at("input_schema").at(f"[{i}]"), probs, "an input_schema item")
        if entry is not None:
            schema.append(dict(entry))
    partial = Partial(
        key=key,
        name=get_str(raw, "name", src, probs, required=True) or key,
        type=cast(Literal["html", "markdown", "text", "json"], kind or "html"),
        content=get_str(raw, "content", src, probs, required=True) or "",
        input_schema=tuple(schema),
        source=src,
    )
    probs.raise_if_any()
    return partial
