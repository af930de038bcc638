"""Knock preference sets: write semantics, the merge hierarchy, and per-channel-step evaluation.

Preference sets stay plain dicts in Knock's `PreferenceSet` shape (knock.md §5), so what a test
sets is what the API returns and what `recipient.preferences` shows in templates.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from emulator.core._errors import DefinitionError, Problem
from emulator.definitions._conditions import parse_conditions
from emulator.definitions._model import Condition, Source
from emulator.engine._conditions import ConditionScope, evaluate
from emulator.stores._entities import deep_merge

__all__ = [
    "PreferenceDecision",
    "evaluate_preferences",
    "merge_preference_set",
    "resolve_preferences",
    "validate_preference_set",
]

_STRATEGY = "__strategy__"
_PERSISTENCE = "__persistence_strategy__"
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
    chosen = update.get(_PERSISTENCE, strategy)
    body = {k: copy.deepcopy(v) for k, v in update.items() if k != _PERSISTENCE}
    if chosen == "replace" or existing is None:
        return body
    return deep_merge(copy.deepcopy(dict(existing)), body)


# -- resolution ----------------------------------------------------------------------------------
def resolve_preferences(
    *,
    recipient_sets: Mapping[str, Mapping[str, Any]],
    tenant_id: str | None,
    tenant_default: Mapping[str, Any] | None,
    environment_default: Mapping[str, Any] | None,
    tenant_environment_default: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The preference set Knock evaluates for one run (overview.mdx "Merge hierarchy").

    Without a tenant: recipient `default` over the environment default. With a tenant that has a
    default set, or for which the recipient has a per-tenant set: recipient's set with the tenant's
    id, over the tenant default, over the environment default; the recipient's own `default` is
    not part of it ("tenant-level defaults will override a recipient's own default preferences").
    Otherwise the no-tenant hierarchy applies. `tenant_environment_default` (not a Knock concept;
    for callers that keep a separate environment default for tenant runs) sits between the tenant
    default and the environment default.

    A node carrying `"__strategy__": "replace"` at a lower level replaces the higher level's node
    wholesale; the marker stays in the result, as Knock's API shows it. `commercial_subscribed`
    lives on the recipient `default` set and takes precedence over every other level.
    """
    tenant_set = recipient_sets.get(tenant_id) if tenant_id else None
    if tenant_id and (tenant_set is not None or tenant_default is not None):
        layers = [tenant_set, tenant_default, tenant_environment_default, environment_default]
    else:
        layers = [recipient_sets.get("default"), environment_default]
    merged: dict[str, Any] = {}
    for layer in reversed(layers):  # lowest first; each higher layer goes on top
        if layer is not None:
            merged = _merge_over(dict(layer), merged)
    default = recipient_sets.get("default")
    if default is not None and "commercial_subscribed" in default:
        merged["commercial_subscribed"] = copy.deepcopy(default["commercial_subscribed"])
    merged.pop(_PERSISTENCE, None)
    return merged


def _merge_over(higher: Mapping[str, Any], lower: Mapping[str, Any]) -> dict[str, Any]:
    """Higher-level keys win; a lower level only fills gaps, except where a node says replace."""
    result = {k: copy.deepcopy(v) for k, v in higher.items()}
    for key, low in lower.items():
        if key not in higher:
            result[key] = copy.deepcopy(low)
            continue
        high = higher[key]
        if _replaces(low):
            result[key] = copy.deepcopy(low)
        elif isinstance(high, Mapping) and isinstance(low, Mapping) and not _replaces(high):
            result[key] = _merge_over(high, low)
    return result


def _replaces(node: Any) -> bool:
    return isinstance(node, Mapping) and node.get(_STRATEGY) == "replace"


# -- evaluation ----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class PreferenceDecision:
    """Whether a channel step may send; `rule` names the first preference that blocked it and
    `explanation` lists every preference consulted, in evaluation order."""

    allowed: bool
    rule: str | None
    explanation: tuple[str, ...]


def evaluate_preferences(
    merged: Mapping[str, Any],
    *,
    workflow_key: str,
    categories: Sequence[str],
    channel_type: str,
    channel_id: str | None,
    is_commercial: bool,
    scope: ConditionScope,
) -> PreferenceDecision:
    """Evaluate a resolved set for one channel step (overview.mdx "Preference evaluation rules").

    Every preference that exists for the notification must be true; unset means true:
    `commercial_subscribed` (commercial workflows only; it blocks every channel type, since the
    docs say the recipient is "opted out of commercial messages"), `workflows[key]`, each of
    `categories[c]` (any false blocks), and the top-level channel. Inside a workflow or category
    node the nested `channels`/`channel_types` are one more combination. At each level
    `channels[id]`, when present, decides instead of `channel_types[type]`; levels do not override
    each other, so `workflows[x].channel_types.email = true` does not lift a top-level
    `channel_types.email = false` (knock.md §11 Q5, read as "all combinations must be true").
    A preference with `conditions` is true only when all of them pass.
    """
    lines: list[str] = []
    blocked: list[str] = []
    if is_commercial:
        _check(merged, "commercial_subscribed", "commercial_subscribed", scope, lines, blocked)
    workflows = merged.get("workflows")
    if isinstance(workflows, Mapping) and workflow_key in workflows:
        _check_node(
            workflows[workflow_key],
            f"workflows.{workflow_key}",
            channel_type,
            channel_id,
            scope,
            lines,
            blocked,
        )
    category_prefs = merged.get("categories")
    if isinstance(category_prefs, Mapping):
        for category in categories:
            if category in category_prefs:
                _check_node(
                    category_prefs[category],
                    f"categories.{category}",
                    channel_type,
                    channel_id,
                    scope,
                    lines,
                    blocked,
                )
    _check_channel(merged, "", channel_type, channel_id, scope, lines, blocked, implicit=True)
    return PreferenceDecision(not blocked, blocked[0] if blocked else None, tuple(lines))


