"""Message-status ("refs") conditions against RefStates (step-conditions.mdx, knock.md §3.5)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from emulator.definitions._conditions import parse_conditions
from emulator.definitions._model import Source
from emulator.engine._conditions import ConditionScope, RefState, evaluate

NOW = datetime(2025, 6, 15, 12, 0, tzinfo=UTC)

SKIPPED = RefState("skipped")
QUEUED = RefState("queued")
UNDELIVERED = RefState("undelivered")
BOUNCED = RefState("bounced")
NOT_SENT = RefState("not_sent")
SENT = RefState("sent")
DELIVERED = RefState("delivered")
SEEN = RefState("delivered", frozenset({"seen"}))
READ = RefState("delivered", frozenset({"seen", "read"}))
CLICKED = RefState("delivered", frozenset({"seen", "read", "link_clicked"}))
INTERACTED = RefState("delivered", frozenset({"seen", "read", "interacted"}))
ARCHIVED = RefState("delivered", frozenset({"seen", "archived"}))
STATES = {
    "skipped": SKIPPED,
    "queued": QUEUED,
    "undelivered": UNDELIVERED,
    "bounced": BOUNCED,
    "not_sent": NOT_SENT,
    "sent": SENT,
    "delivered": DELIVERED,
    "seen": SEEN,
    "read": READ,
    "clicked": CLICKED,
    "interacted": INTERACTED,
    "archived": ARCHIVED,
}


def holds(state: RefState | None, attribute: str, operator: str, argument: str) -> bool:
    raw = [{"variable": f"refs.email_1.{attribute}", "operator": operator, "argument": argument}]
    group = parse_conditions(raw, Source("w.json", "steps[3].conditions"))
    refs = {} if state is None else {"email_1": state}
    return evaluate(group, ConditionScope(namespaces={}, refs=refs, now=NOW)).passed


# The dashboard's canonical encodings: (case, attribute, operator, token, states where it holds)
CASES: list[tuple[str, str, str, str, set[str]]] = [
    ("skipped", "delivery_status", "equal_to", "$message.skipped", {"skipped"}),
    ("undelivered", "delivery_status", "equal_to", "$message.undelivered", {"undelivered"}),
    ("bounced", "delivery_status", "equal_to", "$message.bounced", {"bounced"}),
    (
        "sent",
        "delivery_status",
        "greater_than_or_equal_to",
        "$message.sent",
        {"sent", "delivered", "seen", "read", "clicked", "interacted", "archived"},
    ),
    (
        "delivered",
        "delivery_status",
        "greater_than_or_equal_to",
        "$message.delivered",
        {"delivered", "seen", "read", "clicked", "interacted", "archived"},
    ),
    (
        "seen",
        "engagement_status",
        "contains",
        "$message.seen",
        {"seen", "read", "clicked", "interacted", "archived"},
    ),
    (
        "seen_not_read",
        "engagement_status",
        "contains",
        "$message.seen_not_read",
        {"seen", "archived"},
    ),
    ("read", "engagement_status", "contains", "$message.read", {"read", "clicked", "interacted"}),
    (
        "read_not_link_clicked",
        "engagement_status",
        "contains",
        "$message.read_not_link_clicked",
        {"read", "interacted"},
    ),
    ("interacted", "engagement_status", "contains", "$message.interacted", {"interacted"}),
    ("link_clicked", "engagement_status", "contains", "$message.link_clicked", {"clicked"}),
    ("archived", "engagement_status", "contains", "$message.archived", {"archived"}),
]
NEGATIONS = {
    "equal_to": "not_equal_to",
    "greater_than_or_equal_to": "less_than",
    "contains": "not_contains",
}


@pytest.mark.parametrize(
    ("case", "attribute", "operator", "token", "state_name", "expected"),
    [
        (case, attribute, operator, token, name, name in truthy)
        for case, attribute, operator, token, truthy in CASES
        for name in STATES
    ],
)
def test_status_cases(
    case: str, attribute: str, operator: str, token: str, state_name: str, expected: bool
) -> None:
    state = STATES[state_name]
    assert holds(state, attribute, operator, token) is expected, case
    assert holds(state, attribute, NEGATIONS[operator], token) is (not expected), case


@pytest.mark.parametrize(
    ("operator", "token", "expected"),
    [
        ("equal_to", "$message.skipped", True),
        ("not_equal_to", "$message.skipped", False),
        ("less_than", "$message.sent", True),  # "has not been sent"
        ("less_than", "$message.delivered", True),
        ("greater_than_or_equal_to", "$message.sent", False),
        ("equal_to", "$message.undelivered", False),
    ],
)
def test_ref_to_step_that_never_ran_is_skipped(operator: str, token: str, expected: bool) -> None:
    assert holds(None, "delivery_status", operator, token) is expected
    assert holds(None, "engagement_status", "not_contains", "$message.seen") is True
    assert holds(None, "engagement_status", "contains", "$message.seen") is False


@pytest.mark.parametrize(
    ("state_name", "operator", "token", "expected"),
    [
        # legacy combined hierarchy, as 7 official templates use it: "not yet seen"
        ("skipped", "less_than", "$message.seen", True),
        ("queued", "less_than", "$message.seen", True),
        ("delivered", "less_than", "$message.seen", True),
        ("seen", "less_than", "$message.seen", False),
        ("read", "less_than", "$message.seen", False),
        ("archived", "less_than", "$message.seen", False),
        ("read", "greater_than_or_equal_to", "$message.read", True),
        ("seen", "greater_than_or_equal_to", "$message.read", False),
        ("clicked", "equal_to", "$message.interacted", True),  # interacted = link_clicked rank
        ("interacted", "equal_to", "$message.link_clicked", True),
        ("archived", "greater_than", "$message.interacted", True),
        ("bounced", "less_than", "$message.delivery_attempted", True),
        ("undelivered", "less_than", "$message.bounced", True),
        ("not_sent", "greater_than", "$message.queued", True),
        ("sent", "greater_than", "$message.not_sent", True),
        ("skipped", "equal_to", "$message.skipped", True),
        ("skipped", "less_than", "$message.undelivered", True),
        ("sent", "less_than", "$message.unknown_status", False),
        ("sent", "greater_than", "$message.unknown_status", False),
    ],
)
def test_legacy_status_combined_hierarchy(
    state_name: str, operator: str, token: str, expected: bool
) -> None:
    assert holds(STATES[state_name], "status", operator, token) is expected


@pytest.mark.parametrize(
    ("argument", "expected"),
    [
        ("sent", True),  # plain status names work like tokens
        ("delivered", False),
        ("$message.sent", True),
    ],
)
def test_plain_status_names(argument: str, expected: bool) -> None:
    assert holds(SENT, "delivery_status", "greater_than_or_equal_to", argument) is expected


@pytest.mark.parametrize(
    ("variable", "operator", "argument", "expected"),
    [
        ("refs.wait_1.matched", "equal_to", "true", True),
        ("refs.wait_1.signal_variables.plan", "equal_to", "pro", True),
        ("refs.wait_1.signal_variables.missing", "exists", None, False),
        ("refs.other.matched", "empty", None, True),
    ],
)
def test_wait_step_extras(variable: str, operator: str, argument: Any, expected: bool) -> None:
    wait = RefState("skipped", extra={"matched": True, "signal_variables": {"plan": "pro"}})
    raw: dict[str, Any] = {"variable": variable, "operator": operator}
    if argument is not None:
        raw["argument"] = argument
    group = parse_conditions([raw], Source("w.json", "steps[1].conditions"))
    sc = ConditionScope(namespaces={}, refs={"wait_1": wait}, now=NOW)
    assert evaluate(group, sc).passed is expected


def test_fallback_email_when_in_app_unseen() -> None:
    """The documented escalation: in-app, delay, email only if the in-app message is unseen."""
    raw = {
        "all": [
            {
                "variable": "refs.in_app_feed_1.engagement_status",
                "operator": "not_contains",
                "argument": "$message.seen",
            }
        ]
    }
    group = parse_conditions(raw, Source("w.json", "steps[2].conditions"))
    unseen = ConditionScope(namespaces={}, refs={"in_app_feed_1": DELIVERED}, now=NOW)
    seen = ConditionScope(namespaces={}, refs={"in_app_feed_1": SEEN}, now=NOW)
    assert evaluate(group, unseen).passed
    result = evaluate(group, seen)
    assert not result.passed
    assert result.explain() == (
        'refs.in_app_feed_1.engagement_status (= ["seen"]) not_contains "$message.seen" -> false'
    )


def test_ref_explain_shows_status() -> None:
    raw = [
        {"variable": "refs.email_1.status", "operator": "less_than", "argument": "$message.seen"}
    ]
    group = parse_conditions(raw, Source("w.json", "steps[2].conditions"))
    result = evaluate(group, ConditionScope(namespaces={}, refs={"email_1": READ}, now=NOW))
    assert result.explain() == 'refs.email_1.status (= "read") less_than "$message.seen" -> false'
