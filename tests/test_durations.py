"""The one duration grammar: every form reads the same everywhere (workflows, scenarios, Python)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from emulator import DefinitionError, DurationError, Span, format_duration, parse_duration
from emulator.definitions import parse_duration as parse_workflow_duration
from emulator.definitions._model import Duration, Source
from emulator.scenarios import load_scenario, run_scenario

ROOT = Path(__file__).resolve().parent.parent
SRC = Source("wf.yaml", "steps[0].settings.delay_for")
MONTH = Span(months=1)


def exact(**units: float) -> Span:
    return Span(delta=timedelta(**units))


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("30s", exact(seconds=30)),
        ("5m", exact(minutes=5)),
        ("2h", exact(hours=2)),
        ("2d", exact(days=2)),
        ("1w", exact(weeks=1)),
        ("1mo", MONTH),
        ("500ms", exact(milliseconds=500)),
        ("250us", exact(microseconds=250)),
        ("1h30m", exact(minutes=90)),
        ("1h 30m", exact(minutes=90)),
        ("1d12h", exact(hours=36)),
        ("1mo2d", Span(1, timedelta(days=2))),
        ("5 minutes", exact(minutes=5)),
        ("1 day", exact(days=1)),
        ("2 weeks 3 days", exact(days=17)),
        ("3 months", Span(3)),
        (" 5M ", exact(minutes=5)),
        ("0s", Span()),
        ("PT1H30M", exact(minutes=90)),
        ("P1D", exact(days=1)),
        ("P1M", MONTH),
        ("PT1M", exact(minutes=1)),
        ("P2W", exact(weeks=2)),
        ("P1Y", Span(12)),
        ("P1Y2M3DT4H5M6S", Span(14, timedelta(days=3, hours=4, minutes=5, seconds=6))),
        ("PT0.5S", exact(milliseconds=500)),
        ("PT1,25S", exact(seconds=1.25)),
        ("pt15m", exact(minutes=15)),
        ({"minutes": 5}, exact(minutes=5)),
        ({"hours": 1, "minutes": 30}, exact(minutes=90)),
        ({"minutes": 1.5}, exact(seconds=90)),
        ({"months": 2, "days": 1}, Span(2, timedelta(days=1))),
        ({"unit": "minutes", "value": 5}, exact(minutes=5)),
        ({"unit": "months", "value": 1}, MONTH),
    ],
)
def test_every_form(text: Any, span: Span) -> None:
    assert parse_duration(text) == span


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("", "'' is not a duration"),
        ("5", "'5' is not a duration"),
        ("m", "'m' is not a duration"),
        ("-1m", "'-1m' is not a duration"),
        ("1.5h", "'1.5h' is not a duration"),
        ("5 parsecs", "'5 parsecs' has an unknown unit 'parsecs'"),
        ("5min", "'5min' has an unknown unit 'min'"),
        ("P", "'P' is not an ISO 8601 duration"),
        ("PT", "'PT' is not an ISO 8601 duration"),
        ("P1H", "'P1H' is not an ISO 8601 duration"),
        ("P1.5D", "'P1.5D' is not an ISO 8601 duration"),
        ("PT0.0000001S", "'PT0.0000001S' is finer than a microsecond"),
        (3, "3 is not a duration: give a string or a mapping"),
        (None, "None is not a duration"),
        ({}, "an empty mapping is not a duration"),
        ({"lightyears": 1}, "has an unknown unit 'lightyears'"),
        ({"minutes": -1}, "minutes must be a number of at least 0"),
        ({"minutes": True}, "minutes must be a number of at least 0"),
        ({"minutes": "5"}, "minutes must be a number of at least 0"),
        ({"months": 1.5}, "months must be a whole number of at least 0"),
        ({"unit": "minutes"}, "value must be a whole number of at least 0"),
        ({"unit": "fortnights", "value": 1}, "unit must be one of months, weeks"),
        ({"unit": "minutes", "value": 5, "amount": 1}, "unknown field 'amount'"),
    ],
)
def test_bad_input_names_the_value_and_lists_the_forms(value: Any, reason: str) -> None:
    with pytest.raises(DurationError) as info:
        parse_duration(value)
    assert reason in info.value.reason
    assert str(info.value).startswith(info.value.reason)
    assert "`1h30m`" in str(info.value)
    assert "`PT1H30M`" in str(info.value)
    assert "`{minutes: 5}`" in str(info.value)


spans = st.builds(
    Span,
    months=st.integers(min_value=0, max_value=1200),
    delta=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=100_000)),
)


@given(span=spans)
def test_format_then_parse_round_trips(span: Span) -> None:
    assert parse_duration(format_duration(span)) == span
    assert parse_duration(format_duration(span, iso=True)) == span


@pytest.mark.parametrize(
    ("span", "short", "iso"),
    [
        (Span(), "0s", "PT0S"),
        (exact(minutes=90), "1h30m", "PT1H30M"),
        (Span(14, timedelta(days=9)), "14mo1w2d", "P14M1W2D"),
        (exact(seconds=1, microseconds=500), "1s500us", "PT1.0005S"),
    ],
)
def test_format_duration(span: Span, short: str, iso: str) -> None:
    assert format_duration(span) == short
    assert format_duration(span, iso=True) == iso


def test_format_refuses_a_negative_span() -> None:
    with pytest.raises(DurationError, match="is negative"):
        format_duration(exact(minutes=-1))


@pytest.mark.parametrize(
    ("start", "span", "end"),
    [
        (datetime(2025, 1, 31, 9, tzinfo=UTC), MONTH, datetime(2025, 2, 28, 9, tzinfo=UTC)),
        (
            datetime(2025, 1, 31, 9, tzinfo=UTC),
            Span(1, timedelta(days=1)),
            datetime(2025, 3, 1, 9, tzinfo=UTC),
        ),
        (datetime(2025, 1, 1, tzinfo=UTC), exact(hours=25), datetime(2025, 1, 2, 1, tzinfo=UTC)),
    ],
)
def test_months_are_calendar_months(start: datetime, span: Span, end: datetime) -> None:
    assert span.after(start) == end


@pytest.mark.parametrize(
    ("raw", "duration"),
    [
        ("1h30m", Duration("minutes", 90)),
        ("PT1H30M", Duration("minutes", 90)),
        ("P1D", Duration("days", 1)),
        ("P1M", Duration("months", 1)),
        ("P1Y", Duration("months", 12)),
        ("14d", Duration("days", 14)),
        ("120m", Duration("minutes", 120)),
        ("1w2d", Duration("days", 9)),
        ("2000ms", Duration("seconds", 2)),
        ("PT90S", Duration("seconds", 90)),
        ({"hours": 1, "minutes": 30}, Duration("minutes", 90)),
        ({"months": 2}, Duration("months", 2)),
    ],
)
def test_workflows_keep_the_smallest_unit_written(raw: Any, duration: Duration) -> None:
    assert parse_workflow_duration(raw, SRC) == duration


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("1mo2d", "'1mo2d' mixes calendar months with other units"),
        ("1500ms", "'1500ms' is not a whole number of seconds"),
        ("PT1.5S", "'PT1.5S' is not a whole number of seconds"),
        ({"minutes": 1.5}, "{'minutes': 1.5} is not a whole number of minutes"),
        ("0m", "'0m': the value must be positive"),
        ("PT0S", "'PT0S': the value must be positive"),
        ("5 parsecs", "'5 parsecs' has an unknown unit 'parsecs'"),
    ],
)
def test_workflow_durations_are_one_whole_unit(raw: Any, message: str) -> None:
    with pytest.raises(DefinitionError) as info:
        parse_workflow_duration(raw, SRC)
    problem = info.value.problems[0]
    assert (problem.path, problem.message) == (SRC.path, message)
    assert problem.fix


@pytest.mark.parametrize(
    ("advance", "now"),
    [
        ("1mo", datetime(2025, 2, 28, 9, tzinfo=UTC)),
        ("P1M", datetime(2025, 2, 28, 9, tzinfo=UTC)),
        ("1h30m", datetime(2025, 1, 31, 10, 30, tzinfo=UTC)),
        ("PT1H30M", datetime(2025, 1, 31, 10, 30, tzinfo=UTC)),
        ("{unit: days, value: 2}", datetime(2025, 2, 2, 9, tzinfo=UTC)),
    ],
)
def test_scenarios_advance_by_any_form(tmp_path: Path, advance: str, now: datetime) -> None:
    path = tmp_path / "t.scenario.yaml"
    path.write_text(
        f"workflows: {ROOT / 'fixtures' / 'workflows'}\nstart: 2025-01-31T09:00:00Z\n"
        f"steps:\n  - advance: {advance}\n",
        encoding="utf-8",
    )
    result = run_scenario(load_scenario(path))
    assert result.passed, result.report()
    assert result.emulator is not None
    assert result.emulator.clock.now == now
