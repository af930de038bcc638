"""Knock preference sets, the engine half: the merge hierarchy and per-channel-step evaluation.

Preference sets stay plain dicts in Knock's `PreferenceSet` shape (knock.md §5), so what a test
sets is what the API returns and what `recipient.preferences` shows in templates. Writing and
validating a set is pure data, in `emulator.definitions._preferences`; both names are exported
here too for the callers that import them from this module.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from emulator.definitions import (
    PERSISTENCE_KEY,
    STRATEGY_KEY,
    Condition,
    Source,
    merge_preference_set,
    parse_conditions,
    validate_preference_set,
)
from emulator.engine._conditions import ConditionScope, evaluate

__all__ = [
    "PreferenceDecision",
    "evaluate_preferences",
    "merge_preference_set",
    "resolve_preferences",
    "run_preference_set",
    "template_preferences",
    "validate_preference_set",
]

_SECTIONS = ("workflows", "categories", "channel_types", "channels", "commercial_subscribed")


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
    merged.pop(PERSISTENCE_KEY, None)
    return merged


def run_preference_set(
    recipient_sets: Mapping[str, Mapping[str, Any]],
    tenant_id: str | None,
    tenant: Mapping[str, Any] | None,
    environment_default: Mapping[str, Any] | None,
) -> dict[str, Any] | None:
    """The set a run evaluates (`tenant` as templates see it, with `settings.preference_set`), or
    None when no level sets anything, so every preference is true."""
    tenant_default = None
    if tenant is not None:
        settings = tenant.get("settings") or {}
        tenant_default = settings.get("preference_set") if isinstance(settings, Mapping) else None
    if not recipient_sets and tenant_default is None and environment_default is None:
        return None
    return resolve_preferences(
        recipient_sets=recipient_sets,
        tenant_id=tenant_id,
        tenant_default=tenant_default,
        environment_default=environment_default,
    )


def template_preferences(merged: Mapping[str, Any] | None, set_id: str) -> dict[str, Any]:
    """`recipient.preferences`: the resolved set in Knock's PreferenceSet shape (variables.mdx:
    "a completely resolved PreferenceSet object, including tenant and environment defaults")."""
    out = dict(_EMPTY_SET)
    out["id"] = set_id
    if merged:
        out.update({k: v for k, v in merged.items() if k not in ("id", "__typename")})
    return out


_EMPTY_SET: dict[str, Any] = {"__typename": "PreferenceSet", "id": None, **dict.fromkeys(_SECTIONS)}


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
    return isinstance(node, Mapping) and node.get(STRATEGY_KEY) == "replace"


# -- evaluation ----------------------------------------------------------------------------------
_CONDITION_ENDINGS = (": conditions passed", ": conditions failed")


@dataclass(frozen=True, slots=True)
class PreferenceDecision:
    """Whether a channel step may send; `rule` names the first preference that blocked it and
    `explanation` lists every preference consulted, in evaluation order."""

    allowed: bool
    rule: str | None
    explanation: tuple[str, ...]

    @property
    def conditions_passed(self) -> bool | None:
        """Whether every preference condition consulted passed; None when none was."""
        seen = [line for line in self.explanation if line.endswith(_CONDITION_ENDINGS)]
        return None if not seen else all(line.endswith(" passed") for line in seen)


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
