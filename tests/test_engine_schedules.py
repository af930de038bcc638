"""Workflow schedules on the virtual clock: recurring rules in the recipient's time zone, one-off
schedules, intervals, ending_at, updates, deletes, and what a scheduled run sees."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from wfbuild import in_app, make_emulator, workflow

from emulator import Emulator, TriggerError
from emulator.definitions._repeats import DAYS, first_occurrence, next_occurrence, validate_repeats

MONDAY = datetime(2025, 1, 6, 0, 0, tzinfo=UTC)  # a Monday


def digest_emulator(**options: Any) -> Emulator:
    body = "Digest for {{ recipient.name }} ({{ recipient.schedule.id }}) {{ data.kind }}"
    emu = make_emulator(workflow("digest", in_app(body=body)), start=MONDAY, **options)
    emu.identify("ada", name="Ada")
    return emu


def fired_at(emu: Emulator) -> list[str]:
    return [m.inserted_at.strftime("%a %H:%M") for m in emu.messages()]


def test_a_weekday_rule_fires_at_each_occurrence_and_run_until_idle_does_not_chase_it() -> None:
    emu = digest_emulator()
    [schedule] = emu.create_schedules(
        "digest",
        ["ada"],
        repeats=[{"frequency": "weekly", "days": "weekdays", "hours": 9, "minutes": 30}],
        data={"kind": "daily"},
    )
    assert schedule.next_occurrence_at == MONDAY.replace(hour=9, minute=30)
    assert emu.run_until_idle() == 0  # only a recurring schedule is parked: nothing to chase
    emu.clock.advance(days=7)
    assert fired_at(emu) == ["Mon 09:30", "Tue 09:30", "Wed 09:30", "Thu 09:30", "Fri 09:30"]
    runs = emu.runs(workflow="digest")
    assert {(r.trigger_source, r.schedule_id) for r in runs} == {("schedule", schedule.id)}
    assert schedule.run_ids == [r.id for r in runs]
    body = emu.messages()[0].content["markdown_body"]
    assert body.strip() == f"Digest for Ada ({schedule.id}) daily"
    assert schedule.last_occurrence_at == MONDAY + timedelta(days=4, hours=9, minutes=30)
    assert schedule.next_occurrence_at == MONDAY + timedelta(days=7, hours=9, minutes=30)


def test_rules_run_in_the_recipients_time_zone() -> None:
    emu = digest_emulator()
    emu.identify("ada", timezone="America/New_York")  # UTC-5 in January
    [schedule] = emu.create_schedules("digest", ["ada"], repeats=[{"frequency": "daily"}])
    assert schedule.next_occurrence_at == MONDAY.replace(hour=5)  # local midnight, Monday


def test_every_other_monday() -> None:
    emu = digest_emulator()
    rule = {"frequency": "weekly", "interval": 2, "days": ["mon"], "hours": 18}
    emu.create_schedules("digest", ["ada"], repeats=[rule])
    emu.clock.advance(days=35)
    assert [m.inserted_at.date().isoformat() for m in emu.messages()] == [
        "2025-01-06",
        "2025-01-20",
        "2025-02-03",
    ]


def test_a_one_off_schedule_fires_once_even_when_its_time_has_passed() -> None:
    emu = digest_emulator()
    at = MONDAY + timedelta(hours=3)
    [later] = emu.create_schedules("digest", ["ada"], scheduled_at=at.isoformat())
    [past] = emu.create_schedules("digest", ["ada"], scheduled_at=MONDAY - timedelta(days=1))
    assert emu.run_until_idle() == 2  # one-off schedules are ordinary work
    assert [m.inserted_at for m in emu.messages()] == [MONDAY, at]
    assert later.next_occurrence_at is None
    assert past.last_occurrence_at == MONDAY


def test_a_one_off_schedule_after_its_ending_at_never_runs() -> None:
    emu = digest_emulator()
    [schedule] = emu.create_schedules(
        "digest", ["ada"], scheduled_at=MONDAY + timedelta(hours=2), ending_at=MONDAY
    )
    assert schedule.next_occurrence_at is None
    assert emu.run_until_idle() == 0
    assert emu.messages() == []


def test_scheduled_at_starts_and_ending_at_stops_a_recurring_schedule() -> None:
    emu = digest_emulator()
    emu.create_schedules(
        "digest",
        ["ada"],
        repeats=[{"frequency": "daily", "hours": 8}],
        scheduled_at=MONDAY + timedelta(days=2, hours=8),  # an occurrence at scheduled_at counts
        ending_at=MONDAY + timedelta(days=4, hours=9),
    )
    emu.clock.advance(days=10)
    assert fired_at(emu) == ["Wed 08:00", "Thu 08:00", "Fri 08:00"]
    assert emu.schedules()[0].next_occurrence_at is None


def test_update_rearms_and_delete_stops_occurrences() -> None:
    emu = digest_emulator()
    daily = [{"frequency": "daily", "minutes": 30}]
    [schedule] = emu.create_schedules("digest", ["ada"], repeats=daily)
    emu.clock.advance(hours=1)  # Monday 00:30 fired
    emu.update_schedules([schedule.id], repeats=[{"frequency": "hourly", "minutes": 15}])
    emu.clock.advance(hours=2)
    assert fired_at(emu) == ["Mon 00:30", "Mon 01:15", "Mon 02:15"]
    assert emu.delete_schedules([schedule.id]) == [schedule]
    emu.clock.advance(days=2)
    assert len(emu.messages()) == 3
    assert emu.clock.pending == 0


def test_an_object_recipient_does_not_fan_out_to_subscribers() -> None:
    emu = digest_emulator()
    emu.set_object("projects", "p1", name="Apollo")
    emu.subscribe("projects", "p1", ["ada"])
    emu.create_schedules("digest", [{"id": "p1", "collection": "projects"}], scheduled_at=MONDAY)
    emu.run_until_idle()
    assert [r.recipient_id for r in emu.runs()] == ["p1"]


def test_a_refused_occurrence_is_recorded_and_the_schedule_goes_on() -> None:
    emu = digest_emulator()
    daily = [{"frequency": "daily", "minutes": 30}]
    [schedule] = emu.create_schedules("digest", ["ada"], repeats=daily)
    definitions = emu.definitions.workflows
    original = definitions["digest"]
    definitions["digest"] = type(original)(**{**_fields(original), "active": False})
    emu.clock.advance(hours=1)
    [error] = schedule.errors
    assert "workflow_inactive" in error
    definitions["digest"] = original
    emu.clock.advance(days=1)
    assert len(emu.messages()) == 1


def _fields(obj: Any) -> dict[str, Any]:
    return {name: getattr(obj, name) for name in obj.__dataclass_fields__}


@pytest.mark.parametrize(
    ("repeats", "path"),
    [
        ("daily", "repeats"),
        ([{"frequency": "yearly"}], "repeats[0].frequency"),
        ([{"frequency": "daily", "minutes": 7}], "repeats[0].minutes"),
        ([{"frequency": "daily", "hours": 24}], "repeats[0].hours"),
        ([{"frequency": "daily", "interval": 0}], "repeats[0].interval"),
        ([{"frequency": "daily"}, {"frequency": "weekly", "days": ["funday"]}], "repeats[1].days"),
        ([{"frequency": "monthly", "day_of_month": 32}], "repeats[0].day_of_month"),
        ([{"frequency": "daily", "at": "9am"}], "repeats[0]"),
    ],
)
def test_bad_repeat_rules_name_the_path(repeats: Any, path: str) -> None:
    emu = digest_emulator()
    with pytest.raises(TriggerError, match=f"invalid_params: {re.escape(path)}:"):
        emu.create_schedules("digest", ["ada"], repeats=repeats)
    assert emu.schedules() == []


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda emu: emu.create_schedules("nope", ["ada"], scheduled_at=MONDAY), "nope"),
        (lambda emu: emu.create_schedules("digest", ["ada"]), "repeats"),
        (lambda emu: emu.create_schedules("digest", [], scheduled_at=MONDAY), "1 to 100"),
        (lambda emu: emu.create_schedules("digest", ["ada"], scheduled_at="soon"), "ISO-8601"),
        (lambda emu: emu.update_schedules(["missing"], data={}), "no schedule"),
        (lambda emu: emu.update_schedules([], when="now"), "unknown schedule field"),
        (lambda emu: emu.delete_schedules(["missing"]), "no schedule"),
        (
            lambda emu: emu.create_schedules("digest", ["ada"], scheduled_at=MONDAY, actor="ghost"),
            "actor_missing",
        ),
    ],
)
def test_bad_schedule_calls_say_what_to_fix(call: Any, message: str) -> None:
    with pytest.raises(Exception, match=message):
        call(digest_emulator())


RULES = st.fixed_dictionaries(
    {"frequency": st.sampled_from(["hourly", "daily", "weekly", "monthly"])},
    optional={
        "interval": st.integers(1, 4),
        "days": st.sampled_from(["weekdays", "weekends", ["mon"], ["tue", "sat"]]),
        "hours": st.integers(0, 23),
        "minutes": st.sampled_from([0, 5, 30, 55]),
        "day_of_month": st.integers(1, 31),
    },
)


@settings(max_examples=150, deadline=None)
@given(
    rule=RULES,
    start=st.datetimes(datetime(2024, 1, 1), datetime(2027, 1, 1), timezones=st.just(UTC)),
    zone=st.sampled_from([None, "America/New_York", "Asia/Kolkata"]),
)
def test_occurrences_move_forward_and_honour_the_interval(
    rule: dict[str, Any], start: datetime, zone: str | None
) -> None:
    [rule] = validate_repeats([rule])
    anchor = first_occurrence(rule, start, zone)
    seen = [anchor]
    for _ in range(4):
        upcoming = next_occurrence(rule, seen[-1], anchor, zone)
        assert upcoming is not None
        assert upcoming > seen[-1]
        seen.append(upcoming)
    local = [when.astimezone(ZoneInfo(zone or "UTC")) for when in seen]
    frequency, interval = rule["frequency"], rule.get("interval", 1)
    assert {t.minute for t in local} == {rule.get("minutes", 0)}
    if frequency != "hourly":
        assert {t.hour for t in local} <= {rule.get("hours", 0), rule.get("hours", 0) + 1}  # DST
    if frequency in ("daily", "weekly"):
        days = rule.get("days") or DAYS
        days = DAYS[:5] if days == "weekdays" else DAYS[5:] if days == "weekends" else days
        assert {DAYS[t.weekday()] for t in local} <= set(days)
    if frequency == "daily":
        assert {(t.date() - local[0].date()).days % interval for t in local} == {0}
    if frequency == "hourly":
        assert {(b - anchor) // timedelta(hours=1) % interval for b in seen} == {0}
