"""What each of Knock's condition operators does, one function per operator, over resolved values.

Resolution (namespaces, dynamic arguments, `$message.*` tokens) lives in `_conditions`; this module
only compares values. Every function is total: any JSON value in, a bool out, never an exception,
because a malformed trigger payload must skip a step the way Knock does, not crash a run. The
operator names belong to `emulator.definitions._operators`.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any, Final

from emulator.definitions import MISSING, relative_offset

# -- message-status hierarchies (step-conditions.mdx) ---------------------------------------------
# `skipped` (no message) ranks below every real status, so "has not been sent" holds for it.
DELIVERY_RANK: Final[Mapping[str, int]] = {
    "skipped": -1,
    "undelivered": 0,
    "bounced": 1,
    "delivery_attempted": 2,
    "queued": 3,
    "not_sent": 4,
    "sent": 5,
    "delivered": 6,
}
COMBINED_RANK: Final[Mapping[str, int]] = {
    **DELIVERY_RANK,
    "seen": 7,
    "read": 8,
    "interacted": 9,
    "link_clicked": 9,
    "archived": 10,
}
ENGAGEMENT_STATUSES: Final[frozenset[str]] = frozenset(
    {"seen", "read", "interacted", "link_clicked", "archived"}
)
MESSAGE_TOKEN: Final[str] = "$message."


def message_token(argument: Any) -> str | None:
    """`"$message.sent"` -> `"sent"`; anything else -> None."""
    if isinstance(argument, str) and argument.startswith(MESSAGE_TOKEN):
        return argument[len(MESSAGE_TOKEN) :]
    return None


def compare_ranked(operator: str, status: str, argument: Any, ranks: Mapping[str, int]) -> bool:
    """Hierarchical comparison for `refs.X.delivery_status` / legacy `refs.X.status`."""
    wanted = message_token(argument)
    if wanted is None:
        wanted = argument if isinstance(argument, str) else None
    left = ranks.get(status)
    right = ranks.get(wanted) if wanted is not None else None
    if operator in {"equal_to", "not_equal_to"}:
        same = status == wanted or (left is not None and left == right)
        return same if operator == "equal_to" else not same
    if left is None or right is None:
        return False
    return _ORDER[operator](left, right)


def engagement_contains(statuses: frozenset[str], argument: Any) -> bool:
    """`refs.X.engagement_status contains $message.<case>`, incl. the two compound cases."""
    case = message_token(argument)
    if case is None:
        if isinstance(argument, list):
            return any(isinstance(a, str) and a in statuses for a in argument)
        case = argument if isinstance(argument, str) else None
    if case == "seen_not_read":
        return "seen" in statuses and "read" not in statuses
    if case == "read_not_link_clicked":
        return "read" in statuses and "link_clicked" not in statuses
    return case is not None and case in statuses


# -- value helpers --------------------------------------------------------------------------------
_INT = re.compile(r"-?\d+\Z")
_FLOAT = re.compile(r"-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\Z")


def as_number(value: Any) -> int | float | None:
    """A real number, or a string that spells one; booleans are not numbers."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return None if math.isnan(value) else value
    if isinstance(value, str):
        text = value.strip()
        if _INT.match(text):
            return int(text)
        if _FLOAT.match(text):
            number = float(text)
            return None if math.isinf(number) else number
    return None


def as_text(value: Any) -> str:
    """How a JSON value reads as text: strings as-is, everything else as its JSON spelling."""
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    except (ValueError, TypeError, RecursionError):
        return str(value)


def same_value(left: Any, right: Any) -> bool:
    """JSON equality: `true` is not `1`, `1` is `1.0`, containers compare item by item."""
    if isinstance(left, bool) or isinstance(right, bool):
        return isinstance(left, bool) and isinstance(right, bool) and left is right
    if isinstance(left, int | float) and isinstance(right, int | float):
        return left == right
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(map(same_value, left, right))
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(same_value(left[k], right[k]) for k in left)
    if type(left) is not type(right):
        return False
    try:
        return bool(left == right)
    except Exception:  # exotic objects handed in by a Python caller
        return False


def equal(value: Any, argument: Any) -> bool:
    """`equal_to`: decoded equality, then numeric, then the text fallback (`"true"` == `true`)."""
    if same_value(value, argument):
        return True
    left, right = as_number(value), as_number(argument)
    if (
        left is not None
        and right is not None
        and not (isinstance(value, str) and isinstance(argument, str))
    ):
        return left == right
    if isinstance(value, list | dict) or isinstance(argument, list | dict):
        return False
    return as_text(value) == as_text(argument)


def _ordered(operator: str, value: Any, argument: Any) -> bool:
    left, right = as_number(value), as_number(argument)
    if left is not None and right is not None:
        return _ORDER[operator](left, right)
    if isinstance(value, str) and isinstance(argument, str) and value and argument:
        return _ORDER[operator](value, argument)
    return False


_ORDER: Final[Mapping[str, Callable[[Any, Any], bool]]] = {
    "greater_than": lambda a, b: bool(a > b),
    "less_than": lambda a, b: bool(a < b),
    "greater_than_or_equal_to": lambda a, b: bool(a >= b),
    "less_than_or_equal_to": lambda a, b: bool(a <= b),
}


