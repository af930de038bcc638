"""Wait-for-event steps and the events that resolve them.

A run reaching the step parks, scoped to its recipient, until an event of the configured type,
key and source arrives whose payload passes one of the `match_conditions` groups (namespaces
`event.*`, plus the run's `data`, `recipient`, `tenant`, `vars`, `refs`), or until `expires_after`
runs out. Events come from the engine itself: message status and engagement changes (`message`),
runs starting and completing (`workflow`), identify (`recipient`), users entering and exiting
static audiences (`audience`), and `Emulator.send_event` for integration sources. The outcome is
readable later, in conditions and templates, as `refs.<ref>.matched` and
`refs.<ref>.signal_variables`.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

from emulator.definitions import WaitForEventStep, add_duration
from emulator.engine._conditions import evaluate
from emulator.engine._events import Event, Wait
from emulator.engine._state import RunState
from emulator.stores import StepRecord

if TYPE_CHECKING:
    from emulator.engine._engine import Engine

# Event and Wait live in engine/_events (below the engine); importable from here too.
__all__ = ["Event", "Wait", "run_wait"]

NEXT = "next"


def run_wait(engine: Engine, rs: RunState, step: WaitForEventStep, record: StepRecord) -> str:
    wait = Wait(rs, step, record)
    wait.offer = partial(_offer, engine, wait)
    expires = add_duration(engine.clock.now, step.expires_after)
    wait.timer = rs.timer = engine.clock.call_at(
        expires, lambda: _timeout(engine, wait), label=f"{rs.workflow.key}/{step.ref} wait"
    )
    engine.waits.append(wait)
    record.detail.update(expires_at=expires, event=dict(step.event), evaluations=[])
    return engine.park(rs, record)


def _offer(engine: Engine, wait: Wait, event: Event) -> None:
    """`Engine.emit` offers each event to every wait; this one takes it if its conditions pass."""
    rs = wait.run
    if rs.record.finished:
        engine.waits.remove(wait)
        return
    if rs.recipient_ref != event.recipient or not _same_kind(wait.step.event, event):
        return
    scope = engine.condition_scope(rs, {"event": event.payload})
    results = [evaluate(group, scope) for group in wait.step.match_conditions]
    passed = not results or any(r.passed for r in results)
    wait.record.detail["evaluations"].append(
        {
            "event": event.event_key,
            "passed": passed,
            "conditions": [r.explain() for r in results],
        }
    )
    if passed:
        _resolve(engine, wait, matched=True, payload=event.payload)


def _same_kind(spec: dict[str, str] | Any, event: Event) -> bool:
    if spec.get("event_type") != event.event_type or spec.get("event_key") != event.event_key:
        return False
    if event.event_type == "audience":
        return bool(spec.get("audience_key") == event.source_key)
    source = spec.get("source_key") or spec.get("integration_source_key")
    if source and source != event.source_key:
        return False
    return not (spec.get("source_type") and spec.get("source_type") != event.source_type)


def _timeout(engine: Engine, wait: Wait) -> None:
    wait.run.timer = None
    wait.timer = None
    _resolve(engine, wait, matched=False, payload={})


def _resolve(engine: Engine, wait: Wait, *, matched: bool, payload: dict[str, Any]) -> None:
    rs, step, record = wait.run, wait.step, wait.record
    if wait in engine.waits:
        engine.waits.remove(wait)
    if wait.timer is not None:
        wait.timer.cancel()
        rs.timer = None
    result = {"matched": matched, "signal_variables": dict(payload)}
    rs.wait_results = {**rs.wait_results, step.ref: result}
    record.outcome, record.ended_at = "executed", engine.clock.now
    record.detail["matched"] = matched
    rs.waiting = None
    action = step.on_match if matched else step.on_timeout
    if action == "continue":
        engine.resume(rs)
        return
    why = "a matching event arrived" if matched else "no matching event arrived in time"
    engine.finish(
        rs, "terminated", f"{step.ref}: {why} (on_{'match' if matched else 'timeout'}: halt)"
    )
