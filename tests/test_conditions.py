"""Condition operators, argument resolution, groups/short-circuit, parse errors (knock.md §3)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emulator.core._errors import DefinitionError
from emulator.definitions._conditions import MISSING, OPERATORS, parse_conditions
from emulator.definitions._model import Condition, ConditionGroup, Source
from emulator.engine._conditions import ConditionScope, evaluate

NOW = datetime(2025, 6, 15, 12, 0, tzinfo=UTC)
SRC = Source("workflows/demo/workflow.json", "steps[2].conditions")


def scope(data: Any = None, **namespaces: Any) -> ConditionScope:
    spaces: dict[str, Any] = {"data": data if data is not None else {}}
    spaces.update(namespaces)
    return ConditionScope(namespaces=spaces, refs={}, now=NOW)


def check(operator: str, value: Any, argument: Any = None) -> bool:
    """Evaluate `data.v <operator> argument` with `data.v = value` (MISSING: key absent)."""
    data = {} if value is MISSING else {"v": value}
    leaf = Condition("data.v", operator, argument)
    return evaluate(ConditionGroup("all", (leaf,)), scope(data)).passed


# -- equality --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "argument", "expected"),
    [
        ("pro", "pro", True),
        ("free", "pro", False),
        ("Pro", "pro", False),  # case-sensitive
        (5, "5", True),  # static "5" decodes to 5
        ("5", "5", True),
        ("5", 5, True),  # numeric string vs number
        (5.0, "5", True),
        ("5.0", "5", True),  # "5" decodes to the number 5; "5.0" coerces to it
        ("5.0", '"5"', False),  # a JSON string argument stays text: text comparison
        (True, "true", True),
        ("true", "true", True),  # decoded true vs text "true": text fallback
        (False, "false", True),
        (True, "1", False),  # booleans are not numbers
        (1, "true", False),
        (None, "null", True),  # official templates test null this way
        (MISSING, "null", False),  # unset is "", not null
        (MISSING, "", True),
        ("", "", True),
        (None, "", False),
        ([1, 2], "[1, 2]", True),
        ([1, 2], "[2, 1]", False),
        ({"a": 1}, '{"a": 1}', True),
        ({"a": 1}, '{"a": 2}', False),
        ([True], "[1]", False),
        ("[1, 2]", "[1, 2]", False),  # text variable vs decoded list
        ("paid", "paid ", False),
        (0, "0", True),
        (0, "false", False),
        (10**20, str(10**20), True),
    ],
)
def test_equal_to(value: Any, argument: Any, expected: bool) -> None:
    assert check("equal_to", value, argument) is expected
    assert check("not_equal_to", value, argument) is (not expected)


# -- numeric comparisons -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("operator", "value", "argument", "expected"),
    [
        ("greater_than", 21, "18", True),
        ("greater_than", 18, "18", False),
        ("greater_than", "21", "18", True),  # numeric string coerced
        ("greater_than", "9", "10", False),  # numerically, not lexically
        ("greater_than", 1.5, "1", True),
        ("greater_than", -1, "0", False),
        ("greater_than", MISSING, "0", False),  # "" is not a number
        ("greater_than", None, "0", False),
        ("greater_than", True, "0", False),  # booleans are not numbers
        ("greater_than", [5], "1", False),
        ("greater_than", "abc", "1", False),
        ("greater_than", "b", "a", True),  # two texts: text order
        ("greater_than", "2025-06-02", "2025-06-01", True),
        ("greater_than_or_equal_to", 18, "18", True),
        ("greater_than_or_equal_to", 17, "18", False),
        ("greater_than_or_equal_to", "18.0", 18, True),
        ("less_than", 49, "50", True),
        ("less_than", 50, "50", False),
        ("less_than", "1e2", "101", True),
        ("less_than", MISSING, "5", False),
        ("less_than", "", "5", False),
        ("less_than_or_equal_to", 50, "50", True),
        ("less_than_or_equal_to", 51, "50", False),
        ("less_than_or_equal_to", " 7 ", "7", True),
        ("less_than", "NaN", "5", False),
        ("less_than", "Infinity", "5", False),
    ],
)
def test_numeric_comparisons(operator: str, value: Any, argument: Any, expected: bool) -> None:
    assert check(operator, value, argument) is expected


# -- contains family -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "argument", "expected"),
    [
        ("senior engineer", "engineer", True),
        ("designer", "engineer", False),
        (["vip", "beta"], "vip", True),
        (["beta"], "vip", False),
        ("vip", '["vip", "gold"]', True),  # text in list argument
        ("silver", '["vip", "gold"]', False),
        (["a", "b"], '["b", "c"]', True),  # lists share an item
        (["a"], '["b", "c"]', False),
        ([1, 2, 3], "2", True),  # "2" decodes to 2
        (["1", "2"], "2", True),  # list of texts vs decoded 2
        (12345, "234", True),
        (MISSING, "x", False),
        (None, "x", False),
        ({"x": 1}, "x", False),
        ([], "x", False),
        ("anything", "", True),  # empty needle is a substring of any text
        ([True], "true", True),
        ([1], "true", False),
    ],
)
def test_contains(value: Any, argument: Any, expected: bool) -> None:
    assert check("contains", value, argument) is expected
    assert check("not_contains", value, argument) is (not expected)


@pytest.mark.parametrize(
    ("value", "argument", "expected"),
    [
        (["admin", "editor", "viewer"], '["admin", "editor"]', True),
        (["admin"], '["admin", "editor"]', False),
        (["admin", "editor"], '["admin", "editor"]', True),
        (["admin"], "admin", True),  # scalar argument is one item
        ([], "[]", True),
        ("admin editor", '["admin"]', False),  # lists only
        (MISSING, '["admin"]', False),
        ([1, 2], "[1, 2]", True),
        (["1", "2"], "[1, 2]", True),
    ],
)
def test_contains_all(value: Any, argument: Any, expected: bool) -> None:
    assert check("contains_all", value, argument) is expected
    assert check("not_contains_all", value, argument) is (not expected)


# -- presence --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "empty", "exists"),
    [
        (MISSING, True, False),
        (None, True, False),
        ("", True, True),
        ([], True, True),
        ({}, True, True),
        ("alice", False, True),
        (0, False, True),
        (False, False, True),
        ([None], False, True),
        (" ", False, True),
    ],
)
def test_empty_and_exists(value: Any, empty: bool, exists: bool) -> None:
    assert check("empty", value) is empty
    assert check("not_empty", value) is (not empty)
    assert check("exists", value) is exists
    assert check("not_exists", value) is (not exists)


def test_missing_namespace_and_nested_path() -> None:
    leaf = Condition("tenant.plan", "not_exists")
    no_tenant = ConditionScope(namespaces={"tenant": None}, refs={}, now=NOW)
    assert evaluate(ConditionGroup("all", (leaf,)), no_tenant).passed
    deep = Condition("data.items[1].name", "equal_to", "b")
    deep_dotted = Condition("data.items.1.name", "equal_to", "b")
    data = {"items": [{"name": "a"}, {"name": "b"}]}
    for cond in (deep, deep_dotted):
        assert evaluate(ConditionGroup("all", (cond,)), scope(data)).passed
    out_of_range = Condition("data.items.5.name", "exists")
    assert not evaluate(ConditionGroup("all", (out_of_range,)), scope(data)).passed


# -- timestamps ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("operator", "value", "argument", "expected"),
    [
        ("is_timestamp_before", "2025-06-14T00:00:00Z", "2025-06-15T00:00:00Z", True),
        ("is_timestamp_before", "2025-06-15T00:00:00Z", "2025-06-15T00:00:00Z", False),
        ("is_timestamp_before", "2025-06-15", "2025-06-15T00:00:01Z", True),  # date = midnight
        ("is_timestamp_before", "2025-06-15T10:00:00+02:00", "2025-06-15T09:00:00Z", True),
        ("is_timestamp_before", "2025-06-15T10:00:00", "2025-06-15T10:00:00Z", False),  # naive=UTC
        ("is_timestamp_before", "2025-06-20T12:00:00Z", "7 days from now", True),  # docs example
        ("is_timestamp_before", "2025-06-25T12:00:00Z", "7 days from now", False),
        ("is_timestamp_before", "2025-06-22T12:00:00Z", "7 days from now", False),  # exact
        ("is_timestamp_before", "garbage", "2025-06-15T00:00:00Z", False),
        ("is_timestamp_before", MISSING, "2025-06-15T00:00:00Z", False),
        ("is_timestamp_before", 1718000000, "2025-06-15T00:00:00Z", False),
        ("is_timestamp_before", "2025-06-14T00:00:00Z", "not a time", False),
        ("is_timestamp_on_or_after", "2025-06-05T12:00:00Z", "30 days ago", True),  # docs
        ("is_timestamp_on_or_after", "2025-04-16T12:00:00Z", "30 days ago", False),
        ("is_timestamp_on_or_after", "2025-05-16T12:00:00Z", "30 days ago", True),  # exact
        ("is_timestamp_on_or_after", "2025-06-15T11:30:00Z", "1 hour ago", True),
        ("is_timestamp_on_or_after", "2025-06-15T11:50:00Z", "15 minutes ago", True),
        ("is_timestamp_on_or_after", "2025-06-15T11:40:00Z", "15 minutes ago", False),
        ("is_timestamp_on_or_after", "2025-06-29T12:00:00Z", "2 weeks from now", True),
        ("is_timestamp_on_or_after", "2025-06-15T12:00:00Z", "2025-06-15T12:00:00Z", True),
        ("is_timestamp_after", "2025-06-15T12:00:00Z", "2025-06-15T12:00:00Z", False),
        ("is_timestamp_after", "2025-06-15T12:00:01Z", "2025-06-15T12:00:00Z", True),
        ("is_timestamp_before_date", "2025-06-14T23:59:00Z", "2025-06-15T08:00:00Z", True),
        ("is_timestamp_before_date", "2025-06-15T01:00:00Z", "2025-06-15T08:00:00Z", False),
        ("is_timestamp_on_or_after_date", "2025-06-15T01:00:00Z", "2025-06-15T08:00:00Z", True),
        ("is_timestamp_on_or_after_date", "2025-06-14T23:00:00Z", "2025-06-15T08:00:00Z", False),
        ("is_timestamp_between", "2025-06-15", '["2025-01-01", "2025-12-31"]', True),  # docs
        ("is_timestamp_between", "2024-12-31", '["2025-01-01", "2025-12-31"]', False),
        ("is_timestamp_between", "2025-01-01", '["2025-01-01", "2025-12-31"]', True),  # inclusive
        ("is_timestamp_between", "2025-12-31", '["2025-01-01", "2025-12-31"]', True),
        ("is_timestamp_between", "2025-06-15", ["2025-01-01", "2025-12-31"], True),
        ("is_timestamp_between", "2025-06-15", '["2025-01-01"]', False),
        ("is_timestamp_between", "2025-06-15", '["x", "2025-12-31"]', False),
    ],
)
def test_timestamp_operators(operator: str, value: Any, argument: Any, expected: bool) -> None:
    assert check(operator, value, argument) is expected


@pytest.mark.parametrize(
    ("operator", "value", "expected"),
    [
        ("is_timestamp_before_now", "2025-06-15T11:59:59Z", True),
        ("is_timestamp_before_now", "2025-06-15T12:00:00Z", False),
        ("is_timestamp_before_now", "2030-01-01T00:00:00Z", False),
        ("is_timestamp_before_now", MISSING, False),
        ("is_timestamp_on_or_after_now", "2025-06-15T12:00:00Z", True),
        ("is_timestamp_on_or_after_now", "2030-01-01T00:00:00Z", True),
        ("is_timestamp_on_or_after_now", "2020-01-01T00:00:00Z", False),
        ("is_timestamp_on_or_after_now", "", False),
        ("is_timestamp", "2025-06-15T12:00:00Z", True),
        ("is_timestamp", "2025-06-15", True),
        ("is_timestamp", "tomorrow", False),
        ("is_timestamp", 5, False),
        ("is_timestamp", MISSING, False),
        ("is_not_timestamp", "tomorrow", True),
        ("is_not_timestamp", "2025-06-15T12:00:00Z", False),
        ("is_not_timestamp", MISSING, True),
    ],
)
def test_timestamp_unary_operators(operator: str, value: Any, expected: bool) -> None:
    assert check(operator, value) is expected


def test_timestamp_dynamic_arguments() -> None:
    data = {"due": "2025-06-10T00:00:00Z", "start": "2025-06-01", "end": "2025-06-30"}
    recipient = {"subscription_ends_at": "2025-07-01T00:00:00Z"}
    cases = [
        (Condition("data.due", "is_timestamp_before", "recipient.subscription_ends_at"), True),
        (
            Condition("data.due", "is_timestamp_before", "{{ recipient.subscription_ends_at }}"),
            True,
        ),
        (Condition("data.due", "is_timestamp_between", '["data.start", "data.end"]'), True),
        (Condition("data.due", "is_timestamp_between", ["data.end", "data.start"]), False),
        (Condition("data.due", "is_timestamp_before", "data.missing"), False),
    ]
    for leaf, expected in cases:
        got = evaluate(ConditionGroup("all", (leaf,)), scope(data, recipient=recipient)).passed
        assert got is expected, leaf


# -- is_between, audiences --------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "argument", "expected"),
    [
        (5, "[1, 10]", True),
        (1, "[1, 10]", True),
        (10, "[1, 10]", True),
        (11, "[1, 10]", False),
        ("5", "[1, 10]", True),
        ("x", "[1, 10]", False),
        (5, "[1]", False),
        (5, "5", False),
        (MISSING, "[1, 10]", False),
    ],
)
def test_is_between(value: Any, argument: Any, expected: bool) -> None:
    assert check("is_between", value, argument) is expected


@pytest.mark.parametrize(
    ("audiences", "expected"),
    [
        ({"beta": ["u1", "u2"]}, True),
        ({"beta": ["u2"]}, False),
        ({"other": ["u1"]}, False),
        (["beta", "gamma"], True),  # the recipient's own memberships
        (["gamma"], False),
        (None, False),
        ("beta", False),
    ],
)
def test_audience_membership(audiences: Any, expected: bool) -> None:
    spaces: dict[str, Any] = {"recipient": {"id": "u1"}}
    if audiences is not None:
        spaces["audiences"] = audiences
    sc = ConditionScope(namespaces=spaces, refs={}, now=NOW)
    member = Condition("recipient.id", "is_audience_member", "beta")
    non_member = Condition("recipient.id", "is_not_audience_member", "beta")
    assert evaluate(ConditionGroup("all", (member,)), sc).passed is expected
    assert evaluate(ConditionGroup("all", (non_member,)), sc).passed is (not expected)


# -- argument resolution -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("variable", "argument", "expected"),
    [
        ("recipient.muted_dinos", "data.dino", True),  # docs' preference-condition example
        ("data.flag", "true", True),
        ("data.count", "5", True),
        ("data.nothing", "null", True),
        ("data.tags", '["a", "b"]', True),
        ("data.obj", '{"k": "v"}', True),
        ("data.word", "pro", True),
        ("vars.region", "eu", True),
        ("workflow.categories", "billing", True),
        ("run.total_activities", "3", True),
        ("actor.name", "recipient.name", True),  # dynamic argument from another namespace
        ("data.word", "data.missing", False),  # dynamic unset -> ""
        ("data.empty", "data.missing", True),
    ],
)
def test_argument_resolution(variable: str, argument: str, expected: bool) -> None:
    operator = "contains" if variable.endswith(("categories", "muted_dinos")) else "equal_to"
    data = {
        "dino": "trex",
        "flag": True,
        "count": 5,
        "nothing": None,
        "tags": ["a", "b"],
        "obj": {"k": "v"},
        "word": "pro",
        "empty": "",
    }
    sc = ConditionScope(
        namespaces={
            "data": data,
            "recipient": {"muted_dinos": ["trex"], "name": "Ann"},
            "actor": {"name": "Ann"},
            "vars": {"region": "eu"},
            "workflow": {"key": "w", "categories": ["billing", "ops"]},
            "run": {"total_activities": 3},
        },
        refs={},
        now=NOW,
    )
    leaf = Condition(variable, operator, argument)
    assert evaluate(ConditionGroup("all", (leaf,)), sc).passed is expected


def test_unknown_namespace_in_scope_is_unset() -> None:
    leaf = Condition("tenant.name", "empty")
    assert evaluate(ConditionGroup("all", (leaf,)), scope({})).passed


# -- groups and the trace ----------------------------------------------------------------------
def leaf(name: str, ok: bool) -> dict[str, Any]:
    return {"variable": f"data.{name}", "operator": "equal_to", "argument": json.dumps(ok)}


@pytest.mark.parametrize(
    ("raw", "passed", "results"),
    [
        ({"all": [leaf("t", True), leaf("t", True)]}, True, [True, True]),
        ({"all": [leaf("f", True), leaf("t", True)]}, False, [False, None]),
        ({"any": [leaf("t", True), leaf("f", True)]}, True, [True, None]),
        ({"any": [leaf("f", True), leaf("t", True)]}, True, [False, True]),
        ({"any": [leaf("f", True), leaf("f", True)]}, False, [False, False]),
        (
            {"any": [{"all": [leaf("t", True), leaf("f", True)]}, {"all": [leaf("t", True)]}]},
            True,
            [True, False, True],
        ),
        (
            {"any": [{"all": [leaf("t", True)]}, {"all": [leaf("t", True), leaf("t", True)]}]},
            True,
            [True, None, None],
        ),
        (
            {"all": [{"any": [leaf("f", True), leaf("f", True)]}, {"any": [leaf("t", True)]}]},
            False,
            [False, False, None],
        ),
        (
            {"all": [{"any": [{"all": [leaf("t", True), {"any": [leaf("f", True)]}]}]}]},
            False,
            [True, False],
        ),
        ([leaf("t", True), leaf("f", True), leaf("t", True)], False, [True, False, None]),
        ({"all": []}, True, []),
        ({"any": [{"all": []}]}, True, []),
        (None, True, []),
        ({}, True, []),
    ],
)
def test_groups_and_short_circuit(raw: Any, passed: bool, results: list[bool | None]) -> None:
    group = parse_conditions(raw, SRC)
    result = evaluate(group, scope({"t": True, "f": False}))
    assert result.passed is passed
    assert [e.result for e in result.evaluations] == results


def test_explain_lines() -> None:
    group = parse_conditions(
        {
            "all": [
                {"variable": "data.status", "operator": "equal_to", "argument": "paid"},
                {"variable": "recipient.plan", "operator": "equal_to", "argument": "pro"},
            ]
        },
        SRC,
    )
    result = evaluate(group, scope({"status": "open"}, recipient={"plan": "pro"}))
    assert result.explain().splitlines() == [
        'data.status (= "open") equal_to "paid" -> false',
        'recipient.plan equal_to "pro" -> not evaluated',
    ]
    missing = evaluate(
        parse_conditions(
            [
                {"variable": "data.nope", "operator": "exists"},
                {"variable": "data.n", "operator": "greater_than", "argument": "data.m"},
            ],
            SRC,
        ),
        scope({"n": 2, "m": 1}),
    )
    assert missing.explain().splitlines() == [
        "data.nope (unset) exists -> false",
        'data.n greater_than "data.m" -> not evaluated',
    ]
    dynamic = evaluate(
        parse_conditions(
            [{"variable": "data.n", "operator": "greater_than", "argument": "data.m"}], SRC
        ),
        scope({"n": 2, "m": 1}),
    )
    assert dynamic.explain() == 'data.n (= 2) greater_than 1 (from "data.m") -> true'
    assert evaluate(None, scope()).explain() == "no conditions -> true"


def test_parse_keeps_sources_for_leaves() -> None:
    group = parse_conditions({"any": [{"all": [leaf("t", True)]}]}, SRC)
    assert group is not None
    inner = group.items[0]
    assert isinstance(inner, ConditionGroup)
    assert inner.items[0].source.path == "steps[2].conditions.any[0].all[0]"


def test_single_leaf_object_is_accepted() -> None:
    group = parse_conditions(leaf("t", True), SRC)
    assert group is not None
    assert group.mode == "all"
    assert len(group.items) == 1


# -- parse errors ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("raw", "path", "message", "fix"),
    [
        (
            {"all": [{"variable": "data.x", "operator": "equals", "argument": "1"}]},
            "steps[2].conditions.all[0].operator",
            'unknown operator "equals"',
            'did you mean "equal_to"?',
        ),
        (
            {
                "all": [
                    leaf("t", True),
                    {"variable": "data.x", "operator": "greter_than", "argument": "1"},
                ]
            },
            "steps[2].conditions.all[1].operator",
            'unknown operator "greter_than"',
            'did you mean "greater_than"?',
        ),
        (
            {"all": [{"operator": "equal_to", "argument": "1"}]},
            "steps[2].conditions.all[0]",
            "a condition has no `variable`",
            '"variable" (e.g. "data.status")',
        ),
        (
            {"all": [{"variable": 5, "operator": "equal_to", "argument": "1"}]},
            "steps[2].conditions.all[0].variable",
            "`variable` must be a non-empty string, got a number",
            "prefixed path",
        ),
        (
            {"all": [{"variable": "dat.x", "operator": "equal_to", "argument": "1"}]},
            "steps[2].conditions.all[0].variable",
            'unknown variable prefix "dat"',
            'did you mean "data.x"?',
        ),
        (
            {"all": [{"variable": "data.x", "operator": 3, "argument": "1"}]},
            "steps[2].conditions.all[0].operator",
            "`operator` must be a string, got a number",
            "use one of:",
        ),
        (
            {"all": [{"variable": "data.x", "operator": "contains"}]},
            "steps[2].conditions.all[0].argument",
            'operator "contains" needs an `argument`',
            "give the value to compare with",
        ),
        (
            {"all": [{"variable": "data.x", "operator": "greater_than", "argument": None}]},
            "steps[2].conditions.all[0].argument",
            'operator "greater_than" needs an `argument`',
            "give the value",
        ),
        (
            {"all": [{"variable": "data.x", "operator": "is_timestamp_before"}]},
            "steps[2].conditions.all[0].argument",
            'operator "is_timestamp_before" needs an `argument`',
            "ISO-8601",
        ),
        (
            {"all": [{"variable": "data.x", "operator": "is_timestamp_between", "argument": "x"}]},
            "steps[2].conditions.all[0].argument",
            '"is_timestamp_between" needs a [start, end] list',
            '"argument": ["2025-01-01T00:00:00Z"',
        ),
        (
            {
                "all": [
                    {
                        "variable": "data.x",
                        "operator": "is_timestamp_before",
                        "argument": "5 minutes ago",
                    }
                ]
            },
            "steps[2].conditions.all[0].argument",
            "shorter than Knock's 15-minute minimum",
            '"15 minutes ago"',
        ),
        (
            {"all": [leaf("t", True)], "any": [leaf("t", True)]},
            "steps[2].conditions",
            "a condition group has both `all` and `any`",
            "use exactly one of `all`",
        ),
        (
            {"none": [leaf("t", True)]},
            "steps[2].conditions",
            "a condition group has neither `all` nor `any` (keys: none)",
            "use exactly one of `all`",
        ),
        (
            {"all": leaf("t", True)},
            "steps[2].conditions.all",
            "`all` must be a list of conditions, got an object",
            '"all": [{"variable"',
        ),
        (
            {"all": ["data.x == 1"]},
            "steps[2].conditions.all[0]",
            "a condition must be an object, got a string",
            '{"variable": "data.status"',
        ),
        (
            "data.x == 1",
            "steps[2].conditions",
            "conditions must be an object with `all` or `any`, got a string",
            '{"all": [',
        ),
        (
            {"all": [{**leaf("t", True), "negate": True}]},
            "steps[2].conditions.all[0].negate",
            "unknown key(s) in a condition: negate",
            "remove the others",
        ),
        (
            {"any": [{"all": [leaf("t", True)], "mode": "x"}]},
            "steps[2].conditions.any[0].mode",
            "unknown key(s) in a condition group: mode",
            "remove the other keys",
        ),
        (
            {"all": [{"variable": "data.x", "operator": "is_in_random_cohort", "argument": "1"}]},
            "steps[2].conditions.all[0].operator",
            'unknown operator "is_in_random_cohort"',
            "only valid in channel-group rules",
        ),
    ],
)
def test_parse_errors(raw: Any, path: str, message: str, fix: str) -> None:
    with pytest.raises(DefinitionError) as caught:
        parse_conditions(raw, SRC)
    problem = caught.value.problems[0]
    assert problem.file == "workflows/demo/workflow.json"
    assert problem.path == path
    assert message in problem.message
    assert fix in problem.fix
    assert path in str(caught.value)


def test_parse_reports_every_problem_at_once() -> None:
    raw = {
        "all": [
            {"variable": "data.x", "operator": "equals", "argument": "1"},
            {"variable": "data.y", "operator": "contains"},
        ]
    }
    with pytest.raises(DefinitionError) as caught:
        parse_conditions(raw, SRC)
    assert [p.path for p in caught.value.problems] == [
        "steps[2].conditions.all[0].operator",
        "steps[2].conditions.all[1].argument",
    ]


@pytest.mark.parametrize("operator", sorted(OPERATORS))
def test_every_operator_parses(operator: str) -> None:
    raw = [{"variable": "data.x", "operator": operator, "argument": '["2025-01-01", "2025-12-31"]'}]
    group = parse_conditions(raw, SRC)
    assert group is not None


def test_null_argument_allowed_for_equality() -> None:
    group = parse_conditions(
        [{"variable": "data.x", "operator": "equal_to", "argument": None}], SRC
    )
    assert evaluate(group, scope({"x": None})).passed


# -- property: evaluation is total ------------------------------------------------------------
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12)
    | st.sampled_from(["2025-01-01", "7 days ago", "$message.seen", "data.a", "{{ data.a }}"]),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(
    operator=st.sampled_from(sorted(OPERATORS)),
    value=json_values,
    argument=json_values,
    data=st.dictionaries(st.sampled_from(["a", "b", "x"]), json_values, max_size=3),
    audiences=json_values,
)
def test_evaluate_never_raises(
    operator: str, value: Any, argument: Any, data: dict[str, Any], audiences: Any
) -> None:
    sc = ConditionScope(
        namespaces={"data": {**data, "v": value}, "recipient": value, "audiences": audiences},
        refs={},
        now=NOW,
    )
    leaves = (
        Condition("data.v", operator, argument),
        Condition("recipient.id", operator, argument),
        Condition("data.v.0.x", operator, json.dumps(argument, default=str)),
    )
    result = evaluate(ConditionGroup("any", leaves), sc)
    assert isinstance(result.passed, bool)
    assert isinstance(result.explain(), str)


# -- equal results are shared (fewer objects kept in step details) ---------------------------
@pytest.mark.parametrize(
    ("first", "second", "shared"),
    [
        ("open", "open", True),
        ("open", "paid", False),
        (1, 1, True),
        (1, True, False),  # equal in Python, shown differently: never the same result
        (1, 1.0, False),
        ({"a": 1}, {"a": 1}, False),  # not plain: each evaluation keeps its own
    ],
)
def test_equal_results_of_one_group_are_one_object(first: Any, second: Any, shared: bool) -> None:
    group = ConditionGroup("all", (Condition("data.v", "equal_to", "open"),))
    a, b = evaluate(group, scope({"v": first})), evaluate(group, scope({"v": second}))
    assert (a is b) is shared
    assert a.evaluations[0].variable_value == first
    assert type(b.evaluations[0].variable_value) is type(second)
    assert b.explain() == evaluate(group, scope({"v": second})).explain()
