"""Data steps (http_fetch, update_data/user/tenant/object, ai_agent): raw -> model.

Each of them reads or writes data a later step sees; they keep their configuration under
`settings`, as in Knock's workflow.json, and every problem is recorded, not raised.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Literal, cast

from emulator.definitions._common import StepBase, read_settings
from emulator.definitions._fields import (
    Problems,
    as_map,
    check_keys,
    get_enum,
    get_list,
    get_str,
    type_name,
)
from emulator.definitions._model import AiAgentStep, FetchStep, KeyValue, Source, UpdateStep

_HTTP_METHODS = ("get", "post", "put", "delete", "patch")
_FETCH_KEYS = ("method", "url", "headers", "query_params", "body", "response_path", "signing_key")


def parse_fetch(raw: Mapping[str, Any], base: StepBase, probs: Problems) -> FetchStep:
    """An http_fetch: one request whose JSON answer is merged into `data`."""
    src, s = read_settings(raw, base, probs, _FETCH_KEYS, "http_fetch settings")
    method = s.get("method")
    if isinstance(method, str):
        method = method.lower()
    if method not in _HTTP_METHODS:
        probs.add(
            src.at("method"),
            f"`method` is {method!r}; Knock's fetch step supports {', '.join(_HTTP_METHODS)}",
            "set `method: get` (or post, put, delete, patch)",
        )
        method = "get"
    body = s.get("body")
    if isinstance(body, Mapping | list):
        body = json.dumps(body)
    elif body is not None and not isinstance(body, str):
        probs.add(src.at("body"), f"`body` must be a string, got {type_name(body)}", "quote it")
        body = None
    return FetchStep(
        **base.common(),
        method=method,
        url=get_str(s, "url", src, probs, required=True) or "",
        headers=_key_values(s, "headers", src, probs),
        query_params=_key_values(s, "query_params", src, probs),
        body=body,
        response_path=get_str(s, "response_path", src, probs),
        signing_key=get_str(s, "signing_key", src, probs),
    )


def _key_values(
    s: Mapping[str, Any], key: str, src: Source, probs: Problems
) -> tuple[KeyValue, ...] | str:
    """Headers or query parameters: `[{key, value}, ...]`, or one Liquid string as is."""
    value = s.get(key)
    if isinstance(value, str):
        return value
    out: list[KeyValue] = []
    for i, item in enumerate(get_list(s, key, src, probs)):
        at = src.at(key).at(f"[{i}]")
        entry = as_map(item, at, probs, f"`{key}` item")
        if entry is None:
            continue
        check_keys(entry, ("key", "value"), at, probs, f"a `{key}` item")
        k = get_str(entry, "key", at, probs, required=True)
        v = entry.get("value", "")
        if not isinstance(v, str):
            probs.add(at.at("value"), f"`value` must be a string, got {type_name(v)}", "quote it")
            v = ""
        if k is not None:
            out.append(KeyValue(k, v))
    return tuple(out)


def parse_update(raw: Mapping[str, Any], base: StepBase, probs: Problems) -> UpdateStep:
    """update_data merges into `data`; update_user/tenant/object update a recipient's record."""
    src, s = read_settings(raw, base, probs)
    kind = cast(
        Literal["update_data", "update_user", "update_tenant", "update_object"], raw["type"]
    )
    if kind == "update_data":
        check_keys(s, ("data",), src, probs, "update_data settings")
        properties, mode, gid = _json_text(s, "data", src, probs), "current", None
    else:
        allowed: tuple[str, ...] = ("recipient_gid", "update_properties")
        if kind != "update_object":
            allowed = ("recipient_mode", *allowed)
        check_keys(s, allowed, src, probs, f"{kind} settings")
        properties = _json_text(s, "update_properties", src, probs)
        mode = get_enum(s, "recipient_mode", ("current", "reference"), src, probs, "current")
        if kind == "update_object":
            mode = "reference"
        gid = get_str(s, "recipient_gid", src, probs, required=mode == "reference")
    return UpdateStep(
        **base.common(),
        type=kind,
        properties=properties,
        recipient_mode=cast(Literal["current", "reference"], mode),
        recipient_gid=gid,
    )


def _json_text(s: Mapping[str, Any], key: str, src: Source, probs: Problems) -> str:
    value = s.get(key)
    if isinstance(value, Mapping):
        return json.dumps(value)  # YAML users may write the object itself
    text = get_str(s, key, src, probs, required=True)
    return text or "{}"


_AI_AGENT_KEYS = (
    "model",
    "request_prompt",
    "response_type",
    "response_schema",
    "web_search_enabled",
    "halt_on_error",
)


def parse_ai_agent(raw: Mapping[str, Any], base: StepBase, probs: Problems) -> AiAgentStep:
    """An ai_agent: a prompt run on a model, answering text or JSON that fits a schema."""
    src, s = read_settings(raw, base, probs, _AI_AGENT_KEYS, "ai_agent settings")
    kind = get_enum(s, "response_type", ("text", "json"), src, probs, "text")
    schema_text = s.get("response_schema")
    schema: Mapping[str, Any] | None = None
    if kind == "json":
        schema = _response_schema(schema_text, src.at("response_schema"), probs)
    elif schema_text is not None:
        probs.add(
            src.at("response_schema"),
            "`response_schema` is only for `response_type: json`",
            "remove it, or set response_type: json",
        )
    return AiAgentStep(
        **base.common(),
        model=get_str(s, "model", src, probs, required=True) or "",
        request_prompt=get_str(s, "request_prompt", src, probs, required=True) or "",
        response_type=cast(Literal["text", "json"], kind),
        response_schema=schema,
        web_search_enabled=bool(s.get("web_search_enabled") or False),
        halt_on_error=s.get("halt_on_error") is not False,
    )


def _response_schema(value: Any, src: Source, probs: Problems) -> Mapping[str, Any] | None:
    """The JSON schema a `response_type: json` answer must fit: an object, or a JSON string."""
    try:
        loaded = json.loads(value) if isinstance(value, str) else value
    except json.JSONDecodeError as exc:
        loaded = None
        probs.add(src, f"`response_schema` is not JSON ({exc})", "give a JSON schema string")
    if isinstance(loaded, Mapping):
        return loaded
    if value is None or loaded is not None:
        probs.add(
            src,
            "`response_type: json` needs a JSON schema in `response_schema`",
            'add e.g. \'{"type": "object", "properties": {...}}\'',
        )
    return None
