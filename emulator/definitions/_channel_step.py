"""Channel steps: channel type resolution, template checks per channel type, send windows.

Older Knock pulls omit `channel_type`; we then infer it from the channel key (`postmark` is an
email provider) or from the ref prefix the dashboard gives (`email_1`, `in_app_feed_2`), and say so
plainly when neither tells.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Literal, cast

from emulator.core import WEEKDAY_NAMES
from emulator.definitions._common import COMMON_STEP_KEYS, StepBase
from emulator.definitions._fields import (
    Problems,
    as_map,
    check_keys,
    did_you_mean,
    get_enum,
    get_list,
    get_str,
    iter_strings,
    type_name,
)
from emulator.definitions._model import CHANNEL_TYPES, ChannelStep, SendWindow, Source

_CHANNEL_KEYS = (
    *COMMON_STEP_KEYS,
    "channel_key",
    "channel_group_key",
    "channel_type",
    "template",
    "channel_overrides",
    "send_windows",
)
# Provider names and words found in channel keys, most specific first.
_KEY_HINTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("in_app_feed", ("in-app", "in_app", "inapp", "feed")),
    ("email", ("email", "mail", "postmark", "sendgrid", "ses", "resend", "smtp", "sparkpost")),
    ("sms", ("sms", "twilio", "telnyx", "vonage", "nexmo", "plivo", "messagebird", "sinch")),
    ("push", ("push", "apns", "fcm", "expo", "onesignal")),
    ("chat", ("chat", "slack", "teams", "discord", "whatsapp")),
    ("http", ("webhook", "http")),
)
_REF_PREFIXES: tuple[tuple[str, str], ...] = (
    ("in_app_feed", "in_app_feed"),
    ("in_app_guide", "in_app_guide"),
    ("email", "email"),
    ("sms", "sms"),
    ("push", "push"),
    ("chat", "chat"),
    ("webhook", "http"),
    ("http", "http"),
)
_REQUIRED: dict[str, tuple[str, ...]] = {
    "in_app_feed": ("markdown_body",),
    "sms": ("text_body",),
    "push": ("text_body",),
    "http": ("method", "url"),
}
_BLOCK_TYPES = ("markdown", "html", "button_set", "divider", "image", "partial")
_INCLUDE = re.compile(r"\{%-?\s*include\b")


def infer_channel_type(raw: Mapping[str, Any], ref: str) -> tuple[str | None, str]:
    """The channel type and how it was found (for messages), or None when nothing tells."""
    declared = raw.get("channel_type")
    if isinstance(declared, str):
        return declared, "channel_type"
    key = raw.get("channel_key")
    if isinstance(key, str):
        lowered = key.lower()
        for channel_type, hints in _KEY_HINTS:
            if any(h in lowered for h in hints):
                return channel_type, "channel_key"
    for prefix, channel_type in _REF_PREFIXES:
        if ref == prefix or ref.startswith(prefix + "_"):
            return channel_type, "ref"
    return None, ""


def parse_channel(raw: Mapping[str, Any], base: StepBase, probs: Problems) -> ChannelStep | None:
    """A channel step, or None (with the problem recorded) when its channel type is unusable."""
    src = base.source
    check_keys(raw, (*_CHANNEL_KEYS, "guide_key"), src, probs, "a channel step")
    channel_type, how = infer_channel_type(raw, base.ref)
    key = get_str(raw, "channel_key", src, probs)
    group_key = get_str(raw, "channel_group_key", src, probs)
    if key is not None and group_key is not None:
        probs.add(
            src.at("channel_group_key"),
            "a channel step has both `channel_key` and `channel_group_key`",
            "keep exactly one of them",
        )
    if channel_type == "in_app_guide":
        probs.add(
            src,
            f"step `{base.ref}` is an in_app_guide channel step, which is not emulated yet",
            "remove the step (or point the test at a workflow without guides)",
        )
        return None
    if channel_type is None:
        probs.add(
            src,
            f"cannot tell the channel type of step `{base.ref}`: no `channel_type`, a "
            f"`channel_key` ({key!r}) that names no known provider, and a ref without a channel "
            "prefix",
            "add `channel_type` (one of " + ", ".join(CHANNEL_TYPES) + ")",
        )
        return None
    if channel_type not in CHANNEL_TYPES:
        fix = (
            "use `http` (Knock's channel type for webhooks)"
            if channel_type == "webhook"
            else (did_you_mean(channel_type, CHANNEL_TYPES))
        )
        probs.add(src.at(how), f"unknown channel type {channel_type!r}", fix)
        return None
    template = as_map(raw.get("template", {}), src.at("template"), probs, "`template`") or {}
    _check_template(template, channel_type, base.ref, src.at("template"), probs)
    overrides = raw.get("channel_overrides") or {}
    overrides = as_map(overrides, src.at("channel_overrides"), probs, "`channel_overrides`") or {}
    return ChannelStep(
        **base.common(),
        channel_type=channel_type,
        channel_key=key,
        template=dict(template),
        channel_overrides=dict(overrides),
        channel_group_key=group_key,
        send_windows=_send_windows(raw, src, probs),
    )


def _check_template(
    template: Mapping[str, Any], channel_type: str, ref: str, src: Source, probs: Problems
) -> None:
    _check_liquid(template, src, probs)
    if template.get("is_mjml") is True:
        probs.add(
            src.at("is_mjml"),
            f"step `{ref}` uses an MJML template, which is not emulated yet",
            "use an HTML body or visual blocks",
        )
    missing: list[str] = [f for f in _REQUIRED.get(channel_type, ()) if _blank(template.get(f))]
    if channel_type == "email":
        if _blank(template.get("subject")):
            missing.append("subject")
        html, blocks = template.get("html_body"), template.get("visual_blocks")
        if _blank(html) and _blank(blocks):
            missing.append("html_body` or `visual_blocks")
        elif not _blank(html) and not _blank(blocks):
            probs.add(
                src,
                f"email step `{ref}` has both `html_body` and `visual_blocks`",
                "keep exactly one of them",
            )
        if not _blank(blocks):
            _check_blocks(blocks, src.at("visual_blocks"), probs)
    if (
        channel_type == "chat"
        and "markdown_body" in missing
        and not _blank(template.get("json_body"))
    ):
        missing.remove("markdown_body")
    for field in missing:
        probs.add(
            src,
            f"{channel_type} step `{ref}` has no `{field}` in its template",
            f"add `template.{field}` (inline, or `{field.split('`')[0]}@: <file>`)",
        )


def _blank(value: Any) -> bool:
    return value is None or value == "" or value == []


def _check_blocks(blocks: Any, src: Source, probs: Problems) -> None:
    if not isinstance(blocks, list):
        probs.add(src, f"`visual_blocks` must be a list, got {type_name(blocks)}", "write a list")
        return
    for i, item in enumerate(blocks):
        at = src.at(f"[{i}]")
        block = as_map(item, at, probs, "a visual block")
        if block is None:
            continue
        kind = block.get("type")
        if kind not in _BLOCK_TYPES:
            probs.add(
                at.at("type"),
                f"unknown visual block type {kind!r}",
                did_you_mean(str(kind), _BLOCK_TYPES),
            )
        elif kind in ("markdown", "html") and not isinstance(block.get("content"), str):
            probs.add(
                at,
                f"{kind} block has no `content`",
                "add `content` (inline, or `content@: visual_blocks/N.content.md`)",
            )
        elif kind == "partial" and not isinstance(block.get("key"), str):
            probs.add(at, "partial block has no `key`", "add `key: <partial key>`")


def _check_liquid(template: Mapping[str, Any], src: Source, probs: Problems) -> None:
    """Knock rejects `{% include %}`; partials are rendered with `{% render %}` instead."""
    for at, text in iter_strings(template, src):
        if _INCLUDE.search(text):
            probs.add(
                at,
                "`{% include %}` is not supported by Knock",
                "use `{% render 'partial_key', arg: value %}` with a partial",
            )


def _send_windows(raw: Mapping[str, Any], src: Source, probs: Problems) -> tuple[SendWindow, ...]:
    out: list[SendWindow] = []
    for i, item in enumerate(get_list(raw, "send_windows", src, probs)):
        at = src.at("send_windows").at(f"[{i}]")
        window = as_map(item, at, probs, "a send window")
        if window is None:
            continue
        check_keys(window, ("day", "type", "from", "until"), at, probs, "a send window")
        day = get_enum(window, "day", WEEKDAY_NAMES, at, probs, "")
        if not day:
            if window.get("day") is None:
                probs.add(at.at("day"), "`day` is required", "add `day: monday` (... sunday)")
            continue
        kind = get_enum(window, "type", ("send", "do_not_send"), at, probs, "send")
        out.append(
            SendWindow(
                day=day,
                type=cast(Literal["send", "do_not_send"], kind),
                start=get_str(window, "from", at, probs),
                until=get_str(window, "until", at, probs),
            )
        )
    return tuple(out)
