"""Guides: raw dict (guide.json fields, inlined) -> `Guide`, every problem named by JSON path.

Knock's pulled guide.json carries `active` under `__readonly` (the loader copies it up, as for
workflows); a top-level `active` is accepted too. Activation accepts both of Knock's forms:
`activation_url_rules` (pathname `contains` / `equal_to`) and `activation_url_patterns`
(URL Pattern syntax), plus the CLI's `activation_location_rules` (`{directive, pathname}`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from emulator.core import DefinitionError
from emulator.definitions._conditions import parse_conditions
from emulator.definitions._fields import (
    Problems,
    as_map,
    check_keys,
    get_bool,
    get_enum,
    get_list,
    get_str,
    get_str_list,
)
from emulator.definitions._guide_model import Guide, GuideStep, UrlPattern, UrlRule
from emulator.definitions._values import Source
from emulator.definitions._windows import parse_timestamp

_KEY = re.compile(r"^[a-z0-9_-]+$")
_GUIDE_KEYS = (
    "key",
    "name",
    "description",
    "channel_key",
    "type",
    "semver",
    "tags",
    "steps",
    "active",
    "active_from",
    "active_until",
    "target_audience_key",
    "target_property_conditions",
    "activation_url_rules",
    "activation_url_patterns",
    "activation_location_rules",
    "bypass_global_group_limit",
    "priority",
    "archived_at",
    "deleted_at",
    "goal_attachment",
    "guide_audience_conditions",
    "valid",
    "environment",
    "created_at",
    "updated_at",
    "sha",
)
_STEP_KEYS: tuple[str, ...] = ("ref", "name", "schema_key", "schema_semver", "schema_variant_key")
_STEP_KEYS += ("values", "json_schema")
_DIRECTIVES = ("allow", "block")


def parse_guide(
    raw: Mapping[str, Any], *, key: str, file: str, origins: Mapping[str, str]
) -> Guide:
    """A guide (guide.json fields); raises DefinitionError listing every problem."""
    probs = Problems(origins)
    src = Source(file, "")
    if not key or not _KEY.match(key):
        probs.add(
            src,
            f"guide key {key!r} is not valid: use lowercase letters, digits, `-` and `_`",
            "rename the guide directory (Knock uses the directory name as the key)",
        )
    declared = raw.get("key")
    if declared is not None and declared != key:
        probs.add(
            src.at("key"),
            f"`key` is {declared!r} but the guide is stored as {key!r}",
            "make them match (Knock uses the directory name as the key)",
        )
    check_keys(raw, _GUIDE_KEYS, src, probs, "a guide")
    guide = Guide(
        key=key,
        name=get_str(raw, "name", src, probs, required=True) or key,
        channel_key=get_str(raw, "channel_key", src, probs, required=True) or "",
        steps=_steps(raw, src, probs),
        type=get_str(raw, "type", src, probs) or "",
        semver=get_str(raw, "semver", src, probs) or "0.0.1",
        description=get_str(raw, "description", src, probs),
        tags=get_str_list(raw, "tags", src, probs),
        active=get_bool(raw, "active", src, probs, True),
        active_from=_instant(raw, "active_from", src, probs),
        active_until=_instant(raw, "active_until", src, probs),
        target_audience_key=get_str(raw, "target_audience_key", src, probs),
        target_property_conditions=_conditions(raw, src, probs),
        activation_url_rules=_url_rules(raw, src, probs),
        activation_url_patterns=_url_patterns(raw, src, probs),
        bypass_global_group_limit=get_bool(raw, "bypass_global_group_limit", src, probs, False),
        source=src,
    )
    if guide.activation_url_rules and guide.activation_url_patterns:
        probs.add(
            src.at("activation_url_rules"),
            "a guide has activation URL rules or URL patterns, not both (Knock's client "
            "evaluates only the rules then)",
            "keep one of `activation_url_rules` and `activation_url_patterns`",
        )
    probs.raise_if_any()
    return guide


def _steps(raw: Mapping[str, Any], src: Source, probs: Problems) -> tuple[GuideStep, ...]:
    items = get_list(raw, "steps", src, probs)
    if not items and "steps" in raw and isinstance(raw["steps"], list):
        probs.add(src.at("steps"), "a guide needs at least one step", "add a step")
    elif "steps" not in raw:
        probs.add(src.at("steps"), "`steps` is required", "add `steps: [{ref, schema_key, ...}]`")
    out: list[GuideStep] = []
    refs: set[str] = set()
    for i, item in enumerate(items):
        at = src.at("steps").at(f"[{i}]")
        step = as_map(item, at, probs, "a guide step")
        if step is None:
            continue
        check_keys(step, _STEP_KEYS, at, probs, "a guide step")
        ref = get_str(step, "ref", at, probs, required=True) or f"step_{i + 1}"
        if ref in refs:
            probs.add(at.at("ref"), f"step ref `{ref}` is used twice", "give each step its own ref")
        refs.add(ref)
        values = step.get("values", {})
        if not isinstance(values, Mapping):
            probs.add(at.at("values"), "`values` must be an object", "write the content fields")
            values = {}
        out.append(
            GuideStep(
                ref=ref,
                schema_key=get_str(step, "schema_key", at, probs, required=True) or "",
                schema_semver=get_str(step, "schema_semver", at, probs) or "0.0.1",
                schema_variant_key=get_str(step, "schema_variant_key", at, probs) or "default",
                values=dict(values),
                name=get_str(step, "name", at, probs),
            )
        )
    return tuple(out)


def _instant(raw: Mapping[str, Any], key: str, src: Source, probs: Problems) -> datetime | None:
    text = get_str(raw, key, src, probs)
    if text is None:
        return None
    try:
        return parse_timestamp(text)
    except ValueError:
        probs.add(src.at(key), f"`{key}` is not an ISO-8601 time: {text!r}", _ISO_FIX)
        return None


_ISO_FIX = 'write it like "2026-01-31T09:00:00Z"'


def _conditions(raw: Mapping[str, Any], src: Source, probs: Problems) -> Any:
    try:
        return parse_conditions(
            raw.get("target_property_conditions"), src.at("target_property_conditions")
        )
    except DefinitionError as err:
        probs.absorb(err)
        return None


def _entries(raw: Mapping[str, Any], key: str, src: Source, probs: Problems) -> list[Any]:
    """(source, mapping) of each object in the list `key`, with its `directive` checked."""
    out: list[Any] = []
    for i, item in enumerate(get_list(raw, key, src, probs)):
        at = src.at(key).at(f"[{i}]")
        entry = as_map(item, at, probs, f"an item of `{key}`")
        if entry is None:
            continue
        if entry.get("directive") not in _DIRECTIVES:
            probs.add(
                at.at("directive"),
                f"`directive` is {entry.get('directive')!r}",
                'write "allow" or "block"',
            )
        out.append((at, entry))
    return out


def _url_rules(raw: Mapping[str, Any], src: Source, probs: Problems) -> tuple[UrlRule, ...]:
    out: list[UrlRule] = []
    for at, entry in _entries(raw, "activation_url_rules", src, probs):
        check_keys(entry, ("directive", "variable", "operator", "argument"), at, probs, "a rule")
        get_enum(entry, "variable", ("pathname",), at, probs, "pathname")
        operator = get_enum(entry, "operator", ("contains", "equal_to"), at, probs, "")
        if not operator and entry.get("operator") is None:
            probs.add(at.at("operator"), "`operator` is required", 'write "contains" or "equal_to"')
        argument = get_str(entry, "argument", at, probs, required=True) or ""
        out.append(UrlRule(str(entry.get("directive")), operator, argument))
    return tuple(out)


def _url_patterns(raw: Mapping[str, Any], src: Source, probs: Problems) -> tuple[UrlPattern, ...]:
    out: list[UrlPattern] = []
    for key in ("activation_url_patterns", "activation_location_rules"):
        for at, entry in _entries(raw, key, src, probs):
            check_keys(entry, ("directive", "pathname", "search"), at, probs, "a URL pattern")
            pathname = get_str(entry, "pathname", at, probs)
            search = get_str(entry, "search", at, probs)
            if pathname is None and search is None:
                probs.add(at, "a URL pattern needs `pathname` or `search`", 'add "pathname": "/*"')
            out.append(UrlPattern(str(entry.get("directive")), pathname, search))
    return tuple(out)
