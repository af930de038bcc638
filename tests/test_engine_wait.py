"""wait_for_event: message engagement, other workflows, identify and integration sources."""

from __future__ import annotations

from typing import Any

import pytest
from wfbuild import cond, email, in_app, make_emulator, workflow

from emulator import DefinitionError, Emulator, parse_workflow

SAME_MESSAGE = [
    {
        "operator": "and",
        "conditions": [
            {"variable": "event.step_ref", "operator": "equal_to", "argument": "in_app_feed_1"}
        ],
    }
]


def wait(event: dict[str, str], **settings: Any) -> dict[str, Any]:
    return {
        "ref": "wait_1",
        "type": "wait_for_event",
        "settings": {"event": event, "expires_after": {"unit": "minutes", "value": 30}, **settings},
    }


def engagement_flow(**settings: Any) -> Emulator:
    """In-app message, then wait for it to be read; email only if it was not."""
    steps = [
        in_app(body="New invoice"),
        wait(
            {
                "event_type": "message",
                "event_key": "read",
                "source_type": "workflow",
                "source_key": "nudge",
            },
            match_conditions=SAME_MESSAGE,
            **settings,
        ),
        email(conditions=cond("refs.wait_1.matched", "equal_to", "false")),
    ]
    emu = make_emulator(workflow("nudge", *steps))
    emu.identify("u1", email="u1@example.com", name="Ada")
    return emu


def test_a_matching_message_event_resumes_the_run_at_once() -> None:
    emu = engagement_flow()
    run = emu.trigger("nudge", ["u1"], data={"text": "x"}).runs[0]
    assert (run.status, run.step("wait_1").outcome) == ("waiting", "waiting")
    emu.clock.advance(minutes=3)
    [item] = emu.feed("u1").items()
    emu.feed("u1").mark_read(item.id)
    assert run.status == "completed"
    assert run.step("wait_1").ended_at == emu.clock.now
    assert run.step("email_1").skipped_because is not None
    assert len(emu.outbox) == 0
    assert emu.clock.pending == 0


def test_the_wait_times_out_and_halts_by_default() -> None:
    emu = engagement_flow()
    run = emu.trigger("nudge", ["u1"], data={"text": "x"}).runs[0]
    emu.clock.advance(minutes=30)
    assert run.status == "terminated"
    assert "no matching event arrived in time (on_timeout: halt)" in (run.ended_because or "")


def test_on_timeout_continue_reads_matched_false() -> None:
    emu = engagement_flow(on_timeout="continue")
    run = emu.trigger("nudge", ["u1"], data={"text": "x"}).runs[0]
    emu.run_until_idle()
    assert run.status == "completed"
    assert run.path == ["in_app_feed_1", "wait_1", "email_1"]
    assert len(emu.outbox) == 1


def test_events_of_another_recipient_or_a_failed_match_do_not_resolve() -> None:
    emu = engagement_flow()
    emu.identify("u2", email="u2@example.com")
    run = emu.trigger("nudge", ["u1"], data={"text": "x"}).runs[0]
    other = emu.trigger("nudge", ["u2"], data={"text": "x"}).runs[0]
    [item] = emu.feed("u2").items()
    emu.feed("u2").mark_read(item.id)
    assert (run.status, other.status) == ("waiting", "completed")
    [seen_item] = emu.feed("u1").items()
    emu.feed("u1").mark_seen(seen_item.id)  # seen is not read: the wrong event key
    assert run.status == "waiting"


def test_on_match_halt_ends_the_run() -> None:
    emu = engagement_flow(on_match="halt")
    run = emu.trigger("nudge", ["u1"], data={"text": "x"}).runs[0]
    emu.feed("u1").mark_read(emu.feed("u1").items()[0].id)
    assert run.status == "terminated"
    assert run.path == ["in_app_feed_1", "wait_1"]


