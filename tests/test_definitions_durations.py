"""Durations: the string form (`5m`) and Knock's object form read to the same Duration."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from emulator.core._errors import DefinitionError
from emulator.definitions import parse_duration
from emulator.definitions._model import DURATION_UNITS, Duration, Source

SHORT = {"seconds": "s", "minutes": "m", "hours": "h", "days": "d", "weeks": "w", "months": "mo"}
SRC = Source("wf.yaml", "steps[0].settings.delay_for")


@given(unit=st.sampled_from(DURATION_UNITS), value=st.integers(min_value=1, max_value=10**9))
def test_string_and_object_forms_agree(unit: str, value: int) -> None:
    from_object = parse_duration({"unit": unit, "value": value}, SRC)
    assert from_object == Duration(unit, value)  # type: ignore[arg-type]
    assert parse_duration(f"{value}{SHORT[unit]}", SRC) == from_object
    assert parse_duration(f"{value} {unit}", SRC) == from_object
    assert parse_duration(f" {value}{SHORT[unit].upper()} ", SRC) == from_object


@given(value=st.integers(min_value=1, max_value=10**6))
def test_singular_unit_names(value: int) -> None:
    assert parse_duration(f"{value} day", SRC) == Duration("days", value)


@pytest.mark.parametrize(
    ("raw", "path", "message"),
    [
        ("0m", "steps[0].settings.delay_for", "the value must be positive"),
        ("5", "steps[0].settings.delay_for", "'5' is not a duration"),
        ("-5m", "steps[0].settings.delay_for", "'-5m' is not a duration"),
        ("1.5h", "steps[0].settings.delay_for", "is not a duration"),
        ("5 fortnights", "steps[0].settings.delay_for", "unknown unit 'fortnights'"),
        (5, "steps[0].settings.delay_for", "must be a string or an object, got a number"),
        (None, "steps[0].settings.delay_for", "got null"),
        ({"unit": "minutes"}, "steps[0].settings.delay_for.value", "duration value is None"),
        ({"unit": "minutes", "value": True}, "steps[0].settings.delay_for.value", "True"),
        ({"unit": "minutes", "value": "5"}, "steps[0].settings.delay_for.value", "'5'"),
        ({"unit": "minutes", "value": -1}, "steps[0].settings.delay_for.value", "-1"),
        ({"value": 5}, "steps[0].settings.delay_for.unit", "duration unit is None"),
        ({"unit": "Minutes", "value": 5}, "steps[0].settings.delay_for.unit", "'Minutes'"),
        (
            {"unit": "minutes", "value": 5, "amount": 1},
            "steps[0].settings.delay_for.amount",
            "unknown field `amount`",
        ),
    ],
)
def test_bad_durations(raw: Any, path: str, message: str) -> None:
    with pytest.raises(DefinitionError) as info:
        parse_duration(raw, SRC)
    problem = info.value.problems[0]
    assert (problem.file, problem.path) == ("wf.yaml", path)
    assert message in problem.message
    assert problem.fix


@given(
    unit=st.sampled_from(DURATION_UNITS),
    value=st.one_of(st.integers(max_value=0), st.floats(), st.text(max_size=3), st.none()),
)
def test_object_values_that_are_not_positive_ints_are_refused(unit: str, value: Any) -> None:
    with pytest.raises(DefinitionError) as info:
        parse_duration({"unit": unit, "value": value}, SRC)
    assert info.value.problems[0].path == "steps[0].settings.delay_for.value"
