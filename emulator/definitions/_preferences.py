"""Knock preference sets, the definition half: what a valid set is, and how a write lands on a
stored set (`__persistence_strategy__`). Pure data; evaluation is `emulator.engine._preferences`.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any, Literal

from emulator.core import DefinitionError, Problem, deep_merge
from emulator.definitions._conditions import parse_conditions
from emulator.definitions._model import Source

__all__ = ["PERSISTENCE_KEY", "STRATEGY_KEY", "merge_preference_set", "validate_preference_set"]

STRATEGY_KEY = "__strategy__"  # a node that replaces (not merges into) the higher level's node
PERSISTENCE_KEY = "__persistence_strategy__"  # a write's replace/merge choice, never stored
_SECTIONS = ("channel_types", "channels", "workflows", "categories")


# -- writing -------------------------------------------------------------------------------------
def merge_preference_set(
    existing: Mapping[str, Any] | None,
    update: Mapping[str, Any],
    *,
    strategy: Literal["replace", "merge"],
) -> dict[str, Any]:
    """Apply a write to a stored set. `strategy` is the endpoint's default (preference endpoints:
    replace; inline identify and tenant `settings.preference_set`: merge); a
    `__persistence_strategy__` key in `update` overrides it and is never stored."""
    chosen = update.get(PERSISTENCE_KEY, strategy)
    body = {k: copy.deepcopy(v) for k, v in update.items() if k != PERSISTENCE_KEY}
    if chosen == "replace" or existing is None:
        return body
    return deep_merge(copy.deepcopy(dict(existing)), body)


# -- validation ----------------------------------------------------------------------------------
def validate_preference_set(raw: Any, where: str = "preferences") -> None:
    """Reject a set Knock's API would refuse, before it is stored (so evaluation cannot fail on it).

    Raises DefinitionError naming each bad path (`preferences.workflows.x.conditions[0].operator`).
    """
    problems: list[Problem] = []
    if not isinstance(raw, Mapping):
        problems.append(
            Problem(
                where,
                "",
                f"a preference set must be an object, got {type(raw).__name__}",
                'write {"channel_types": {"email": false}}',
            )
        )
        raise DefinitionError(problems)
    for section in _SECTIONS:
        entries = raw.get(section)
        if entries is None:
            continue
        if not isinstance(entries, Mapping):
            problems.append(
                Problem(
                    where,
                    section,
                    f"`{section}` must be an object",
                    f'write "{section}": {{"<key>": false}}',
                )
            )
            continue
        for key, value in entries.items():
            if key == STRATEGY_KEY:
                _check_strategy(value, f"{section}.{key}", where, problems)
                continue
            nested = section in {"workflows", "categories"}
            _validate_value(value, f"{section}.{key}", where, problems, nested=nested)
    if "commercial_subscribed" in raw:
        _validate_value(raw["commercial_subscribed"], "commercial_subscribed", where, problems)
    if problems:
        raise DefinitionError(problems)


def _check_strategy(value: Any, path: str, where: str, problems: list[Problem]) -> None:
    if value not in {"replace", "merge"}:
        problems.append(
            Problem(
                where,
                path,
                f'`__strategy__` must be "replace" or "merge", got {value!r}',
                'use "replace" to override higher levels, "merge" (default) otherwise',
            )
        )


def _validate_value(
    value: Any, path: str, where: str, problems: list[Problem], *, nested: bool = False
) -> None:
    if value is None or isinstance(value, bool):
        return
    if not isinstance(value, Mapping):
        problems.append(
            Problem(
                where,
                path,
                f"a preference must be true, false or an object, got {value!r}",
                'write true, false or {"conditions": [...]}',
            )
        )
        return
    allowed = {"conditions", STRATEGY_KEY} | ({"channel_types", "channels"} if nested else set())
    for key in sorted(set(value) - allowed):
        problems.append(
            Problem(
                where,
                f"{path}.{key}",
                f"unknown key `{key}` in a preference",
                f"allowed keys here: {', '.join(sorted(allowed))}",
            )
        )
    if STRATEGY_KEY in value:
        _check_strategy(value[STRATEGY_KEY], f"{path}.{STRATEGY_KEY}", where, problems)
    if "conditions" in value:
        _validate_conditions(value["conditions"], f"{path}.conditions", where, problems)
    if nested:
        _validate_nested(value, path, where, problems)


def _validate_conditions(raw: Any, path: str, where: str, problems: list[Problem]) -> None:
    """Preference conditions: a flat, AND-ed list without message-status (`refs.`) variables."""
    if not isinstance(raw, list):
        problems.append(
            Problem(
                where,
                path,
                "preference `conditions` must be a list (always AND-ed)",
                'write "conditions": [{"variable": ..., "operator": ..., "argument": ...}]',
            )
        )
        return
    try:
        parse_conditions(raw, Source(where, path))
    except DefinitionError as error:
        problems.extend(error.problems)
    problems.extend(
        Problem(
            where,
            f"{path}[{i}]",
            "preference conditions are a flat list; `all`/`any` groups are not supported",
            "put each condition directly in the list (they are AND-ed)",
        )
        for i, item in enumerate(raw)
        if isinstance(item, Mapping) and "variable" not in item
    )
    problems.extend(
        Problem(
            where,
            f"{path}[{i}].variable",
            "message-status (`refs.`) conditions are not available in preferences",
            "use data, recipient, actor, tenant, vars or workflow variables",
        )
        for i, item in enumerate(raw)
        if isinstance(item, Mapping) and str(item.get("variable", "")).startswith("refs.")
    )


def _validate_nested(
    value: Mapping[str, Any], path: str, where: str, problems: list[Problem]
) -> None:
    """A workflow or category entry's own `channel_types` and `channels`."""
    for section in ("channel_types", "channels"):
        inner = value.get(section)
        if inner is None:
            continue
        if not isinstance(inner, Mapping):
            problems.append(
                Problem(
                    where,
                    f"{path}.{section}",
                    f"`{section}` must be an object",
                    f'write "{section}": {{"<key>": false}}',
                )
            )
            continue
        for key, leaf in inner.items():
            if key == STRATEGY_KEY:
                _check_strategy(leaf, f"{path}.{section}.{key}", where, problems)
            else:
                _validate_value(leaf, f"{path}.{section}.{key}", where, problems)