def test_workflow_completed_event_and_signal_variables() -> None:
    match = [
        {
            "operator": "and",
            "conditions": [
                {"variable": "event.workflow_key", "operator": "equal_to", "argument": "checkout"}
            ],
        }
    ]
    waiter = workflow(
        "waiter",
        wait(
            {"event_type": "workflow", "event_key": "completed", "source_key": "checkout"},
            match_conditions=match,
        ),
        in_app(body="{{ data.text }}"),
    )
    emu = make_emulator(waiter, workflow("checkout", in_app("done_1", "done")))
    run = emu.trigger("waiter", ["u1"], data={"text": "after checkout"}).runs[0]
    emu.trigger("checkout", ["u1"])
    assert run.status == "completed"
    record = run.step("wait_1")
    assert record.detail["matched"] is True
    assert record.detail["evaluations"][0]["passed"] is True


def test_integration_source_events_sent_by_the_test() -> None:
    flow = workflow(
        "shipped",
        wait(
            {
                "event_type": "integration_source",
                "event_key": "shipped",
                "integration_source_key": "segment",
            }
        ),
        in_app(conditions=cond("refs.wait_1.signal_variables.data.carrier", "equal_to", "ups")),
    )
    emu = make_emulator(flow)
    run = emu.trigger("shipped", ["u1"]).runs[0]
    emu.send_event("shipped", "u1", {"carrier": "fedex"}, source_key="other")
    assert run.status == "waiting"
    emu.send_event("shipped", "u1", {"carrier": "ups"}, source_key="segment")
    assert run.status == "completed"
    assert run.path == ["wait_1", "in_app_feed_1"]


def test_identify_is_a_recipient_updated_event() -> None:
    flow = workflow(
        "profile", wait({"event_type": "recipient", "event_key": "updated"}), in_app(body="thanks")
    )
    emu = make_emulator(flow)
    run = emu.trigger("profile", ["u1"]).runs[0]
    emu.identify("u1", name="Ada")
    assert run.status == "completed"


def test_cancel_stops_a_waiting_run() -> None:
    emu = engagement_flow()
    run = emu.trigger("nudge", ["u1"], data={"text": "x"}, cancellation_key="c").runs[0]
    assert emu.cancel("nudge", "c") == [run]
    emu.feed("u1").mark_read(emu.feed("u1").items()[0].id)
    assert run.status == "cancelled"
    assert emu.clock.pending == 0


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"event": {"event_type": "audience", "event_key": "enter"}}, "need `audience_key`"),
        (
            {"event": {"event_type": "audience", "event_key": "joined", "audience_key": "vip"}},
            "`enter` or `exit`",
        ),
        ({"event": {"event_type": "webhook", "event_key": "x"}}, "not a known event type"),
        ({"event": {"event_type": "message"}}, "`event_key` is required"),
        ({"event": {"event_type": "message", "event_key": "read"}}, "need `match_conditions`"),
        (
            {
                "event": {"event_type": "recipient", "event_key": "updated"},
                "expires_after": {"unit": "days", "value": 31},
            },
            "at most 30 days",
        ),
        (
            {"event": {"event_type": "recipient", "event_key": "updated"}, "on_match": "stop"},
            "on_match",
        ),
    ],
)
def test_malformed_waits_name_the_path(settings: dict[str, Any], message: str) -> None:
    step = {"ref": "wait_1", "type": "wait_for_event", "settings": settings}
    with pytest.raises(DefinitionError, match=message) as info:
        parse_workflow({"name": "w", "steps": [step]}, key="waits", file="waits.json")
    assert "steps[0].settings" in str(info.value)


def test_the_knock_run_api_lists_wait_conditions_evaluated_events() -> None:
    from emulator.http.knock._run_events import run_detail_json

    emu = engagement_flow()
    run = emu.trigger("nudge", ["u1"], data={"text": "x"}).runs[0]
    emu.feed("u1").mark_read(emu.feed("u1").items()[0].id)
    events = [e for e in run_detail_json(run)["events"] if e["step_ref"] == "wait_1"]
    assert [e["event"] for e in events] == [
        "wait_registered",
        "wait_conditions_evaluated",
        "wait_resolved",
    ]
    assert events[0]["data"]["expires_at"] == "2025-01-01T09:30:00Z"
    assert events[1]["data"]["passed"] is True
    assert events[2]["data"] == {"matched": True}
