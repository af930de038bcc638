"""Email assembly: pre_content, body (HTML or visual blocks), layout, CSS inlining, text part.

Order follows Knock (docs `integrations/email/layouts.mdx`): `settings.pre_content` renders
first so its assigns are in scope everywhere; the body renders; the layout renders with the body
as `{{ content }}` and `footer_links`; CSS is inlined into the final document; the text part is
the rendered `text_body`, or is derived from the HTML body, wrapped in the layout's text layout.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from emulator.definitions import Layout
from emulator.templates._blocks import BASE_BLOCK_CSS, render_visual_blocks
from emulator.templates._diagnostics import TemplateError
from emulator.templates._fields import FieldRenderer
from emulator.templates._text import html_to_text

EMAIL_OVERRIDES = (
    "from_address",
    "from_name",
    "to_address",
    "reply_to_address",
    "cc_address",
    "bcc_address",
    "json_overrides",  # Liquid that renders to a JSON object merged into the provider payload
)


# Stands in for the account's `default` layout when the project did not pull `layouts/default`.
BUILTIN_DEFAULT_LAYOUT = Layout(
    key="default",
    name="Default",
    html_layout=(
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1"></head>'
        '<body style="margin:0;padding:24px;font-family:Helvetica,Arial,sans-serif">'
        "{{ content }}</body></html>"
    ),
)


@lru_cache(maxsize=1)
def _inliner() -> Any:
    """The one CSS inliner. Media queries stay in a <style> tag (inline styles cannot express
    them); remote stylesheets are never fetched, so rendering stays offline and deterministic."""
    import css_inline

    return css_inline.CSSInliner(load_remote_stylesheets=False, keep_at_rules=True)


@lru_cache(maxsize=512)
def inline_css(html: str) -> str:
    """Move <style> rules onto the elements they match (what email clients need). Cached: a
    notification or digest often sends the same document to many recipients."""
    import css_inline  # loaded by the first email rendered

    try:
        return str(_inliner().inline(html))
    except css_inline.InlineError:
        return html  # malformed CSS: send as written, as a provider would receive it


def render_email(
    fr: FieldRenderer, template: Mapping[str, Any], overrides: Mapping[str, Any]
) -> dict[str, Any]:
    """Knock's email message content: subject, html_body, text_body and rendered overrides."""
    settings: Mapping[str, Any] = template.get("settings") or {}
    scope: dict[str, Any] = dict(fr.context)
    pre = settings.get("pre_content")
    if pre:
        _out, assigned = fr.renderer.render_scoped(pre, scope, fr.where("pre_content"), fr.found)
        scope.update(assigned)

    fields: dict[str, Any] = {"subject": fr.text("subject", template.get("subject"), scope)}
    uses_blocks = template.get("visual_blocks") is not None
    if uses_blocks:
        body, assigned = render_visual_blocks(fr, template["visual_blocks"], scope)
    else:
        body, assigned = fr.renderer.render_scoped(
            template.get("html_body") or "", scope, fr.where("html_body"), fr.found
        )
    # Knock shows body assigns to the layout after `{{ content }}`; here they are in scope for
    # the whole layout (a superset: a layout reading them above `{{ content }}` sees values).
    layout_scope = {**scope, **assigned}

    layout_key = settings.get("layout_key")
    layout = None
    if layout_key:
        layout = fr.renderer.layouts.get(layout_key)
        if layout is None and layout_key == "default":
            layout = BUILTIN_DEFAULT_LAYOUT  # every Knock account has one, pulled or not
        if layout is None:
            known = ", ".join(sorted(fr.renderer.layouts)) or "none are defined"
            raise TemplateError(
                f"email layout {layout_key!r} does not exist (known layouts: {known})",
                fr.where("settings.layout_key"),
                fix="add layouts/<key>/layout.json, fix the key, or remove layout_key for none",
            )
    html = body if layout is None else fr.layout(layout, "html_layout", layout_scope, body)
    if uses_blocks:
        html = _inject_head_css(html, BASE_BLOCK_CSS)
    fields["html_body"] = inline_css(html)

    text_source = template.get("text_body")
    text = fr.text("text_body", text_source, scope) if text_source else html_to_text(body)
    if layout is not None and layout.text_layout.strip() != "{{ content }}":
        text = fr.layout(layout, "text_layout", layout_scope, text)
    fields["text_body"] = text.strip() + "\n" if text.strip() else ""

    for name in EMAIL_OVERRIDES:
        value = overrides.get(name)
        if value is not None and value != "":
            fields[name] = fr.text(name, value, scope).strip()
    return fields


def _inject_head_css(html: str, css: str) -> str:
    """Knock injects the visual editor's base CSS at the top of <head>."""
    style = f"<style>{css}</style>"
    lower = html.lower()
    head = lower.find("<head")
    if head >= 0:
        close = lower.find(">", head)
        return html[: close + 1] + style + html[close + 1 :]
    return style + html
