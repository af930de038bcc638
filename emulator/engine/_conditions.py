"""Knock's conditions, the engine half: evaluate a parsed `ConditionGroup` against a run's scope.

The evaluation records every leaf (value seen, argument seen, result or "not evaluated") because
the Knock debugger shows exactly that, and a test failure should too. Parsing is the definition
half, `emulator.definitions._conditions`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

from emulator.core import BoundedCache
from emulator.definitions import (
    COMPARISONS,
    MISSING,
    NO_ARGUMENT,
    PREFIXES,
    SEES_MISSING,
    Condition,
    ConditionGroup,
)
from emulator.engine import _operators as ops

__all__ = [
    "ConditionResult",
    "ConditionScope",
    "Evaluation",
    "RefState",
    "evaluate",
    "resolve_argument",
    "resolve_variable",
]


# -- results ----------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class RefState:
    """What `refs.<step_ref>` sees about an earlier channel step (or a wait step's outputs)."""

    delivery_status: str
    engagement_statuses: frozenset[str] = frozenset()
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ConditionScope:
    """Everything a condition can read: namespaces by prefix, earlier steps' refs, virtual now."""

    namespaces: Mapping[str, Any]
    refs: Mapping[str, RefState]
    now: datetime


@dataclass(frozen=True, slots=True)
class Evaluation:
    """One leaf as the debugger shows it; `result` None means "not evaluated" (short-circuit)."""

    condition: Condition
    variable_value: Any
    argument_value: Any
    result: bool | None


@dataclass(frozen=True, slots=True)
class ConditionResult:
    """The outcome of a condition set plus every leaf's evaluation, in definition order."""

    passed: bool
    evaluations: tuple[Evaluation, ...] = ()

    def explain(self) -> str:
        """One line per leaf: `data.status (= "open") equal_to "paid" -> false`."""
        if not self.evaluations:
            return "no conditions -> true"
        return "\n".join(_explain_line(e) for e in self.evaluations)


def _show(value: Any) -> str:
    if value is MISSING:
        return "unset"
    if isinstance(value, frozenset):
        value = sorted(value)
    return json.dumps(value, default=str, ensure_ascii=False)


def _explain_line(evaluation: Evaluation) -> str:
    leaf = evaluation.condition
    if evaluation.result is None:
        argument = "" if leaf.operator in NO_ARGUMENT else f" {_show(leaf.argument)}"
        return f"{leaf.variable} {leaf.operator}{argument} -> not evaluated"
    seen = evaluation.variable_value
    head = f"{leaf.variable} (unset)" if seen is MISSING else f"{leaf.variable} (= {_show(seen)})"
    argument = ""
    if leaf.operator not in NO_ARGUMENT:
        argument = f" {_show(evaluation.argument_value)}"
        if isinstance(leaf.argument, str) and _show(leaf.argument) != argument.strip():
            argument += f" (from {_show(leaf.argument)})"
    return f"{head} {leaf.operator}{argument} -> {'true' if evaluation.result else 'false'}"


# -- evaluation -------------------------------------------------------------------------------
def evaluate(group: ConditionGroup | None, scope: ConditionScope) -> ConditionResult:
    """Evaluate a condition set the way Knock's debugger reports it: `None` passes; groups
    short-circuit and the leaves they never reached are recorded with result `None`. An empty
    group (`{"any": []}`) has no conditions and passes."""
    if group is None:
        return _NO_CONDITIONS
    out: list[Evaluation] = []
    passed = _evaluate_group(group, scope, out)
    return _shared_result(group, passed, out)


_NO_CONDITIONS = ConditionResult(True, ())
_PLAIN = frozenset({str, int, float, bool, type(None)})
MAX_SHARED_RESULTS = 4096
# Equal outcomes of the same condition group are one shared (immutable) result: runs keep
# their step details, and thousands of equal results would be objects for the GC to scan.
_SHARED: BoundedCache[tuple[Any, ...], tuple[ConditionGroup, ConditionResult]] = BoundedCache(
    MAX_SHARED_RESULTS
)


def _shared_result(group: ConditionGroup, passed: bool, out: list[Evaluation]) -> ConditionResult:
    """The result of `group`, shared with an earlier equal one when every value seen is plain
    (compared with its type: `1` and `true` stay apart)."""
    key: list[Any] = [id(group), passed]
    for e in out:
        value, argument = e.variable_value, e.argument_value
        if value is not MISSING and type(value) not in _PLAIN:
            return ConditionResult(passed, tuple(out))
        if argument is not MISSING and type(argument) not in _PLAIN:
            return ConditionResult(passed, tuple(out))
        key += (type(value), value, type(argument), argument, e.result)
    frozen_key = tuple(key)
    found = _SHARED.get(frozen_key)
    if found is not None and found[0] is group:
        return found[1]
    result = ConditionResult(passed, tuple(out))
    _SHARED.keep(frozen_key, (group, result))
    return result


def _evaluate_group(group: ConditionGroup, scope: ConditionScope, out: list[Evaluation]) -> bool:
    if not group.items:
        return True
    decided: bool | None = None
    for item in group.items:
        if decided is not None:
            _skip(item, out)
            continue
        ok = (
            _evaluate_group(item, scope, out)
            if isinstance(item, ConditionGroup)
            else _evaluate_leaf(item, scope, out)
        )
        if group.mode == "all" and not ok:
            decided = False
        elif group.mode == "any" and ok:
            decided = True
    if decided is None:
        return group.mode == "all"
    return decided


def _skip(item: Condition | ConditionGroup, out: list[Evaluation]) -> None:
    if isinstance(item, ConditionGroup):
        for child in item.items:
            _skip(child, out)
    else:
        out.append(Evaluation(item, MISSING, MISSING, None))


def _evaluate_leaf(leaf: Condition, scope: ConditionScope, out: list[Evaluation]) -> bool:
    operator = leaf.operator
    argument = MISSING if operator in NO_ARGUMENT else resolve_argument(leaf, scope)
    prefix, _, rest = leaf.variable.partition(".")
    if prefix == "refs":
        ref, _, attribute = rest.partition(".")
        state = scope.refs.get(ref, _NOT_RUN)
        if attribute in {"delivery_status", "status"} and operator in COMPARISONS:
            value: Any = (
                state.delivery_status if attribute == "delivery_status" else _combined(state)
            )
            ranks = ops.DELIVERY_RANK if attribute == "delivery_status" else ops.COMBINED_RANK
            result = ops.compare_ranked(operator, value, argument, ranks)
            out.append(Evaluation(leaf, value, argument, result))
            return result
        if attribute == "engagement_status" and operator in {"contains", "not_contains"}:
            statuses = state.engagement_statuses
            hit = ops.engagement_contains(statuses, argument)
            result = hit if operator == "contains" else not hit
            out.append(Evaluation(leaf, statuses, argument, result))
            return result
    value = resolve_variable(leaf.variable, scope)
    seen = value if (value is not MISSING or operator in SEES_MISSING) else ""
    operand = "" if argument is MISSING and operator not in NO_ARGUMENT else argument
    if isinstance(seen, frozenset):
        seen = sorted(seen)
    result = ops.apply(operator, seen, operand, scope.now, scope.namespaces.get("audiences"))
    out.append(Evaluation(leaf, value, operand, result))
    return result


_NOT_RUN = RefState("skipped")


def _combined(state: RefState) -> str:
    """Legacy `refs.X.status`: the highest of the delivery status and every engagement status."""
    best = state.delivery_status
    for status in state.engagement_statuses:
        if ops.COMBINED_RANK.get(status, -2) > ops.COMBINED_RANK.get(best, -2):
            best = status
    return best


# -- resolution -------------------------------------------------------------------------------
def resolve_variable(variable: str, scope: ConditionScope) -> Any:
    """`"<prefix>.<path>"` -> the value at that path, or `MISSING` when any segment is unset."""
    prefix, _, path = variable.partition(".")
    if prefix == "refs":
        ref, _, attribute = path.partition(".")
        state = scope.refs.get(ref, _NOT_RUN)
        head, _, tail = attribute.partition(".")
        if head == "delivery_status" and not tail:
            return state.delivery_status
        if head == "engagement_status" and not tail:
            return state.engagement_statuses
        if head == "status" and not tail:
            return _combined(state)
        return _walk(state.extra, attribute) if attribute else MISSING
    if prefix not in scope.namespaces:
        return MISSING
    root = scope.namespaces[prefix]
    return _walk(root, path) if path else (MISSING if root is None else root)


def _walk(root: Any, path: str) -> Any:
    node = root
    for segment in _segments(path):
        if isinstance(node, Mapping):
            if segment not in node:
                return MISSING
            node = node[segment]
        elif isinstance(node, list | tuple) and _is_index(segment):
            index = int(segment)
            if not -len(node) <= index < len(node):
                return MISSING
            node = node[index]
        else:
            return MISSING
    return node


def _is_index(segment: str) -> bool:
    return segment.isdigit() or (segment.startswith("-") and segment[1:].isdigit())


@lru_cache(maxsize=4096)
def _segments(path: str) -> tuple[str, ...]:
    """`a.b[0].c` and `a.b.0.c` both -> ("a", "b", "0", "c")."""
    return tuple(s for s in path.replace("[", ".").replace("]", "").split(".") if s != "")


_LIQUID = re.compile(r"\s*\{\{\s*([^{}|\s]+)\s*\}\}\s*\Z")


def resolve_argument(leaf: Condition, scope: ConditionScope) -> Any:
    """Static arguments are JSON-decoded; `<prefix>.<path>` strings and `{{ path }}` are dynamic
    (resolved like variables, unset -> `""`); `$message.*` tokens and other text stay as given.
    A list for `is_timestamp_between` has each end resolved the same way."""
    value = _resolve_one(leaf.argument, scope)
    if leaf.operator == "is_timestamp_between" and isinstance(value, list):
        return [_resolve_one(item, scope) for item in value]
    return value


def _resolve_one(argument: Any, scope: ConditionScope) -> Any:
    if not isinstance(argument, str):
        return argument
    decoded = _decode(argument)
    if decoded is not _NOT_JSON:
        return decoded
    liquid = _LIQUID.match(argument)
    path = liquid[1] if liquid else argument
    if path.partition(".")[0] in PREFIXES and "." in path and " " not in path:
        value = resolve_variable(path, scope)
        return "" if value is MISSING else value
    return argument


_NOT_JSON = object()


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


@lru_cache(maxsize=8192)
def _decode_cached(text: str) -> tuple[bool, Any]:
    try:
        return True, json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        return False, None


def _decode(text: str) -> Any:
    ok, value = _decode_cached(text)
    if not ok:
        return _NOT_JSON
    # lists/objects are mutable: hand out a fresh copy so a caller cannot poison the cache
    return json.loads(text) if isinstance(value, list | dict) else value
