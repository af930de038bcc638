"""Knock's condition model, the definition half: parse `{"all"|"any": [...]}` groups into
`ConditionGroup`s, reporting every problem at once with its JSON path and a fix.

Step, branch, trigger, channel and preference conditions share it (knock.md §3.6). Evaluating
them against a run is the engine's half, `emulator.engine._conditions`.
"""

from __future__ import annotations

import json
from typing import Any

from emulator.core import DefinitionError, Problem
from emulator.definitions._model import Condition, ConditionGroup, Source
from emulator.definitions._operators import (
    MIN_RELATIVE,
    MISSING,
    NO_ARGUMENT,
    NULL_ARGUMENT_OK,
    OPERATORS,
    relative_offset,
)

__all__ = ["MISSING", "OPERATORS", "PREFIXES", "parse_conditions"]

# Variable / dynamic-argument prefixes (knock.md §3.2). `event` exists only in wait-for-event
# match conditions and `refs` only in step conditions; a loader may narrow further.
PREFIXES: frozenset[str] = frozenset(
    {"data", "recipient", "actor", "tenant", "vars", "workflow", "run", "refs", "event"}
)
_LEAF_KEYS = frozenset({"variable", "operator", "argument"})


def _suggest(word: str, choices: frozenset[str] | set[str]) -> str | None:
    import difflib  # only to suggest a name after a mistake

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
    _check_variable(variable, source, problems)
    if _check_operator(operator, source, problems) and operator not in NO_ARGUMENT:
        _check_argument(str(operator), raw.get("argument", MISSING), source, problems)
    if len(problems) != count:
        return None
    return Condition(str(variable), str(operator), raw.get("argument"), source)


def _check_variable(variable: Any, source: Source, problems: list[Problem]) -> None:
    if not isinstance(variable, str) or not variable.strip():
        _problem(
            problems,
            source.at("variable"),
            f"`variable` must be a non-empty string, got {_describe(variable)}",
            'write a prefixed path such as "data.status" or "recipient.plan"',
        )
        return
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


def _check_operator(operator: Any, source: Source, problems: list[Problem]) -> bool:
    """True when `operator` is one of Knock's operators; otherwise a problem says which are."""
    if not isinstance(operator, str):
        _problem(
            problems,
            source.at("operator"),
            f"`operator` must be a string, got {_describe(operator)}",
            f"use one of: {', '.join(sorted(OPERATORS))}",
        )
        return False
    if operator in OPERATORS:
        return True
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
    return False


def _check_argument(operator: str, argument: Any, source: Source, problems: list[Problem]) -> None:
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


def _too_short(argument: Any) -> bool:
    offset = relative_offset(argument) if isinstance(argument, str) else None
    return offset is not None and abs(offset) < MIN_RELATIVE


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
