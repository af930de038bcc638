"""Batch and throttle keys: a data path (`invoice_id`, `data.invoice_id`) or a Liquid template."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from emulator.definitions import InvalidWindowError, lookup
from emulator.engine._state import RunState
from emulator.templates import TemplateLocation

if TYPE_CHECKING:
    from emulator.engine._engine import Engine

_PREFIXES = ("data.", "recipient.", "actor.", "tenant.", "vars.")


def field_scope(engine: Engine, rs: RunState) -> Mapping[str, Any]:
    """What a `*_field_path` can point into (data, recipient, actor, tenant, vars), built lazily."""
    return engine.condition_scope(rs).namespaces


def render_key(engine: Engine, rs: RunState, key: str | None, ref: str, field: str) -> str:
    """The key's value as a string ("" when no key is configured); ValueError if unresolvable."""
    if not key:
        return ""
    if "{{" in key or "{%" in key:
        where = TemplateLocation(rs.workflow.key, ref, field)
        return engine.templates.render(key, engine.template_context(rs), where).text.strip()
    path = key if key.startswith(_PREFIXES) else f"data.{key}"
    try:
        value = lookup(field_scope(engine, rs), path)
    except InvalidWindowError:
        raise ValueError(f"{path} is not set in this run") from None
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)
