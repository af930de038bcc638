"""Scenario actions that move virtual time (advance, advance_to, run_until_idle) and the one that
checks what happened (expect)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from emulator import DurationError, parse_duration
from emulator.scenarios._checks import Issue, StepCheck, parse_time, time_issue
from emulator.scenarios._expect import Expectations
from emulator.scenarios._model import Action
from emulator.scenarios._player import Player
from emulator.scenarios._spec import ActionSpec, value_check
from emulator.scenarios._yaml import line_of

EXPECT_KEYS = frozenset(
    {"run", "status", "path", "branch", "skipped", "batch", "messages", "no_message"}
    | {"emails", "feed"}
)


def _duration_issue(value: Any) -> Issue | None:
    try:
        parse_duration(value)
    except DurationError as exc:
        return exc.reason, exc.fix
    return None


def _play_advance(player: Player, action: Action) -> None:
    value = action.args["advance"]
    span = parse_duration(value)
    clock = player.emu.clock
    fired = (
        clock.advance(span.delta) if not span.months else clock.advance_to(span.after(clock.now))
    )
    player.log(f"advance {value} ({fired} timer(s) fired)")


ADVANCE = ActionSpec(
    "advance",
    "Move the virtual clock forward by a duration (`5m`, `1h30m`, `1mo`, `PT1H`, `{minutes: 5}`), "
    "firing every timer on the way.",
    value_check(_duration_issue),
    _play_advance,
)


def _play_advance_to(player: Player, action: Action) -> None:
    when = parse_time(action.args["advance_to"])
    assert isinstance(when, datetime)  # the loader checked it
    fired = player.emu.clock.advance_to(when)
    player.log(f"advance to {when.isoformat()} ({fired} timer(s) fired)")


ADVANCE_TO = ActionSpec(
    "advance_to",
    "Move the virtual clock forward to an instant (`2025-01-01T10:00:00Z`).",
    value_check(lambda v: time_issue(v, {})),
    _play_advance_to,
)


def _play_run_until_idle(player: Player, action: Action) -> None:
    fired = player.emu.run_until_idle()
    player.log(f"run until idle ({fired} timer(s) fired)")


RUN_UNTIL_IDLE = ActionSpec(
    "run_until_idle",
    "Fire timers until none is left (every delay, batch and schedule that can end).",
    value_check(
        lambda v: None if v is True else ("must be `true`", "write `run_until_idle: true`")
    ),
    _play_run_until_idle,
)


def _check_expect(step: StepCheck) -> None:
    value, keys = step.value, ", ".join(sorted(EXPECT_KEYS))
    if not isinstance(value, Mapping) or not value:
        step.report("must be a non-empty mapping", f"use {keys}")
        return
    for key in value:
        if key not in EXPECT_KEYS:
            line = line_of(value, key)
            step.report(
                "unknown expectation", f"use one of {keys}", line=line, path=f"{step.path}.{key}"
            )


def _play_expect(player: Player, action: Action) -> None:
    failures = Expectations(player.emu, player.triggers, player.last).check(action)
    player.failures += failures
    verdict = "ok" if not failures else f"{len(failures)} failure(s)"
    player.log(f"{action.summary()} (line {action.line}): {verdict}")


EXPECT = ActionSpec(
    "expect",
    "Check a run (status, path, branch, skipped steps, batch), messages, emails or a feed.",
    _check_expect,
    _play_expect,
)
