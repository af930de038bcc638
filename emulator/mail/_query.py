"""Reading the Mailbox: the keyword filters of `filter` and `wait_for`, and their result list."""

from __future__ import annotations

import re
from collections.abc import Callable
from email.utils import parseaddr
from typing import Any

from emulator.mail._model import CapturedEmail


class EmailList(list[CapturedEmail]):
    """Query results: a plain list, oldest first, with a few conveniences."""

    def latest(self) -> CapturedEmail | None:
        """The newest email of the list, or None when it is empty."""
        return self[-1] if self else None

    @property
    def subjects(self) -> list[str]:
        """Every subject, in list order (handy in assertions)."""
        return [e.subject for e in self]


FILTERS = frozenset(
    {
        "to",
        "from_",
        "subject",
        "subject_contains",
        "subject_regex",
        "tag",
        "workflow",
        "run_id",
        "way_in",
        "since",
    }
)


def matcher(filters: dict[str, Any]) -> Callable[[CapturedEmail], bool]:
    """The test for `Mailbox.filter`/`wait_for` keyword filters; TypeError names unknown ones."""
    unknown = set(filters) - FILTERS
    if unknown:
        raise TypeError(
            f"unknown mail filter(s) {sorted(unknown)}; use {', '.join(sorted(FILTERS))}"
        )
    to = filters.get("to")
    sender = filters.get("from_")
    regex = re.compile(filters["subject_regex"]) if filters.get("subject_regex") else None
    tag = filters.get("tag")

    def check(e: CapturedEmail) -> bool:
        if to is not None and parseaddr(to)[1].lower() not in e.recipients:
            return False
        if sender is not None and parseaddr(sender)[1].lower() != parseaddr(e.from_)[1].lower():
            return False
        if "subject" in filters and e.subject != filters["subject"]:
            return False
        if filters.get("subject_contains") and filters["subject_contains"] not in e.subject:
            return False
        if regex is not None and not regex.search(e.subject):
            return False
        if tag is not None and not _has_tag(e, tag):
            return False
        if "workflow" in filters and e.workflow_key != filters["workflow"]:
            return False
        if "run_id" in filters and filters["run_id"] not in (e.run_id, e.workflow_run_id):
            return False
        if "way_in" in filters and e.way_in != filters["way_in"]:
            return False
        since = filters.get("since")
        if since is not None:
            stamp = e.received_at if e.received_at is not None else e.received_wall_at
            if stamp < since:
                return False
        return True

    return check


def _has_tag(email: CapturedEmail, tag: str) -> bool:
    name, sep, value = tag.partition("=")
    return any(t.get("name") == name and (not sep or t.get("value") == value) for t in email.tags)


def timeout_message(
    name: str, seen: list[CapturedEmail], timeout: float, filters: dict[str, Any]
) -> str:
    """What `wait_for` says when no email matched: the filters and the last 20 that came."""
    wanted = ", ".join(f"{k}={v!r}" for k, v in filters.items()) or "any email"
    lines = [f"  - to {e.to} subject {e.subject!r} ({e.way_in})" for e in seen]
    arrived = "\n".join(lines[-20:]) if lines else "  (nothing arrived)"
    return (
        f"no email matching {wanted} arrived in {name} within {timeout}s; "
        f"{len(lines)} captured:\n{arrived}\n"
        "Check the filters, the recipient routing, or raise the timeout."
    )