def _scalar_text(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return as_text(value)
    return None


def contains(value: Any, argument: Any) -> bool:
    """text/text substring, text/list membership (either way round), list/list overlap."""
    if isinstance(value, list):
        if isinstance(argument, list):
            return any(_member(a, value) for a in argument)
        return _member(argument, value)
    if isinstance(argument, list):
        return _member(value, argument) if _scalar_text(value) is not None else False
    text, needle = _scalar_text(value), _scalar_text(argument)
    if text is None or needle is None:
        return False
    return needle in text


def _member(item: Any, items: list[Any]) -> bool:
    return any(equal(existing, item) for existing in items)


def contains_all(value: Any, argument: Any) -> bool:
    """Lists only: every argument item is in the variable list (a scalar argument is one item)."""
    if not isinstance(value, list):
        return False
    wanted = argument if isinstance(argument, list) else [argument]
    return all(_member(a, value) for a in wanted)


def is_empty(value: Any) -> bool:
    """`""`, `null`, `[]`, `{}` or unset. (`{}` is not in Knock's table; an empty object has no
    meaningful value, which is what `not_empty` asks for.)"""
    return value is MISSING or value is None or (isinstance(value, str | list | dict) and not value)


def exists(value: Any) -> bool:
    return value is not MISSING and value is not None


def between(value: Any, argument: Any) -> bool:
    """`is_between` (enum-only, undocumented): numeric low <= value <= high, inclusive."""
    if not isinstance(argument, list) or len(argument) != 2:
        return False
    number, low, high = as_number(value), as_number(argument[0]), as_number(argument[1])
    if number is None or low is None or high is None:
        return False
    return bool(low <= number <= high)


# -- timestamps ----------------------------------------------------------------------------------
@lru_cache(maxsize=4096)
def _parse_iso(text: str) -> datetime | None:
    candidate = text.strip()
    if not candidate or not candidate[0].isdigit():
        return None
    if candidate.endswith(("Z", "z")):
        candidate = candidate[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(candidate)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def as_timestamp(value: Any, now: datetime | None = None) -> datetime | None:
    """ISO-8601 text (a bare date is its midnight UTC; naive times are UTC), a Python datetime or
    date, or, when `now` is given, a relative `"7 days ago"` / `"3 days from now"`."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if not isinstance(value, str):
        return None
    parsed = _parse_iso(value)
    if parsed is None and now is not None:
        offset = relative_offset(value)
        return None if offset is None else now + offset
    return parsed


def timestamp_compare(operator: str, value: Any, argument: Any, now: datetime) -> bool:
    """Every `is_timestamp*` operator; an unparseable side makes the comparison false."""
    moment = as_timestamp(value)
    if operator == "is_timestamp":
        return moment is not None
    if operator == "is_not_timestamp":
        return moment is None
    if moment is None:
        return False
    if operator == "is_timestamp_before_now":
        return moment < now
    if operator == "is_timestamp_on_or_after_now":
        return moment >= now
    if operator == "is_timestamp_between":
        if not isinstance(argument, list) or len(argument) != 2:
            return False
        start, end = as_timestamp(argument[0]), as_timestamp(argument[1])
        return start is not None and end is not None and start <= moment <= end
    other = as_timestamp(argument, now)
    if other is None:
        return False
    if operator.endswith("_date"):
        day, other_day = moment.astimezone(UTC).date(), other.astimezone(UTC).date()
        return day < other_day if operator == "is_timestamp_before_date" else day >= other_day
    if operator == "is_timestamp_before":
        return moment < other
    if operator == "is_timestamp_after":
        return moment > other
    return moment >= other  # is_timestamp_on_or_after


def audience_member(value: Any, argument: Any, audiences: Any) -> bool:
    """Membership of `value` (normally `recipient.id`) in the audience named by `argument`.

    `audiences` is `{audience_key: [member ids]}`; a plain list/set of keys is read as "the
    recipient's own memberships". Anything else (or no audiences at all) means not a member.
    """
    if not isinstance(argument, str) or audiences is None:
        return False
    if isinstance(audiences, Mapping):
        members = audiences.get(argument)
        if isinstance(members, list | set | frozenset | tuple):
            return any(isinstance(m, str | int) and as_text(m) == as_text(value) for m in members)
        return False
    if isinstance(audiences, list | set | frozenset | tuple):
        return argument in audiences
    return False


def apply(operator: str, value: Any, argument: Any, now: datetime, audiences: Any) -> bool:
    """Run one operator on resolved values (unset paths arrive as `MISSING` only for the
    operators in `SEES_MISSING`; the caller passes `""` to the rest)."""
    if operator == "equal_to":
        return equal(value, argument)
    if operator == "not_equal_to":
        return not equal(value, argument)
    if operator in _ORDER:
        return _ordered(operator, value, argument)
    if operator == "contains":
        return contains(value, argument)
    if operator == "not_contains":
        return not contains(value, argument)
    if operator == "contains_all":
        return contains_all(value, argument)
    if operator == "not_contains_all":
        return not contains_all(value, argument)
    if operator == "empty":
        return is_empty(value)
    if operator == "not_empty":
        return not is_empty(value)
    if operator == "exists":
        return exists(value)
    if operator == "not_exists":
        return not exists(value)
    if operator == "is_between":
        return between(value, argument)
    if operator == "is_audience_member":
        return audience_member(value, argument, audiences)
    if operator == "is_not_audience_member":
        return not audience_member(value, argument, audiences)
    if operator.startswith("is_timestamp") or operator == "is_not_timestamp":
        return timestamp_compare(operator, value, argument, now)
    raise ValueError(f"unknown operator {operator!r}")  # parse_conditions rejects these first
