"""Scenario actions that start or stop workflow runs: trigger, cancel, schedule, send_event."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from emulator.scenarios._checks import Issue, key_issue, mapping_issue, time_issue
from emulator.scenarios._model import Action
from emulator.scenarios._player import Player, recipient
from emulator.scenarios._spec import ActionSpec, Option, value_check


def _recipients(value: Any, args: Mapping[str, Any]) -> Issue | None:
    return (
        None
        if isinstance(value, list)
        else ("needs `recipients:` (a list)", "add `recipients: [u1]`")
    )


DATA = Option("data", mapping_issue, report_at="line")
RECIPIENTS = Option("recipients", _recipients, required=True)


def _play_trigger(player: Player, action: Action) -> None:
    args, key = action.args, action.args["trigger"]
    result = player.emu.trigger(
        key,
        [recipient(r) for r in args["recipients"]],
        actor=args.get("actor"),
        data=args.get("data"),
        tenant=args.get("tenant"),
        cancellation_key=args.get("cancellation_key"),
    )
    player.last = result
    if "as" in args:
        player.triggers[str(args["as"])] = result
    named = f" as {args['as']!r}" if "as" in args else ""
    player.log(f"trigger {key}{named} for {[r.recipient_id for r in result.runs]}")


TRIGGER = ActionSpec(
    "trigger",
    "Trigger a workflow for `recipients`; `as:` names the result for later `expect:` steps.",
    value_check(
        lambda v: key_issue(
            v, "must be a workflow key", "write `trigger: invoice-updated`", empty_ok=True
        )
    ),
    _play_trigger,
    (
        RECIPIENTS,
        DATA,
        Option("actor"),
        Option("tenant"),
        Option("cancellation_key"),
        Option("as"),
    ),
)


def _cancellation_key(value: Any, args: Mapping[str, Any]) -> Issue | None:
    if isinstance(value, str):
        return None
    return "needs `cancellation_key:`", "add `cancellation_key: inv_1`"


def _play_cancel(player: Player, action: Action) -> None:
    args, key = action.args, action.args["cancel"]
    recipients = args.get("recipients")
    cancelled = player.emu.cancel(
        key,
        args["cancellation_key"],
        recipients=None if recipients is None else [recipient(r) for r in recipients],
    )
    player.log(f"cancel {key} key {args['cancellation_key']!r}: {len(cancelled)} run(s)")


CANCEL = ActionSpec(
    "cancel",
    "Cancel the runs of a workflow started with `cancellation_key` (optionally for `recipients`).",
    value_check(
        lambda v: key_issue(
            v, "must be a workflow key", "write `cancel: invoice-updated`", empty_ok=True
        )
    ),
    _play_cancel,
    (Option("cancellation_key", _cancellation_key, required=True), Option("recipients")),
)


def _repeats(value: Any, args: Mapping[str, Any]) -> Issue | None:
    if isinstance(value, list) or "scheduled_at" in args:
        return None
    fix = "add `repeats: [{frequency: daily, hours: 9}]` or `scheduled_at: 2025-01-02T09:00Z`"
    return "needs `repeats:` (recurring) or `scheduled_at:` (once)", fix


def _play_schedule(player: Player, action: Action) -> None:
    args, key = action.args, action.args["schedule"]
    made = player.emu.create_schedules(
        key,
        [recipient(r) for r in args["recipients"]],
        repeats=args.get("repeats") or (),
        data=args.get("data"),
        actor=args.get("actor"),
        tenant=args.get("tenant"),
        scheduled_at=args.get("scheduled_at"),
        ending_at=args.get("ending_at"),
    )
    nexts = sorted({s.next_occurrence_at for s in made if s.next_occurrence_at})
    first = f", first at {nexts[0].isoformat()}" if nexts else ""
    player.log(f"schedule {key} for {[s.recipient_id for s in made]}{first}")


SCHEDULE = ActionSpec(
    "schedule",
    "Create a schedule of a workflow: `repeats:` rules, or once at `scheduled_at:`.",
    value_check(
        lambda v: key_issue(v, "must be a workflow key", "write `schedule: weekly-digest`")
    ),
    _play_schedule,
    (
        RECIPIENTS,
        Option("repeats", _repeats, required=True),
        Option("scheduled_at", time_issue, report_at="key"),
        Option("ending_at", time_issue, report_at="key"),
        DATA,
        Option("actor"),
        Option("tenant"),
    ),
)


def _recipient_issue(value: Any, args: Mapping[str, Any]) -> Issue | None:
    return (
        None if isinstance(value, str | Mapping) else ("needs `recipient:`", "add `recipient: u1`")
    )


def _play_send_event(player: Player, action: Action) -> None:
    args, key = action.args, action.args["send_event"]
    player.emu.send_event(
        key, recipient(args["recipient"]), args.get("data"), source_key=args.get("source_key")
    )
    player.log(f"event {key} for {args['recipient']}")


SEND_EVENT = ActionSpec(
    "send_event",
    "Send an event that workflows with an event trigger listen for.",
    value_check(lambda v: key_issue(v, "must be the event's key", "write `send_event: shipped`")),
    _play_send_event,
    (Option("recipient", _recipient_issue, required=True), DATA, Option("source_key")),
)
