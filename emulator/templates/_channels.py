"""Per-channel rendering: which template fields exist and what message content they become."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from emulator.templates._diagnostics import RenderedContent, TemplateError
from emulator.templates._email import render_email
from emulator.templates._fields import FieldRenderer, FieldSource
from emulator.templates._markdown import markdown_to_html

CHANNEL_TYPES = ("email", "in_app_feed", "sms", "push", "chat", "http")


def render_channel(
    renderer: FieldSource,
    channel_type: str,
    template: Mapping[str, Any],
    overrides: Mapping[str, Any],
    context: Mapping[str, Any],
    workflow: str,
    step: str,
) -> RenderedContent:
    """Dispatch on Knock's channel type; unknown types are an error naming the known ones."""
    fr = FieldRenderer(renderer, context, workflow, step)
    if channel_type == "email":
        return fr.content(render_email(fr, template, overrides))
    if channel_type == "in_app_feed":
        return fr.content(_in_app_feed(fr, template))
    if channel_type == "sms":
        return fr.content({"text": fr.text("text_body", template.get("text_body"))})
    if channel_type == "push":
        return fr.content(_push(fr, template))
    if channel_type == "chat":
        return fr.content(_chat(fr, template))
    if channel_type == "http":
        return fr.content(_http(fr, template))
    raise TemplateError(
        f"unknown channel type {channel_type!r}; expected one of {', '.join(CHANNEL_TYPES)}",
        fr.where("channel_type"),
        fix="set channel_type on the step or configure the channel_key's type",
    )


def _in_app_feed(fr: FieldRenderer, template: Mapping[str, Any]) -> dict[str, Any]:
    source = template.get("markdown_body") or ""
    markdown = fr.text("markdown_body", source)
    body = markdown_to_html(markdown)
    url_source = template.get("action_url") or ""
    action_url = fr.text("action_url", url_source)
    blocks: list[dict[str, Any]] = [
        {"type": "markdown", "name": "body", "content": source, "rendered": body},
        {"type": "text", "name": "action_url", "content": url_source, "rendered": action_url},
    ]
    buttons_in = template.get("action_buttons") or []
    if buttons_in:
        buttons = []
        for i, button in enumerate(buttons_in):
            label = fr.text(f"action_buttons[{i}].label", button.get("label", ""))
            action = fr.text(f"action_buttons[{i}].action", button.get("action", ""))
            name = button.get("name") or ("primary" if i == 0 else "secondary")
            buttons.append({"label": label, "action": action, "name": name})
        blocks.append({"type": "button_set", "name": "actions", "buttons": buttons})
    return {"markdown_body": markdown, "body": body, "action_url": action_url, "blocks": blocks}


def _push(fr: FieldRenderer, template: Mapping[str, Any]) -> dict[str, Any]:
    settings = template.get("settings") or {}
    fields: dict[str, Any] = {"title": fr.text("title", template.get("title"))}
    if settings.get("delivery_type", "content") != "silent":
        fields["text"] = fr.text("text_body", template.get("text_body"))
    else:
        fields["delivery_type"] = "silent"
    return fields


def _chat(fr: FieldRenderer, template: Mapping[str, Any]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    if template.get("json_body") is not None:
        fields["json_body"] = fr.text("json_body", template["json_body"])
    else:
        fields["markdown_body"] = fr.text("markdown_body", template.get("markdown_body"))
    if template.get("summary") is not None:
        fields["summary"] = fr.text("summary", template["summary"])
    return fields


def _pairs(fr: FieldRenderer, field: str, items: Any) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    for i, item in enumerate(items or []):
        key = fr.text(f"{field}[{i}].key", item.get("key", ""))
        value = fr.text(f"{field}[{i}].value", item.get("value", ""))
        out.append({"key": key, "value": value})
    return out


def _http(fr: FieldRenderer, template: Mapping[str, Any]) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "method": str(template.get("method") or "post").upper(),
        "url": fr.text("url", template.get("url")),
        "headers": _pairs(fr, "headers", template.get("headers")),
        "body": fr.text("body", template.get("body")),
    }
    if template.get("query_params"):
        fields["query_params"] = _pairs(fr, "query_params", template["query_params"])
    return fields
