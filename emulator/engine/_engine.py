"""The engine: fans a trigger out into recipient runs and drives each run through its steps.

Runs execute synchronously until they finish or park on a timer (delay, batch window, retry).
Timers fire when the clock moves. A ready queue (not recursion) resumes runs, so a step that
triggers another workflow or closes a batch never nests executions.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Mapping
from datetime import datetime
from functools import cached_property
from typing import Any

from emulator.core import Clock, DoorstepError, IdFactory, TriggerError
from emulator.definitions import Channels, Definitions, Step, Workflow
from emulator.engine._conditions import ConditionScope, RefState, evaluate
from emulator.engine._delivery import Delivery
from emulator.engine._events import Event, Wait, message_event, workflow_event
from emulator.engine._namespaces import Namespaces
from emulator.engine._observers import every_emulator_observers
from emulator.engine._preferences import run_preference_set
from emulator.engine._responders import AiResponder, Responder, no_ai_responder, no_responder
from emulator.engine._schedules import Schedules
from emulator.engine._scopes import (
    RefView,
    ref_state,
    run_scope,
    template_context,
    workflow_scope,
)
from emulator.engine._state import FRAME, OpenBatch, RunState, push_frame, ref_ids
from emulator.mail import EmailProvider
from emulator.stores import (
    Audiences,
    BulkOperations,
    CompactRow,
    CompactRuns,
    Entities,
    EntityView,
    GuideEngagements,
    Message,
    MessageStore,
    Run,
    StepRecord,
    TriggerResult,
)
from emulator.templates import TemplateRenderer

NEXT, PAUSE, END = "next", "pause", "end"
WHOLE_RUNS = 1000
"""How many of the newest finished runs stay whole `Run` objects (the same object on every read);
older ones are kept as a compact row with the same values (less memory, no GC cost)."""
# Knock tries a failing step up to 3 times before halting the run. Fetch and AI agent steps
# count their own attempts (with backoff), so they are not tried again on top.
STEP_ATTEMPTS = 3
_RETRIED = frozenset(
    {"channel", "update_data", "update_user", "update_tenant", "update_object", "trigger_workflow"}
)


def _gate_marker() -> str:
    """Ready-queue marker (no closure per run): check the workflow's trigger conditions first."""
    raise AssertionError("a marker, never called")


_GATE = _gate_marker

StepHandler = Callable[["Engine", RunState, Any, StepRecord], str]


def not_emulated(engine: Engine, step: Step) -> StepHandler:
    """The loader refuses unknown step types; this guards against a hand-built model."""
    raise DoorstepError(f"step {step.ref!r}: type {step.type!r} is not emulated")


