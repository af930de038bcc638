"""Email visual blocks (`visual_blocks.json`) to HTML, with Knock's CSS class names.

Knock converts markdown blocks at commit time and renders Liquid at send time, so a markdown
block is markdown → HTML first (Liquid markup protected), then Liquid. Assigns made in one block
are visible in the blocks after it, as in one compiled template.
"""

from __future__ import annotations

import html as html_lib
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from emulator.templates._context import BRANDING_DEFAULTS
from emulator.templates._diagnostics import TemplateError
from emulator.templates._fields import FieldRenderer
from emulator.templates._markdown import markdown_to_html

BASE_BLOCK_CSS = (
    ".block-row{width:100%;border-collapse:collapse}"
    ".block-markdown p{margin:0 0 16px 0}"
    ".block-button{display:inline-block;text-decoration:none;font-weight:600}"
    ".block-button--sm{padding:6px 12px;font-size:12px}"
    ".block-button--md{padding:10px 16px;font-size:14px}"
    ".block-button--lg{padding:14px 20px;font-size:16px}"
    ".block-button--outline{background-color:transparent;border-style:solid}"
    ".block-divider{border:0;border-top:1px solid #e5e7eb;margin:0}"
)


_LIQUID = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.DOTALL)
_HOLE = re.compile(r"LIQUIDHOLE(\d+)X")


@lru_cache(maxsize=1024)
def markdown_with_liquid(source: str) -> str:
    """Markdown → HTML leaving `{{ ... }}` / `{% ... %}` untouched for the Liquid pass."""
    kept: list[str] = []

    def hide(match: re.Match[str]) -> str:
        kept.append(match.group(0))
        return f"LIQUIDHOLE{len(kept) - 1}X"

    html = markdown_to_html(_LIQUID.sub(hide, source))
    return _HOLE.sub(lambda m: kept[int(m.group(1))], html)


def render_visual_blocks(
    fr: FieldRenderer, blocks: Any, scope: dict[str, Any]
) -> tuple[str, dict[str, Any]]:
    """The email body from a list of blocks, and the variables its blocks assigned."""
    if not isinstance(blocks, list):
        raise TemplateError(
            f"visual_blocks must be a list of blocks, found {type(blocks).__name__}",
            fr.where("visual_blocks"),
            fix="write visual_blocks.json as a JSON array",
        )
    scope = dict(scope)
    assigned_all: dict[str, Any] = {}
    parts: list[str] = []
    for i, block in enumerate(blocks):
        kind = block.get("type") if isinstance(block, Mapping) else None
        field = f"visual_blocks[{i}]"
        if kind == "markdown":
            source = markdown_with_liquid(str(block.get("content") or ""))
            inner, assigned = fr.renderer.render_scoped(
                source, scope, fr.where(f"{field}.content"), fr.found
            )
            inner = f'<div class="block-markdown">{inner}</div>'
        elif kind == "html":
            inner, assigned = fr.renderer.render_scoped(
                str(block.get("content") or ""), scope, fr.where(f"{field}.content"), fr.found
            )
        elif kind == "button_set":
            inner, assigned = _buttons(fr, block, scope, field), {}
        elif kind == "divider":
            inner, assigned = '<hr class="block-divider" />', {}
        elif kind == "image":
            inner, assigned = _image(fr, block, scope, field), {}
        elif kind == "partial":
            inner, assigned = _partial(fr, block, scope, field), {}
        else:
            raise TemplateError(
                f"unknown visual block type {kind!r}",
                fr.where(f"{field}.type"),
                fix="use one of markdown, html, button_set, divider, image, partial",
            )
        scope.update(assigned)
        assigned_all.update(assigned)
        parts.append(_row(str(kind), block, inner))
    return "\n".join(parts), assigned_all


def _row(kind: str, block: Mapping[str, Any], inner: str) -> str:
    attrs: Mapping[str, Any] = block.get("layout_attrs") or {}
    pad = " ".join(
        f"{int(attrs.get(f'padding_{side}', 0) or 0)}px"
        for side in ("top", "right", "bottom", "left")
    )
    style = f"padding:{pad}"
    align = attrs.get("horizontal_align")
    if align in ("left", "center", "right"):
        style += f";text-align:{align}"
    return (
        f'<table role="presentation" class="block-row block-row--{kind}-v1" width="100%" '
        f'cellpadding="0" cellspacing="0" border="0"><tr><td style="{style}">'
        f"{inner}</td></tr></table>"
    )


