"""A run's ordered `events`, as `GET /v1/workflow_recipient_runs/{id}` returns them.

Knock documents two event names, `message_enqueued` and `wait_conditions_evaluated`; everything
else the dashboard debugger shows (conditions with resolved values, branch and cohort choices,
batch windows, fetch attempts, data diffs, skip reasons) uses the vocabulary suggested in
knock.md section 8.2, so a test or a person reading the API sees why the run went the way it did.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from emulator import ConditionResult, Run, StepRecord
from emulator.http.inspect import iso, jsonable
from emulator.http.knock._serialize import run_json

ChannelOf = Callable[[str], str | None]  # message id -> channel type, when the message exists

_RUN_END = {
    "completed": ("run_completed", "ok"),
    "merged_into_batch": ("run_completed", "ok"),
    "cancelled": ("run_cancelled", "ok"),
    "throttled": ("run_halted", "ok"),
    "terminated": ("run_halted", "ok"),
    "failed": ("run_halted", "error"),
}


def conditions_json(result: ConditionResult) -> dict[str, Any]:
    """`{passed, conditions: ["data.status (= \"open\") equal_to \"paid\" -> false", ...]}`."""
    return {"passed": result.passed, "conditions": result.explain().splitlines()}


def run_events(run: Run, channel_of: ChannelOf) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    for number, step in enumerate(run.steps):
        base = {
            "__typename": "WorkflowRecipientRunEvent",
            "step_ref": step.ref,
            "step_type": step.type,
            "attempt": 1,
            "inserted_at": iso(step.ended_at or step.started_at),
        }
        for offset, (name, status, data) in enumerate(_step_events(step, channel_of)):
            event = {"id": f"{run.id}-{number}-{offset}", "event": name, "status": status}
            attempt = data.get("attempt", 1)  # fetch requests and failed attempts number them
            events.append(base | event | {"attempt": attempt, "data": data})
    if run.finished:
        name, status = _RUN_END[run.status]
        events.append(
            {
                "__typename": "WorkflowRecipientRunEvent",
                "id": f"{run.id}-end",
                "event": name,
                "status": status,
                "step_ref": None,
                "step_type": None,
                "attempt": 1,
                "data": {"status": run.status, "reason": run.ended_because},
                "inserted_at": iso(run.updated_at or run.inserted_at),
            }
        )
    return events


Event = tuple[str, str, dict[str, Any]]  # name, ok|error, data


def _step_events(step: StepRecord, channel_of: ChannelOf) -> Iterator[Event]:
    detail = step.detail
    conditions = detail.get("conditions")
    if isinstance(conditions, ConditionResult):
        yield "conditions_evaluated", "ok", conditions_json(conditions)
    if "preferences" in detail:  # the recipient had preferences somewhere to evaluate
        yield "preferences_evaluated", "ok", dict(detail["preferences"])
    yield from _by_type(step, channel_of)
    if step.outcome == "skipped":
        yield "step_skipped", "ok", {"reason": step.skipped_because}
    elif step.outcome == "failed":
        for attempt in range(1, int(step.detail.get("tries", 1)) + 1):  # Knock tries 3 times
            yield "step_failed", "error", {"error": step.error, "attempt": attempt}
    elif step.outcome == "cancelled":
        yield "step_cancelled", "ok", {}


def _by_type(step: StepRecord, channel_of: ChannelOf) -> Iterator[Event]:
    detail, kind = step.detail, step.type
    if kind == "channel":
        for message_id in step.message_ids:
            yield (
                "message_enqueued",
                "ok",
                {
                    "message_id": message_id,
                    "channel_type": channel_of(message_id),
                },
            )
    elif kind == "branch":
        evaluated = [
            {"branch": name, **conditions_json(result)}
            for name, result in detail.get("evaluated") or ()
        ]
        if step.outcome == "executed":
            yield "branch_selected", "ok", {"name": step.branch, "evaluated": evaluated}
    elif kind == "random_cohort" and step.outcome == "executed":
        yield "cohort_assigned", "ok", {"name": step.branch, **_plain(detail)}
    elif kind == "batch":
        yield from _batch(step)
    elif kind == "delay" and "until" in detail:
        yield "delay_scheduled", "ok", {"until": iso(detail["until"])}
    elif kind == "throttle" and step.outcome in ("executed", "throttled"):
        name = "throttled" if step.outcome == "throttled" else "throttle_passed"
        yield name, "ok", _plain(detail)
    elif kind == "http_fetch":
        for number, attempt in enumerate(detail.get("attempts") or (), start=1):
            data = {"attempt": number, "request": jsonable(detail.get("request"))}
            yield "fetch_request", "ok", data | {"response": jsonable(attempt)}
    elif kind == "wait_for_event":
        yield from _wait(step)
    elif step.outcome == "executed" and detail:
        yield f"{kind}_executed", "ok", _plain(detail)  # data steps, trigger_workflow, ai_agent


def _batch(step: StepRecord) -> Iterator[Event]:
    detail = step.detail
    opened = {
        "key": detail.get("batch_key"),
        "opened_at": iso(detail.get("opened_at")),
        "closes_at": iso(detail.get("closes_at")),
    }
    yield ("batch_item_added" if step.outcome == "merged" else "batch_opened"), "ok", opened
    if step.batch is not None and step.outcome != "merged":
        closed = {
            "key": step.batch.key,
            "total_activities": step.batch.total_activities,
            "total_actors": step.batch.total_actors,
            "closed_at": iso(step.batch.closed_at),
        }
        yield "batch_closed", "ok", closed


def _wait(step: StepRecord) -> Iterator[Event]:
    detail = step.detail
    yield (
        "wait_registered",
        "ok",
        {
            "event": jsonable(detail.get("event")),
            "expires_at": iso(detail.get("expires_at")),
        },
    )
    for evaluation in detail.get("evaluations") or ():
        yield "wait_conditions_evaluated", "ok", dict(evaluation)
    if "matched" in detail:
        yield "wait_resolved", "ok", {"matched": detail["matched"]}


def _plain(detail: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = jsonable(detail)
    return out


def run_detail_json(run: Run, channel_of: ChannelOf | None = None) -> dict[str, Any]:
    """A run with its ordered events (see `_knock_run_events`); `channel_of` names each
    message's channel type in `message_enqueued`."""
    return run_json(run) | {"events": run_events(run, channel_of or (lambda _id: None))}
