"""The workflow run API's ordered `events`: what the dashboard debugger shows, step by step."""

from __future__ import annotations

from typing import Any

import pytest
from openapi_check import check_schema
from wfbuild import batch, cond, delay, email, in_app, make_emulator, workflow

from emulator import Emulator, FetchRequest, FetchResponse, Run
from emulator.http.knock._run_events import run_detail_json

FIXTURES = "fixtures/workflows"
NO_EMAIL = "the recipient has no email (identify them with an email, or set to_address)"


def events(emu: Emulator, run: Run) -> list[dict[str, Any]]:
    body = run_detail_json(run, lambda i: emu.message(i).channel_type)
    check_schema("WorkflowRecipientRun", {k: v for k, v in body.items() if k != "doorstep_status"})
    for event in body["events"]:
        check_schema("WorkflowRecipientRunEvent", event)
    return list(body["events"])


def names(emu: Emulator, run: Run) -> list[str]:
    return [f"{e['step_ref'] or 'run'}:{e['event']}" for e in events(emu, run)]


def invoice_emulator() -> Emulator:
    emu = Emulator.from_directory(FIXTURES, vars={"app_url": "https://app.test"})
    for user in ("u1", "payee_1"):
        emu.identify(user, name=user.title(), email=f"{user}@example.com")
    return emu


def test_a_payee_run_shows_both_branch_choices_the_email_and_the_halt() -> None:
    emu = invoice_emulator()
    data = {"invoice_id": "inv_1", "status": "paid"}
    run = emu.trigger("invoice-updated", ["payee_1"], actor="u1", data=data).runs[0]
    assert names(emu, run) == [
        "branch_1:branch_selected",
        "branch_2:branch_selected",
        "email_payee_paid:message_enqueued",
        "run:run_halted",
    ]
    first, second, message, end = events(emu, run)
    assert first["data"]["name"] == "Payee"
    assert first["data"]["evaluated"] == [
        {
            "branch": "Payee",
            "passed": True,
            "conditions": ['recipient.id (= "payee_1") contains "payee" -> true'],
        }
    ]
    assert second["data"]["evaluated"][0]["conditions"] == [
        'data.status (= "paid") equal_to "paid" -> true'
    ]
    assert message["data"]["channel_type"] == "email"
    assert message["data"]["message_id"] == emu.messages()[0].id
    assert end["data"]["reason"] == "branch 'Payee' terminates the run"


def test_batched_runs_show_the_window_the_merge_and_the_close() -> None:
    emu = invoice_emulator()
    first = emu.trigger("invoice-updated", ["u1"], actor="u1", data={"invoice_id": "i"}).runs[0]
    second = emu.trigger("invoice-updated", ["u1"], actor="u1", data={"invoice_id": "i"}).runs[0]
    assert names(emu, first) == ["branch_1:branch_selected", "batch_1:batch_opened"]
    emu.clock.advance(minutes=5)
    assert names(emu, first) == [
        "branch_1:branch_selected",
        "batch_1:batch_opened",
        "batch_1:batch_closed",
        "in_app_feed_1:message_enqueued",
        "email_1:message_enqueued",
        "run:run_completed",
    ]
    closed = events(emu, first)[2]["data"]
    assert (closed["key"], closed["total_activities"]) == ("i", 2)
    assert names(emu, second) == [
        "branch_1:branch_selected",
        "batch_1:batch_item_added",
        "run:run_completed",
    ]