def _color(value: Any, scope: Mapping[str, Any]) -> str:
    """A color or a branding token (`primary_color`) resolved from `vars.branding`."""
    text = str(value)
    if text in BRANDING_DEFAULTS:
        variables = scope.get("vars")
        branding = variables.get("branding") if isinstance(variables, Mapping) else None
        if isinstance(branding, Mapping) and branding.get(text):
            return str(branding[text])
        return BRANDING_DEFAULTS[text]
    return text


def _buttons(fr: FieldRenderer, block: Mapping[str, Any], scope: dict[str, Any], field: str) -> str:
    out: list[str] = []
    gap = int((block.get("layout_attrs") or {}).get("column_gap", 8) or 0)
    for j, button in enumerate(block.get("buttons") or []):
        label = fr.text(f"{field}.buttons[{j}].label", button.get("label", ""), scope)
        action = fr.text(f"{field}.buttons[{j}].action", button.get("action", ""), scope)
        variant = button.get("variant") or "solid"
        size_attrs = button.get("size_attrs") or {}
        size = size_attrs.get("size") or "md"
        s = button.get("style_attrs") or {}
        styles = []
        if variant == "solid":
            styles.append(
                f"background-color:{_color(s.get('background_color', 'primary_color'), scope)}"
            )
            styles.append(f"color:{_color(s.get('text_color', 'primary_color_contrast'), scope)}")
        else:
            styles.append(f"color:{_color(s.get('text_color', 'primary_color'), scope)}")
        if s.get("border_color"):
            styles.append(f"border-color:{_color(s['border_color'], scope)}")
        if s.get("border_width") is not None:
            styles.append(f"border-width:{int(s['border_width'])}px")
        if s.get("border_radius") is not None:
            styles.append(f"border-radius:{int(s['border_radius'])}px")
        if size_attrs.get("is_fullwidth"):
            styles.append("display:block;text-align:center")
        if j:
            styles.append(f"margin-left:{gap}px")
        out.append(
            f'<a href="{html_lib.escape(action.strip())}" '
            f'class="block-button block-button--{variant} block-button--{size}" '
            f'style="{";".join(styles)}" target="_blank">{html_lib.escape(label)}</a>'
        )
    return "".join(out)


def _image(fr: FieldRenderer, block: Mapping[str, Any], scope: dict[str, Any], field: str) -> str:
    url = fr.text(f"{field}.url", block.get("url", ""), scope).strip()
    alt = fr.text(f"{field}.alt", block.get("alt", ""), scope)
    width = (block.get("style_attrs") or {}).get("width")
    style = f' style="width:{html_lib.escape(str(width))};max-width:100%"' if width else ""
    img = f'<img src="{html_lib.escape(url)}" alt="{html_lib.escape(alt)}"{style} />'
    if block.get("action"):
        action = fr.text(f"{field}.action", block["action"], scope).strip()
        return f'<a href="{html_lib.escape(action)}" target="_blank">{img}</a>'
    return img


def _partial(fr: FieldRenderer, block: Mapping[str, Any], scope: dict[str, Any], field: str) -> str:
    key = str(block.get("key") or "")
    partial = fr.renderer.partials.get(key)
    if partial is None:
        known = ", ".join(sorted(fr.renderer.partials)) or "none are defined"
        raise TemplateError(
            f"partial {key!r} does not exist (known partials: {known})",
            fr.where(f"{field}.key"),
            fix="add partials/<key>/partial.json or fix the block's key",
        )
    # Inputs from the visual editor are plain text unless they are Liquid themselves.
    attrs = {
        name: fr.text(f"{field}.attrs.{name}", value, scope) if isinstance(value, str) else value
        for name, value in (block.get("attrs") or {}).items()
    }
    source = (
        markdown_with_liquid(partial.content) if partial.type == "markdown" else partial.content
    )
    return fr.text(f"{field} (partial {key!r})", source, {**scope, **attrs})
