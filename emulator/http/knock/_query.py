"""Query strings the way the Knock SDKs send them, and Knock's cursor pagination.

Python sends lists as `status[]=a&status[]=b` and ranges as `inserted_at[gte]=...`; Node sends
arrays of objects with indices (`recipients[0][id]=x`); the spec documents `inserted_at.gte`.
Every form is accepted. Cursors are opaque: base64url of the boundary item's id, so a page stays
correct when new items arrive at the head of a reverse-chronological list.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from starlette.datastructures import QueryParams

from emulator.http._json_body import JsonBodyError, decode_json
from emulator.http.knock._errors import invalid

T = TypeVar("T")
MAX_PAGE_SIZE = 50
_INDEXED = re.compile(r"^(?P<name>[^\[\]]+)\[(?P<index>\d*)\]$")


def q_list(params: QueryParams, name: str) -> list[str]:
    """Values of `name`, `name[]` and `name[N]` (in N order), comma-free."""
    values = list(params.getlist(name)) + list(params.getlist(f"{name}[]"))
    indexed: list[tuple[int, str]] = []
    for key, value in params.multi_items():
        match = _INDEXED.match(key)
        if match and match["name"] == name and match["index"]:
            indexed.append((int(match["index"]), value))
    values.extend(v for _, v in sorted(indexed))
    return values


def q_str(params: QueryParams, name: str) -> str | None:
    value = params.get(name)
    return value if value else None


def q_choice(params: QueryParams, name: str, choices: Sequence[str], default: str) -> str:
    value = params.get(name) or default
    if value not in choices:
        raise invalid(name, f"must be one of {', '.join(choices)}; got {value!r}")
    return value


def q_bool(params: QueryParams, name: str) -> bool | None:
    value = params.get(name)
    if value is None or value == "":
        return None
    if value.lower() in ("true", "1"):
        return True
    if value.lower() in ("false", "0"):
        return False
    raise invalid(name, f"must be true or false; got {value!r}")


def q_json_object(params: QueryParams, name: str) -> dict[str, Any] | None:
    value = params.get(name)
    if not value:
        return None
    try:
        parsed = decode_json(value.encode())
    except JsonBodyError:
        raise invalid(name, f"must be a JSON object string; got {value!r}") from None
    if not isinstance(parsed, dict):
        raise invalid(name, f"must be a JSON object string; got {value!r}")
    return parsed


def parse_time(name: str, value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise invalid(name, f"must be an ISO-8601 timestamp; got {value!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def q_time_range(params: QueryParams, name: str) -> Callable[[datetime], bool]:
    """A predicate for `name[gt|gte|lt|lte]` (or `name.gt`...); always true when none is given."""
    bounds: list[tuple[str, datetime]] = []
    for op in ("gt", "gte", "lt", "lte"):
        for key in (f"{name}[{op}]", f"{name}.{op}"):
            value = params.get(key)
            if value:
                bounds.append((op, parse_time(key, value)))

    def accept(when: datetime) -> bool:
        for op, bound in bounds:
            if (
                (op == "gt" and not when > bound)
                or (op == "gte" and not when >= bound)
                or (op == "lt" and not when < bound)
                or (op == "lte" and not when <= bound)
            ):
                return False
        return True

    return accept


def encode_cursor(ident: str) -> str:
    return base64.urlsafe_b64encode(ident.encode()).decode().rstrip("=")


def _decode_cursor(name: str, cursor: str) -> str:
    try:
        return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise invalid(
            name, f"{cursor!r} is not a cursor; pass page_info.{name} from a previous page"
        ) from None


def page_size(params: QueryParams) -> int:
    raw = params.get("page_size")
    if raw is None or raw == "":
        return MAX_PAGE_SIZE
    try:
        size = int(raw)
    except ValueError:
        raise invalid("page_size", f"must be an integer from 1 to 50; got {raw!r}") from None
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise invalid("page_size", f"must be from 1 to {MAX_PAGE_SIZE}; got {size}")
    return size


def paginate(
    items: Sequence[T], ident: Callable[[T], str], params: QueryParams
) -> tuple[list[T], dict[str, Any]]:
    """One page of `items` (already filtered and ordered) and Knock's `page_info` for it."""
    size = page_size(params)
    after, before = params.get("after"), params.get("before")
    start = 0
    if after:
        start = _index(items, ident, _decode_cursor("after", after), "after") + 1
        page = list(items[start : start + size])
    elif before:
        end = _index(items, ident, _decode_cursor("before", before), "before")
        start = max(0, end - size)
        page = list(items[start:end])
    else:
        page = list(items[:size])
    end_index = start + len(page)
    info = {
        "__typename": "PageInfo",
        "page_size": size,
        "after": encode_cursor(ident(page[-1])) if page and end_index < len(items) else None,
        "before": encode_cursor(ident(page[0])) if page and start > 0 else None,
    }
    return page, info


def _index(items: Sequence[T], ident: Callable[[T], str], wanted: str, name: str) -> int:
    for index, item in enumerate(items):
        if ident(item) == wanted:
            return index
    raise invalid(
        name,
        "the cursor points at an item that no longer matches this query (deleted or "
        "filtered out); restart from the first page",
    )