@pytest.mark.parametrize(
    ("steps", "expected", "data"),
    [
        (
            [in_app(conditions=cond("data.plan", "equal_to", "pro"))],
            ["in_app_feed_1:conditions_evaluated", "in_app_feed_1:step_skipped"],
            {"passed": False, "conditions": ['data.plan (unset) equal_to "pro" -> false']},
        ),
        (
            [delay(delay_for={"unit": "minutes", "value": 10}), in_app()],
            ["delay_1:delay_scheduled", "in_app_feed_1:message_enqueued"],
            {"until": "2025-01-01T09:10:00Z"},
        ),
        (
            [email()],  # the recipient has no email address
            ["email_1:step_skipped"],
            {"reason": NO_EMAIL},
        ),
        (
            [batch(), in_app()],
            ["batch_1:batch_opened", "batch_1:batch_closed", "in_app_feed_1:message_enqueued"],
            {"key": "", "opened_at": "2025-01-01T09:00:00Z", "closes_at": "2025-01-01T09:05:00Z"},
        ),
    ],
)
def test_each_step_explains_itself(
    steps: list[dict[str, Any]], expected: list[str], data: dict[str, Any]
) -> None:
    emu = make_emulator(workflow("flow", *steps))
    run = emu.trigger("flow", ["u1"]).runs[0]
    emu.run_until_idle()
    assert names(emu, run) == [*expected, "run:run_completed"]
    assert events(emu, run)[0]["data"] == data


def test_fetch_attempts_and_failures_are_listed() -> None:
    def responder(request: FetchRequest) -> FetchResponse:
        return FetchResponse(404, '{"error": "no such user"}')

    step = {
        "ref": "fetch_1",
        "type": "http_fetch",
        "settings": {"method": "get", "url": "https://api.example.com/u/{{ recipient.id }}"},
    }
    emu = make_emulator(workflow("flow", step, in_app()), http_responder=responder)
    run = emu.trigger("flow", ["u1"]).runs[0]
    assert names(emu, run) == ["fetch_1:fetch_request", "fetch_1:step_failed", "run:run_halted"]
    fetch, failed, end = events(emu, run)
    assert fetch["data"]["request"]["url"] == "https://api.example.com/u/u1"
    assert fetch["data"]["response"]["status"] == 404
    assert (failed["status"], end["status"]) == ("error", "error")
    assert "404" in failed["data"]["error"]


def test_a_waiting_run_has_no_end_event_yet() -> None:
    emu = make_emulator(workflow("flow", delay(delay_for={"unit": "hours", "value": 1}), in_app()))
    run = emu.trigger("flow", ["u1"]).runs[0]
    assert names(emu, run) == ["delay_1:delay_scheduled"]


def test_preferences_are_listed_with_the_rule_that_blocked() -> None:
    emu = make_emulator(workflow("flow", email(), in_app()))
    emu.identify("u1", email="u1@example.com")
    emu.set_preferences("u1", {"channel_types": {"email": False}})
    run = emu.trigger("flow", ["u1"]).runs[0]
    assert names(emu, run) == [
        "email_1:preferences_evaluated",
        "email_1:step_skipped",
        "in_app_feed_1:preferences_evaluated",
        "in_app_feed_1:message_enqueued",
        "run:run_completed",
    ]
    blocked, skipped, allowed = events(emu, run)[:3]
    assert blocked["data"]["allowed"] is False
    assert blocked["data"]["rule"] == skipped["data"]["reason"].removeprefix("preferences: ")
    assert blocked["data"]["explanation"]
    assert allowed["data"]["allowed"] is True


@pytest.mark.parametrize(
    ("step", "tries"),
    [
        (in_app(body="{{ data.items | map: }}"), 3),  # a render error: tried 3 times
        (
            {
                "ref": "update_1",
                "type": "update_data",
                "settings": {"data": '{"broken": {{ data.missing_json }}'},
            },
            3,
        ),
    ],
)
def test_a_failing_step_is_tried_three_times_then_halts_the_run(
    step: dict[str, Any], tries: int
) -> None:
    emu = make_emulator(workflow("flow", step, in_app(ref="after", body="never")))
    run = emu.trigger("flow", ["u1"]).runs[0]
    assert run.status == "failed"
    assert run.path == []
    ref = step["ref"]
    assert run.step(ref).detail["tries"] == tries
    failed = [e for e in events(emu, run) if e["event"] == "step_failed"]
    assert [e["attempt"] for e in failed] == list(range(1, tries + 1))
    assert {e["status"] for e in failed} == {"error"}
    assert names(emu, run)[-1] == "run:run_halted"
    assert emu.messages() == []
