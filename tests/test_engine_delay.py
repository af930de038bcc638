"""Delay steps: fixed, dynamic (timestamp, duration, window rule), relative, invalid, skip_delay."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from wfbuild import delay, in_app, make_emulator, workflow

MINUTE = timedelta(minutes=1)


def delayed(**settings: Any) -> Any:
    return make_emulator(workflow("later", delay(**settings), in_app(body="hi")))


@pytest.mark.parametrize(
    ("settings", "data", "minutes"),
    [
        ({"delay_for": {"unit": "minutes", "value": 10}}, {}, 10),
        ({"delay_for": {"unit": "hours", "value": 2}}, {}, 120),
        ({"delay_for": {"unit": "seconds", "value": 60}}, {}, 1),
        ({"delay_until_field_path": "data.at"}, {"at": "2025-01-01T09:45:00Z"}, 45),
        ({"delay_until_field_path": "data.at"}, {"at": {"unit": "minutes", "value": 7}}, 7),
        ({"delay_until_field_path": "data.at"}, {"at": {"frequency": "daily", "hours": 10}}, 60),
        (
            {"delay_until_field_path": "data.at", "delay_for": {"unit": "minutes", "value": 5}},
            {"at": "2025-01-01T09:30:00Z"},
            35,
        ),
    ],
)
def test_delay_parks_until_the_computed_instant(
    settings: dict[str, Any], data: dict[str, Any], minutes: int
) -> None:
    emu = delayed(**settings)
    run = emu.trigger("later", ["u1"], data=data).runs[0]
    assert run.status == "waiting"
    assert run.step("delay_1").outcome == "waiting"
    assert emu.clock.next_due() == emu.clock.now + minutes * MINUTE
    emu.clock.advance((minutes - 1) * MINUTE)
    assert emu.messages() == []
    emu.clock.advance(MINUTE)
    assert run.status == "completed"
    assert run.path == ["delay_1", "in_app_feed_1"]
    record = run.step("delay_1")
    assert record.ended_at == emu.clock.now


def test_window_rule_uses_the_recipient_time_zone() -> None:
    emu = delayed(delay_until_field_path="recipient.digest_at")
    emu.identify("u1", timezone="America/New_York", digest_at={"frequency": "daily", "hours": 9})
    run = emu.trigger("later", ["u1"]).runs[0]
    # 09:00 UTC on 1 Jan is 04:00 in New York; 09:00 New York is 14:00 UTC.
    assert run.step("delay_1").detail["until"].isoformat() == "2025-01-01T14:00:00+00:00"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ({}, "data.at is not set"),
        ({"at": "not a date"}, "not an ISO-8601 timestamp"),
        ({"at": "2020-01-01T00:00:00Z"}, "not in the future"),
        ({"at": 12}, "neither an ISO-8601 timestamp"),
        ({"at": {"unit": "fortnights", "value": 1}}, "duration unit 'fortnights'"),
        ({"at": "2030-01-01T00:00:00Z"}, "more than 365 days"),
    ],
)
def test_invalid_dynamic_delay_is_skipped_with_the_reason(
    data: dict[str, Any], reason: str
) -> None:
    emu = delayed(delay_until_field_path="data.at")
    run = emu.trigger("later", ["u1"], data=data).runs[0]
    record = run.step("delay_1")
    assert record.outcome == "skipped"
    assert reason in (record.skipped_because or "")
    assert run.path == ["in_app_feed_1"]
    assert len(emu.messages()) == 1


def test_skip_delay_setting_skips_every_delay() -> None:
    emu = delayed(delay_for={"unit": "days", "value": 3})
    run = emu.trigger("later", ["u1"], settings={"skip_delay": True}).runs[0]
    assert run.status == "completed"
    assert run.step("delay_1").skipped_because == "the trigger set settings.skip_delay"


def test_cancel_stops_a_delayed_run_and_its_timer() -> None:
    emu = delayed(delay_for={"unit": "minutes", "value": 10})
    run = emu.trigger("later", ["u1", "u2"], cancellation_key="c1").runs[0]
    cancelled = emu.cancel("later", "c1", recipients=["u1"])
    assert cancelled == [run]
    assert run.step("delay_1").outcome == "cancelled"
    emu.run_until_idle()
    assert [m.recipient_id for m in emu.messages()] == ["u2"]
    assert emu.cancel("later", "c1") == []  # finished runs cannot be cancelled


def test_months_are_calendar_months() -> None:
    emu = delayed(delay_for={"unit": "months", "value": 1})
    run = emu.trigger("later", ["u1"]).runs[0]
    assert run.step("delay_1").detail["until"].isoformat() == "2025-02-01T09:00:00+00:00"
