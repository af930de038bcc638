"""Knock's condition model: parse `{"all"|"any": [...]}` groups, evaluate them against a run scope.

One engine serves step, branch, trigger, channel and preference conditions (knock.md §3.6). The
evaluation records every leaf (value seen, argument seen, result or "not evaluated") because the
Knock debugger shows exactly that, and a test failure should too.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

from emulator.core._errors import DefinitionError, Problem
from emulator.definitions import _operators as ops
from emulator.definitions._model import Condition, ConditionGroup, Source
from emulator.definitions._operators import (
    MISSING,
    NO_ARGUMENT,
    NULL_ARGUMENT_OK,
    OPERATORS,
    SEES_MISSING,
)

__all__ = [
    "MISSING",
    "OPERATORS",
    "PREFIXES",
    "ConditionResult",
    "ConditionScope",
    "Evaluation",
    "RefState",
    "evaluate",
    "parse_conditions",
    "resolve_argument",
    "resolve_variable",
]

# Variable / dynamic-argument prefixes (knock.md §3.2). `event` exists only in wait-for-event
# match conditions and `refs` only in step conditions; a loader may narrow further.
PREFIXES: frozenset[str] = frozenset(
    {"data", "recipient", "actor", "tenant", "vars", "workflow", "run", "refs", "event"}
)
_LEAF_KEYS = frozenset({"variable", "operator", "argument"})


def _suggest(word: str, choices: frozenset[str] | set[str]) -> str | None:
    close = difflib.get_close_matches(word, sorted(choices), n=1, cutoff=0.5)
    return close[0] if close else None


def parse_conditions(raw: Any, source: Source) -> ConditionGroup | None:
    """Read a conditions value as Knock stores it; `None` means "no conditions" (always passes).

    Accepts `{"all": [...]}` / `{"any": [...]}` nested to any depth, `null`, `{}`, an empty group,
    a bare list (preference conditions, always AND) and, leniently, a single leaf object. Every
    problem found is reported at once, each with its JSON path and a fix.
    """
    if raw is None or raw == {}:
        return None
    problems: list[Problem] = []
    if isinstance(raw, list):
        group: ConditionGroup | None = ConditionGroup(
            "all", _parse_items(raw, source, problems), source
        )
    elif isinstance(raw, dict) and "variable" in raw:
        leaf = _parse_leaf(raw, source, problems)
        group = ConditionGroup("all", (leaf,) if leaf else (), source)
    else:
        group = _parse_group(raw, source, problems)
    if problems:
        raise DefinitionError(problems)
    if group is None or not group.items:
        return None
    return group


def _problem(problems: list[Problem], source: Source, message: str, fix: str) -> None:
    problems.append(Problem(source.file, source.path, message, fix))


def _parse_group(raw: Any, source: Source, problems: list[Problem]) -> ConditionGroup | None:
    if not isinstance(raw, dict):
        _problem(
            problems,
            source,
            f"conditions must be an object with `all` or `any`, got {_type_name(raw)}",
            'write {"all": [{"variable": ..., "operator": ..., "argument": ...}]}',
        )
        return None
    keys = [k for k in ("all", "any") if k in raw]
    extra = sorted(set(raw) - {"all", "any"})
    if len(keys) != 1:
        what = "both `all` and `any`" if len(keys) == 2 else "neither `all` nor `any`"
        _problem(
            problems,
            source,
            f"a condition group has {what}"
            + (f" (keys: {', '.join(map(str, sorted(raw)))})" if raw else ""),
            "use exactly one of `all` (every item must hold) or `any` (one item must hold); "
            'nest groups to combine them: {"any": [{"all": [...]}, {"all": [...]}]}',
        )
        return None
    if extra:
        _problem(
            problems,
            source.at(str(extra[0])),
            f"unknown key(s) in a condition group: {', '.join(map(str, extra))}",
            "a group holds only `all` or `any`; remove the other keys",
        )
    mode = keys[0]
    items_raw = raw[mode]
    where = source.at(mode)
    if not isinstance(items_raw, list):
        _problem(
            problems,
            where,
            f"`{mode}` must be a list of conditions, got {_type_name(items_raw)}",
            f'write "{mode}": [{{"variable": ..., "operator": ..., "argument": ...}}]',
        )
        return None
    return ConditionGroup(
        "all" if mode == "all" else "any", _parse_items(items_raw, where, problems), source
    )


def _parse_items(
    items: list[Any], source: Source, problems: list[Problem]
) -> tuple[Condition | ConditionGroup, ...]:
    out: list[Condition | ConditionGroup] = []
    for index, item in enumerate(items):
        where = source.at(f"[{index}]")
        parsed: Condition | ConditionGroup | None
        if isinstance(item, dict) and "variable" in item:
            parsed = _parse_leaf(item, where, problems)
        elif isinstance(item, dict) and ("all" in item or "any" in item):
            parsed = _parse_group(item, where, problems)
        elif isinstance(item, dict):
            _problem(
                problems,
                where,
                "a condition has no `variable`"
                + (f" (keys: {', '.join(map(str, sorted(item)))})" if item else ""),
                'give each condition "variable" (e.g. "data.status"), "operator" and "argument"',
            )
            parsed = None
        else:
            _problem(
                problems,
                where,
                f"a condition must be an object, got {_type_name(item)}",
                'write {"variable": "data.status", "operator": "equal_to", "argument": "paid"}',
            )
            parsed = None
        if parsed is not None:
            out.append(parsed)
    return tuple(out)


def _parse_leaf(raw: dict[str, Any], source: Source, problems: list[Problem]) -> Condition | None:
    count = len(problems)
    variable = raw.get("variable")
    operator = raw.get("operator")
    extra = sorted(str(k) for k in set(raw) - _LEAF_KEYS)
    if extra:
        _problem(
            problems,
            source.at(extra[0]),
            f"unknown key(s) in a condition: {', '.join(extra)}",
            "a condition holds only `variable`, `operator` and `argument`; remove the others",
        )
    if not isinstance(variable, str) or not variable.strip():
        _problem(
            problems,
            source.at("variable"),
            f"`variable` must be a non-empty string, got {_describe(variable)}",
            'write a prefixed path such as "data.status" or "recipient.plan"',
        )
    else:
        prefix = variable.split(".", 1)[0]
        if prefix not in PREFIXES:
            guess = _suggest(prefix, set(PREFIXES))
            hint = f'did you mean "{guess}.{variable.partition(".")[2]}"? ' if guess else ""
            _problem(
                problems,
                source.at("variable"),
                f'unknown variable prefix "{prefix}" in "{variable}"',
                f"{hint}a variable starts with one of: {', '.join(sorted(PREFIXES))}",
            )
    if not isinstance(operator, str):
        _problem(
            problems,
            source.at("operator"),
            f"`operator` must be a string, got {_describe(operator)}",
            f"use one of: {', '.join(sorted(OPERATORS))}",
        )
    elif operator not in OPERATORS:
        guess = _suggest(operator, set(OPERATORS))
        fix = f'did you mean "{guess}"? ' if guess else ""
        if operator == "is_in_random_cohort":
            fix = "is_in_random_cohort is only valid in channel-group rules; "
        _problem(
            problems,
            source.at("operator"),
            f'unknown operator "{operator}"',
            f"{fix}operators are: {', '.join(sorted(OPERATORS))}",
        )
    elif operator not in NO_ARGUMENT:
        argument = raw.get("argument", MISSING)
        if argument is MISSING or (argument is None and operator not in NULL_ARGUMENT_OK):
            _problem(
                problems,
                source.at("argument"),
                f'operator "{operator}" needs an `argument`',
                _argument_fix(operator),
            )
        elif _too_short(argument):
            _problem(
                problems,
                source.at("argument"),
                f'relative timestamp "{argument}" is shorter than Knock\'s 15-minute minimum',
                'use at least "15 minutes ago" / "15 minutes from now"',
            )
        elif operator == "is_timestamp_between" and not _is_pair(argument):
            _problem(
                problems,
                source.at("argument"),
                f'"is_timestamp_between" needs a [start, end] list, got {_describe(argument)}',
                'write "argument": ["2025-01-01T00:00:00Z", "2025-12-31T23:59:59Z"] '
                '(absolute ISO-8601 or dynamic "data.x" paths)',
            )
    if len(problems) != count:
        return None
    return Condition(str(variable), str(operator), raw.get("argument"), source)


def _too_short(argument: Any) -> bool:
    offset = ops.relative_offset(argument) if isinstance(argument, str) else None
    return offset is not None and abs(offset) < ops.MIN_RELATIVE


def _is_pair(argument: Any) -> bool:
    """A [start, end] list, its JSON text, or a dynamic path that may resolve to one."""
    if isinstance(argument, str):
        if argument.split(".", 1)[0] in PREFIXES:
            return True
        try:
            argument = json.loads(argument)
        except ValueError:
            return False
    return isinstance(argument, list) and len(argument) == 2


def _argument_fix(operator: str) -> str:
    if operator.startswith("is_timestamp"):
        return 'give an ISO-8601 timestamp, a path such as "data.due_at", or "7 days ago"'
    if operator in {"contains_all", "not_contains_all"}:
        return 'give a list, e.g. "argument": ["admin", "editor"]'
    if operator.endswith("audience_member"):
        return 'give the audience key, e.g. "argument": "beta-testers"'
    if operator == "is_between":
        return 'give a [low, high] list, e.g. "argument": [1, 10]'
    return 'give the value to compare with, e.g. "argument": "paid" or a path like "data.plan"'


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    return {
        dict: "an object",
        list: "a list",
        str: "a string",
        bool: "a boolean",
        int: "a number",
        float: "a number",
    }.get(type(value), f"a {type(value).__name__}")


def _describe(value: Any) -> str:
    return "nothing" if value is None else _type_name(value)


# -- evaluation types -------------------------------------------------------------------------
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
        return ConditionResult(True, ())
    out: list[Evaluation] = []
    passed = _evaluate_group(group, scope, out)
    return ConditionResult(passed, tuple(out))


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
        if attribute in {"delivery_status", "status"} and operator in ops.COMPARISONS:
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