class Engine:
    """State and execution. The `Emulator` facade holds one and offers its public surface.

    Step executors, the dispatcher and schedule firing import this module, never the reverse;
    `emulator.engine._wiring.wire` plugs them in.
    """

    def __init__(
        self,
        definitions: Definitions,
        *,
        clock: Clock,
        channels: Channels,
        email_provider: EmailProvider,
        seed: int = 0,
        vars: Mapping[str, Any] | None = None,
        strict: bool = False,
    ) -> None:
        self.definitions = definitions
        # One re-entrant lock guards all state: servers call in from their own threads. The
        # engine owns it; the clock takes it too, so timers fire under the same lock.
        self.lock = threading.RLock()
        clock.lock = self.lock
        self.clock = clock
        self.ids = IdFactory(seed)
        self.vars: dict[str, Any] = dict(vars or {})
        self.strict = strict
        self.entities = Entities()
        self.messages_store = MessageStore()
        self.templates = TemplateRenderer(
            layouts=definitions.layouts,
            partials=definitions.partials,
            translations=definitions.translations,
            entities=EntityView(self.entities),
            strict=strict,
            now=lambda: clock.now,
        )
        # Every kept run's record, in start order; the state of the runs that may still act
        # (running, parked, or merged into a batch that is open). A finished run keeps only
        # its record: the cursor, scopes and message refs it ran with go when it ends.
        self.runs: dict[str, Run | CompactRow] = {}
        self.live: dict[str, RunState] = {}
        # The newest finished runs stay `Run` objects; older ones become one tuple each.
        self.whole_runs = WHOLE_RUNS
        self._whole: deque[Run] = deque()
        self.compact_runs = CompactRuns()  # compacts, expands and releases the rows
        self.environment_preferences: dict[str, Any] | None = None
        self.batches: dict[tuple[str, ...], OpenBatch] = {}  # open batches by identity
        self.throttles: dict[tuple[str, ...], Any] = {}
        self.once_per_recipient: set[tuple[str, ...]] = set()
        self._ready: deque[tuple[RunState, Callable[[], str] | None]] = deque()
        self._draining = False
        self.step_handlers: dict[str, StepHandler] = {}
        self.missing_handler: Callable[[Engine, Step], StepHandler] = not_emulated  # see wire
        self.channels = channels
        self.idempotency: dict[str, tuple[str, datetime, TriggerResult]] = {}
        # Knock answers `actor_missing` when an actor id was never identified.
        self.require_identified_actor = True
        self.http_responder: Responder = no_responder
        self.ai_responder: AiResponder = no_ai_responder
        self.waits: list[Wait] = []  # runs parked on wait_for_event steps
        self.audiences: Audiences = Audiences()  # static; is_audience_member reads member ids
        self.guide_engagements = GuideEngagements()  # guide messages: seen, archived, ...
        self.schedules_store = Schedules(clock, self.entities)
        self.bulk_operations = BulkOperations()  # what the bulk APIs did, for their GET route
        self.delivery = Delivery(clock, self.entities, email_provider)
        self.observers = every_emulator_observers(definitions.workflows.values())  # coverage, ...

    # -- run lifecycle -------------------------------------------------------------------
    def start_run(self, rs: RunState) -> None:
        """Register a new run and queue it; call `drain()` to execute."""
        self.runs[rs.record.id] = rs.record
        self.live[rs.record.id] = rs
        push_frame(rs, rs.workflow.steps)
        self._ready.append((rs, _GATE))
        if self.waits:
            self._workflow_event(rs, "started")

    def resume(self, rs: RunState, first: Callable[[], str] | None = None) -> None:
        """Queue a parked run to go on (after a timer or a batch close) and execute the queue."""
        rs.record.status = "running"
        self._ready.append((rs, first))
        self.drain()

    def drain(self) -> None:
        if self._draining:
            return
        self._draining = True
        try:
            while self._ready:
                rs, first = self._ready.popleft()
                self._step_loop(rs, first)
        finally:
            self._draining = False

    def _step_loop(self, rs: RunState, first: Callable[[], str] | None) -> None:
        if rs.record.finished:
            return
        if first is _GATE:
            if rs.workflow.conditions is not None and self._trigger_gate(rs) != NEXT:
                return
        elif first is not None and first() != NEXT:
            return
        workflow = rs.workflow
        frames = rs.frames
        while True:
            if not frames:
                self.finish(rs, "completed")
                return
            top = len(frames) - FRAME
            steps, index = frames[top], frames[top + 1]
            if index >= len(steps):
                terminates, branch = frames[top + 2], frames[top + 3]
                del frames[top:]
                if terminates:
                    self.finish(rs, "terminated", f"branch {branch!r} terminates the run")
                    return
                continue
            step = steps[index]
            frames[top + 1] = index + 1
            current = self.definitions.workflows.get(workflow.key)
            if current is not None and not current.active:
                self.finish(rs, "terminated", "the workflow is inactive")
                return
            if self.execute_step(rs, step) != NEXT:
                return

    def _trigger_gate(self, rs: RunState) -> str:
        """Workflow-level (trigger step) conditions: false ends the run before any step."""
        if rs.workflow.conditions is None:
            return NEXT
        result = evaluate(rs.workflow.conditions, self.condition_scope(rs))
        if self.observers:
            self.observers.condition_evaluated(rs.workflow, None, "trigger", result.passed)
        if result.passed:
            return NEXT
        self.finish(rs, "terminated", "workflow conditions are false: " + result.explain())
        return END

    def execute_step(self, rs: RunState, step: Step) -> str:
        now = self.clock.now
        record = StepRecord(step.ref, step.type, "executed", now)
        rs.record.steps.append(record)
        if self.observers:
            self.observers.step_reached(rs.workflow, step.ref)
        if step.conditions is not None:
            result = evaluate(step.conditions, self.condition_scope(rs))
            record.detail["conditions"] = result
            if self.observers:
                self.observers.condition_evaluated(rs.workflow, step.ref, "step", result.passed)
            if not result.passed:
                return self.skip(rs, record, "conditions are false: " + result.explain())
        handler = self.step_handlers.get(step.type) or self.missing_handler(self, step)
        attempt = 1
        while True:
            try:
                outcome = handler(self, rs, step, record)
                break
            except DoorstepError as exc:  # ours: render, data, trigger errors
                if step.type not in _RETRIED:
                    return self._failed(rs, record, exc)
                if attempt == STEP_ATTEMPTS:
                    record.detail["tries"] = attempt
                    return self._failed(rs, record, exc)
                attempt += 1
            except Exception as exc:  # a bug: never retried
                return self._failed(rs, record, exc)
        if outcome == NEXT and record.ended_at is None:
            record.ended_at = self.clock.now
        return outcome

    def guarded(self, rs: RunState, record: StepRecord, work: Callable[[], str]) -> str:
        """Run a step's later work (after a timer) the way `execute_step` runs a step."""
        try:
            return work()
        except Exception as exc:
            return self._failed(rs, record, exc)

    def _failed(self, rs: RunState, record: StepRecord, exc: Exception) -> str:
        """An error fails the step and halts the run, as Knock does.

        Our own errors (render, fetch, data) are recorded and the run ends `failed`; in strict
        mode, and for unexpected exceptions (bugs), they also propagate to the caller.
        """
        record.outcome, record.error, record.ended_at = "failed", str(exc), self.clock.now
        if self.observers:
            self.observers.step_outcome(rs.workflow, record.ref, "failed", str(exc))
        self.finish(rs, "failed", f"step {record.ref!r} failed: {exc}")
        if self.strict or not isinstance(exc, DoorstepError):
            raise exc
        return END

    def skip(self, rs: RunState, record: StepRecord, reason: str) -> str:
        record.outcome, record.skipped_because, record.ended_at = "skipped", reason, self.clock.now
        if self.observers:
            self.observers.step_outcome(rs.workflow, record.ref, "skipped", reason)
        if record.type == "channel":
            ref_ids(rs, record.ref)
        return NEXT

    def park(self, rs: RunState, record: StepRecord) -> str:
        record.outcome = "waiting"
        rs.waiting = record
        rs.record.status = "waiting"
        rs.record.updated_at = self.clock.now
        return PAUSE

    def finish(self, rs: RunState, status: str, because: str | None = None) -> None:
        rs.record.status = status
        rs.record.ended_because = because
        rs.record.updated_at = self.clock.now
        rs.waiting = None
        if status == "completed" and self.waits:
            self._workflow_event(rs, "completed")
        if status != "merged_into_batch":  # a merged run may still carry its batch on
            rs.frames.clear()  # a finished run never resumes; free its cursor
        if rs.batch_slot is None:  # in an open batch it stays until the batch closes
            self.retire(rs)
        if rs.timer is not None:
            rs.timer.cancel()
            rs.timer = None

    def retire(self, rs: RunState) -> None:
        """A finished run leaves `live` (a run merged into a batch, when the batch closes) and
        joins the line of whole runs; the oldest beyond `whole_runs` is compacted."""
        self.live.pop(rs.record.id, None)
        self._whole.append(rs.record)
        if len(self._whole) > self.whole_runs:
            self._compact_oldest()

    def _compact_oldest(self) -> None:
        """Turn the oldest whole finished run into its compact row (a run in `live` again, or
        no longer kept, is left as it is)."""
        run = self._whole.popleft()
        if self.runs.get(run.id) is run and run.finished and run.id not in self.live:
            self.runs[run.id] = self.compact_runs.compact(run)

    # -- events for wait_for_event steps ------------------------------------------------
    def emit(self, event: Event) -> None:
        """Offer `event` to every parked wait_for_event step (each matching one resumes)."""
        for wait in list(self.waits):
            wait.offer(event)

    @cached_property
    def message_listener(self) -> Callable[[Message, str], None]:
        """`message_event` as one bound method shared by every message, made for the first
        message (an engine that sends nothing holds no reference to itself)."""
        return self.message_event

    def message_event(self, message: Message, key: str) -> None:
        """A message's status or engagement changed: Knock's `message` event of that key."""
        if self.waits:
            self.emit(message_event(message, key, self.clock.now))

    def _workflow_event(self, rs: RunState, key: str) -> None:
        self.emit(workflow_event(rs, key, self.clock.now))

    # -- scopes --------------------------------------------------------------------------
    def recipient_scope(self, rs: RunState) -> dict[str, Any]:
        collection, entity_id = rs.recipient_ref
        out = self.entities.serialize(collection, entity_id)
        if rs.subscription is not None:
            out["subscription"] = rs.subscription
        if rs.schedule is not None:
            out["schedule"] = rs.schedule
        return out

    def actor_scope(self, rs: RunState) -> dict[str, Any] | None:
        return None if rs.actor_ref is None else self.entities.serialize(*rs.actor_ref)

    def tenant_scope(self, rs: RunState) -> dict[str, Any] | None:
        if rs.tenant_id is None:
            return None
        return self.entities.serialize("$tenants", rs.tenant_id) | {"__typename": "Tenant"}

    def workflow_scope(self, rs: RunState) -> dict[str, Any]:
        return workflow_scope(rs)

    def condition_scope(
        self, rs: RunState, extra: Mapping[str, Any] | None = None
    ) -> ConditionScope:
        """What conditions read; `extra` adds namespaces such as a wait step's `event`."""
        namespaces = Namespaces(self, rs)
        if extra:
            namespaces._built.update(extra)
        return ConditionScope(namespaces, RefView(rs, self.messages_store), self.clock.now)

    def run_scope(self, rs: RunState) -> dict[str, Any]:
        """`run.total_activities` / `run.total_actors` for conditions."""
        return run_scope(rs)

    def template_context(
        self,
        rs: RunState,
        current_message: Mapping[str, Any] | None = None,
        known: tuple[dict[str, Any], dict[str, Any] | None] | None = None,
    ) -> dict[str, Any]:
        """Knock's template scope for this run (`_scopes.template_context`)."""
        return template_context(self, rs, current_message, known)

    def run_preferences(self, rs: RunState) -> dict[str, Any] | None:
        """The preference set this run evaluates; None when nothing is set at any level."""
        sets = self.entities.preference_sets(*rs.recipient_ref)
        tenant = self.tenant_scope(rs)
        return run_preference_set(sets, rs.tenant_id, tenant, self.environment_preferences)

    def ref_state(self, rs: RunState, ref: str) -> RefState:
        return ref_state(rs, ref, self.messages_store)

    # -- queries -------------------------------------------------------------------------
    def workflow(self, key: str) -> Workflow:
        try:
            return self.definitions.workflows[key]
        except KeyError:
            known = ", ".join(sorted(self.definitions.workflows)) or "none loaded"
            raise TriggerError(
                "workflow_missing",
                f"no workflow with key {key!r} (known: "
                f"{known}); check the key or the workflows directory",
                status=404,
            ) from None
