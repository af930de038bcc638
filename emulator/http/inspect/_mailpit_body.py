"""Request bodies of Mailpit's `DELETE` and `PUT /api/v1/messages`, read the way Mailpit reads them.

Mailpit decodes them with Go's `encoding/json` into `struct{ Read bool; IDs []string; Search
string }`: keys match field names case-insensitively (`ids`, `Ids`, `read`), the last duplicate
wins, `null` leaves a field at its zero value and a missing `Read` is false. Go would silently
ignore an unknown key (`{"id": ...}`) and wipe or mark the whole mailbox; we answer 400 instead,
so a body the API does not understand never means "every email".
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, TypeVar

from emulator.http.inspect._inspection import ApiError

T = TypeVar("T")

_FIELDS = {"read": "Read", "ids": "IDs", "search": "Search"}


@dataclass(frozen=True)
class MailpitSelection:
    """What a Mailpit write body asked for: explicit ids, a search, or neither (every email)."""

    ids: tuple[str, ...] = ()
    search: str = ""
    read: bool = False


def parse_selection(body: Any, allowed: tuple[str, ...]) -> MailpitSelection:
    """`body` (decoded JSON) read with Go's key matching; 400 if not understood.

    `allowed` names the fields this route has (`("IDs",)` for DELETE); any other key is refused,
    and so is anything but an object (`null` too, which Go would take for "every email").
    """
    example = "{" + ", ".join(f'"{name}": ...' for name in allowed) + "}"
    if not isinstance(body, dict):
        raise ApiError(400, f"send a JSON object such as {example}; got {json.dumps(body)[:80]}")
    values: dict[str, Any] = {}
    for key, value in body.items():
        field = _FIELDS.get(key.casefold())  # Go's encoding/json: case-insensitive field names
        if field is None or field not in allowed:
            raise ApiError(
                400, f"unknown key {key!r}; this route understands only {', '.join(allowed)}"
            )
        values[field] = value  # like Go, the last of duplicate keys wins
    ids = _ids(values.get("IDs"))
    search = _typed(values.get("Search"), str, "Search", "a search string", "")
    read = _typed(values.get("Read"), bool, "Read", "true or false", False)
    if ids and search.strip():
        raise ApiError(400, "give either `IDs` or `Search`, not both (as Mailpit requires)")
    return MailpitSelection(ids=ids, search=search.strip(), read=read)


def _ids(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(i, str) for i in value):
        raise ApiError(400, f"`IDs` must be a list of message id strings; got {value!r}")
    return tuple(value)


def _typed(value: Any, kind: type[T], name: str, what: str, default: T) -> T:
    if value is None:
        return default
    if not isinstance(value, kind):
        raise ApiError(400, f"`{name}` must be {what}; got {value!r}")
    return value