def _check_node(
    node: Any,
    name: str,
    channel_type: str,
    channel_id: str | None,
    scope: ConditionScope,
    lines: list[str],
    blocked: list[str],
) -> None:
    """A workflow or category entry: a bool, or `{conditions?, channel_types?, channels?}`."""
    holder = {name: node}
    _check(holder, name, name, scope, lines, blocked)
    if isinstance(node, Mapping):
        _check_channel(node, f"{name}.", channel_type, channel_id, scope, lines, blocked)


def _check_channel(
    node: Mapping[str, Any],
    prefix: str,
    channel_type: str,
    channel_id: str | None,
    scope: ConditionScope,
    lines: list[str],
    blocked: list[str],
    *,
    implicit: bool = False,
) -> None:
    channels = node.get("channels")
    if channel_id and isinstance(channels, Mapping) and channel_id in channels:
        _check(channels, channel_id, f"{prefix}channels.{channel_id}", scope, lines, blocked)
        return
    types = node.get("channel_types")
    if isinstance(types, Mapping) and channel_type in types:
        _check(types, channel_type, f"{prefix}channel_types.{channel_type}", scope, lines, blocked)
    elif implicit:
        lines.append(f"{prefix}channel_types.{channel_type}: unset -> true")


def _check(
    holder: Mapping[str, Any],
    key: str,
    name: str,
    scope: ConditionScope,
    lines: list[str],
    blocked: list[str],
) -> None:
    """One preference value: `true`/`false`/unset, or an object whose `conditions` must pass."""
    value = holder.get(key)
    if value is None:
        lines.append(f"{name}: unset -> true")
        return
    if isinstance(value, bool):
        lines.append(f"{name} = {'true' if value else 'false'}")
        if not value:
            blocked.append(f"{name} = false")
        return
    if not isinstance(value, Mapping):
        lines.append(f"{name} = {value!r}: not a boolean or object, counted as unset -> true")
        return
    raw = value.get("conditions")
    if not raw:
        lines.append(f"{name}: settings without conditions -> true")
        return
    group = parse_conditions(raw, Source("preferences", f"{name}.conditions"))
    result = evaluate(group, scope)
    lines.append(f"{name}: conditions {'passed' if result.passed else 'failed'}")
    lines.extend(f"  {line}" for line in result.explain().splitlines())
    if not result.passed:
        failed = "; ".join(_leaf_text(e.condition) for e in result.evaluations if e.result is False)
        blocked.append(f"{name}: conditions failed ({failed})")


def _leaf_text(leaf: Condition) -> str:
    argument = "" if leaf.argument is None else f" {leaf.argument}"
    return f"{leaf.variable} {leaf.operator}{argument}"


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
            if key == _STRATEGY:
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
    allowed = {"conditions", _STRATEGY} | ({"channel_types", "channels"} if nested else set())
    for key in sorted(set(value) - allowed):
        problems.append(
            Problem(
                where,
                f"{path}.{key}",
                f"unknown key `{key}` in a preference",
                f"allowed keys here: {', '.join(sorted(allowed))}",
            )
        )
    if _STRATEGY in value:
        _check_strategy(value[_STRATEGY], f"{path}.{_STRATEGY}", where, problems)
    if "conditions" in value:
        raw = value["conditions"]
        if not isinstance(raw, list):
            problems.append(
                Problem(
                    where,
                    f"{path}.conditions",
                    "preference `conditions` must be a list (always AND-ed)",
                    'write "conditions": [{"variable": ..., "operator": ..., "argument": ...}]',
                )
            )
        else:
            try:
                parse_conditions(raw, Source(where, f"{path}.conditions"))
            except DefinitionError as error:
                problems.extend(error.problems)
            problems.extend(
                Problem(
                    where,
                    f"{path}.conditions[{i}]",
                    "preference conditions are a flat list; `all`/`any` groups are not supported",
                    "put each condition directly in the list (they are AND-ed)",
                )
                for i, item in enumerate(raw)
                if isinstance(item, Mapping) and "variable" not in item
            )
            problems.extend(
                Problem(
                    where,
                    f"{path}.conditions[{i}].variable",
                    "message-status (`refs.`) conditions are not available in preferences",
                    "use data, recipient, actor, tenant, vars or workflow variables",
                )
                for i, item in enumerate(raw)
                if isinstance(item, Mapping) and str(item.get("variable", "")).startswith("refs.")
            )
    if nested:
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
                if key == _STRATEGY:
                    _check_strategy(leaf, f"{path}.{section}.{key}", where, problems)
                else:
                    _validate_value(leaf, f"{path}.{section}.{key}", where, problems)
