"""A layout renders once for many bodies: its `{{ content }}` is a hole filled per email.

Every email with a layout renders that layout around its body. When `content` appears in the
layout only as a bare `{{ content }}`, and the rest of it uses only tags and filters whose output
depends on nothing but the values it reads, the layout's output is a function of those values
(its "surroundings": `footer_links`, `vars`, ...). It is then rendered once per distinct
surroundings with a marker in the hole, and each body is put in the marker's place. Anything
else (partials, translations, dates, the data filters, values that are not plain JSON) renders
in full as before. What a render records (undefined variables, ...) is kept with it and reported
again for every email it wraps.
"""

from __future__ import annotations

import os
import re
from collections.abc import Hashable, Mapping
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from emulator.core import BoundedCache
from emulator.definitions import Layout
from emulator.templates._memo import is_pure, shared_analysis, surroundings

if TYPE_CHECKING:
    from liquid import BoundTemplate

    from emulator.templates._diagnostics import Note

# A value that cannot come from a template: the hole the body goes into.
MARKER = f"\x00doorstep-layout-content-{os.urandom(16).hex()}\x00"

_MARKUP = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.DOTALL)
_CONTENT_WORD = re.compile(r"\bcontent\b")
_BARE_CONTENT = re.compile(r"\{\{-?\s*content\s*-?\}\}")


def hole_roots(template: BoundTemplate, source: str) -> tuple[str, ...] | None:
    """The names besides `content` a layout reads, or None when it must render in full."""
    for markup in _MARKUP.findall(source):
        if _CONTENT_WORD.search(markup) and not _BARE_CONTENT.fullmatch(markup):
            return None  # `content` filtered, tested or assigned: its value matters
    analysis = shared_analysis(template, source)
    if not is_pure(analysis):
        return None
    return tuple(name for name in analysis.globals if name != "content")


@lru_cache(maxsize=256)
def footer_links(layout: Layout) -> list[dict[str, str]]:
    """`footer_links` as layouts read them (one list per layout: templates cannot change it)."""
    return [{"text": link.text, "url": link.url} for link in layout.footer_links]


def layout_surroundings(
    flavour: Hashable, source: str, template: BoundTemplate, scope: Mapping[str, Any]
) -> Hashable | None:
    """The values a layout's shell is kept under besides its footer links, or None when the
    layout renders in full."""
    key = (flavour, source)
    if key not in _HOLES:
        roots = hole_roots(template, source) if "{" in source else None
        _HOLES[key] = None if roots is None else tuple(r for r in roots if r != "footer_links")
    roots = _HOLES[key]
    around = None if roots is None else surroundings(roots, scope)
    if around is None:
        _HOLES[key] = None  # values it cannot be keyed by: it renders in full from now on
    return around


# Per process, as parse trees are (`_environment`): what a layout reads, and its shells by
# (flavour, source, footer links, surroundings). Bounded.
MAX_SHELLS = 1024
SHELLS: BoundedCache[tuple[Hashable, str, Hashable, Hashable], tuple[str, list[Note]]] = (
    BoundedCache(MAX_SHELLS)
)
_HOLES: dict[tuple[Hashable, str], tuple[str, ...] | None] = {}
