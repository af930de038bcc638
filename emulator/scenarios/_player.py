"""The state a scenario run carries from step to step, and the timeline it writes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from emulator import Emulator, TriggerResult
from emulator.scenarios._describe import describe_message, describe_step


class Player:
    """Plays actions against one emulator: named triggers, the latest trigger, the timeline and
    the failures of `expect:` steps."""

    def __init__(self, emu: Emulator, timeline: list[str], failures: list[str]) -> None:
        self.emu = emu
        self.timeline = timeline
        self.failures = failures
        self.triggers: dict[str, TriggerResult] = {}
        self.last: TriggerResult | None = None
        self.run_state: dict[str, tuple[str, int]] = {}
        self.message_count = 0

    def log(self, text: str) -> None:
        """Add a timeline line stamped with the virtual time."""
        self.timeline.append(f"{self.emu.clock.now:%Y-%m-%d %H:%M:%S}  {text}")

    def note_changes(self) -> None:
        """Log runs whose status or trace moved, and messages created since the last look."""
        for run in self.emu.runs():
            state = (run.status, len(run.steps))
            if self.run_state.get(run.id) != state:
                self.run_state[run.id] = state
                steps = ", ".join(describe_step(s) for s in run.steps) or "no steps"
                self.log(f"  run {run.workflow} for {run.recipient_id!r}: {run.status}: {steps}")
        messages = self.emu.messages()
        for message in messages[self.message_count :]:
            self.log(f"  message {describe_message(message)}")
        self.message_count = len(messages)


def recipient(raw: Any) -> Any:
    """A recipient as the emulator takes it: an id, or a copy of an inline mapping."""
    return dict(raw) if isinstance(raw, Mapping) else raw
