"""Resend's automations: a graph of steps (`trigger`, `send_email`, `delay`, `wait_for_event`,
`condition`, `contact_update`, `contact_delete`, `add_to_segment`) joined by connections.

An enabled automation starts a run for the contact of each `POST /events/send` whose event its
`trigger` step names; `ResendAutomationRuns` walks the graph on the virtual clock. Stopping an
automation disables it and cancels its running runs.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from emulator.core import Clock, IdFactory
from emulator.mail._resend_automation_runs import ResendAutomationRuns
from emulator.mail._resend_contacts import ResendContacts
from emulator.mail._resend_events import ResendEvents
from emulator.mail._resend_resources import Record, body_of, field, found, page, pg_time
from emulator.mail._resend_validation import ResendApiError

STEP_TYPES = (
    "trigger", "send_email", "delay", "wait_for_event", "condition", "contact_update",
    "contact_delete", "add_to_segment",
)  # fmt: skip
CONNECTION_TYPES = ("default", "condition_met", "condition_not_met", "timeout", "event_received")
MAX_STEPS = 150
_STATUSES = ("enabled", "disabled")
_LISTED = ("id", "name", "status", "created_at", "updated_at")


def _invalid(message: str) -> ResendApiError:
    return ResendApiError(422, "validation_error", message)


def _graph(body: Any) -> tuple[list[Record], list[Record]]:
    """The `steps` and `connections` of a request, checked."""
    steps, connections = body.get("steps"), body.get("connections")
    if not isinstance(steps, list) or not 1 <= len(steps) <= MAX_STEPS:
        raise _invalid(f"The `steps` field must list 1 to {MAX_STEPS} steps.")
    if not isinstance(connections, list):
        raise _invalid("The `connections` field must be a list.")
    out_steps: list[Record] = []
    for index, raw in enumerate(steps):
        step = body_of(raw)
        key, kind = field(step, "key", str, required=True), field(step, "type", str, required=True)
        config = field(step, "config", dict, required=True)
        if kind not in STEP_TYPES:
            raise _invalid(f"steps[{index}].type must be one of {', '.join(STEP_TYPES)}.")
        if any(s["key"] == key for s in out_steps):
            raise _invalid(f"steps[{index}].key `{key}` is used by another step.")
        out_steps.append({"key": key, "type": kind, "config": dict(config)})
    if not any(s["type"] == "trigger" for s in out_steps):
        raise _invalid("The automation needs at least one `trigger` step.")
    keys = {s["key"] for s in out_steps}
    out_connections: list[Record] = []
    for index, raw in enumerate(connections):
        link = body_of(raw)
        ends = field(link, "from", str, required=True), field(link, "to", str, required=True)
        kind = field(link, "type", str) or "default"
        if kind not in CONNECTION_TYPES:
            raise _invalid(
                f"connections[{index}].type must be one of {', '.join(CONNECTION_TYPES)}."
            )
        if not set(ends) <= keys:
            raise _invalid(f"connections[{index}] joins a step key that no step has.")
        out_connections.append({"from": ends[0], "to": ends[1], "type": kind})
    return out_steps, out_connections


class ResendAutomations:
    """Automation records; their runs live in `runs`."""

    def __init__(
        self,
        clock: Clock,
        contacts: ResendContacts,
        events: ResendEvents,
        send: Callable[[dict[str, Any]], dict[str, Any]],
        *,
        seed: int = 0,
    ) -> None:
        self.clock = clock
        self._ids = IdFactory(seed, kind="resend_automations")
        self._lock = threading.RLock()
        self.automations: dict[str, Record] = {}
        self.runs = ResendAutomationRuns(clock, contacts, send, seed=seed)
        events.listeners.append(self.on_event)

    def clear(self) -> None:
        """Forget every automation; running runs never go on."""
        with self._lock:
            self.runs.clear()
            self.automations.clear()

    def _find(self, automation_id: str) -> Record:
        return found(self.automations, automation_id, "Automation")

    def create(self, raw: Any) -> Record:
        """`POST /automations` (disabled unless `status: enabled`)."""
        body = body_of(raw)
        name = field(body, "name", str, required=True)
        status = field(body, "status", str) or "disabled"
        if status not in _STATUSES:
            raise _invalid("The `status` field must be `enabled` or `disabled`.")
        steps, connections = _graph(body)
        now = pg_time(self.clock.now)
        with self._lock:
            record = {
                "object": "automation",
                "id": self._ids.uuid4(),
                "name": name,
                "status": status,
                "created_at": now,
                "updated_at": now,
                "steps": steps,
                "connections": connections,
            }
            self.automations[record["id"]] = record
        return {"object": "automation", "id": record["id"]}

    def list(
        self, limit: int, after: str | None, before: str | None, status: str | None = None
    ) -> Record:
        """`GET /automations`: newest first, optionally one `status`."""
        if status is not None and status not in _STATUSES:
            raise _invalid("The `status` parameter must be `enabled` or `disabled`.")
        with self._lock:
            items = [
                {k: a[k] for k in _LISTED}
                for a in reversed(self.automations.values())
                if status is None or a["status"] == status
            ]
        return page(items, limit, after, before)

    def get(self, automation_id: str) -> Record:
        """`GET /automations/{id}`."""
        with self._lock:
            return dict(self._find(automation_id))

    def update(self, automation_id: str, raw: Any) -> Record:
        """`PATCH /automations/{id}`: name, status, or steps with connections."""
        body = body_of(raw)
        if not {"name", "status", "steps", "connections"} & set(body):
            raise _invalid(
                "Provide at least one of `name`, `status`, or `steps` and `connections`."
            )
        if ("steps" in body) != ("connections" in body):
            raise _invalid("`steps` and `connections` must be provided together.")
        name, status = field(body, "name", str), field(body, "status", str)
        if status is not None and status not in _STATUSES:
            raise _invalid("The `status` field must be `enabled` or `disabled`.")
        graph = _graph(body) if "steps" in body else None
        with self._lock:
            record = self._find(automation_id)
            if name is not None:
                record["name"] = name
            if status is not None:
                record["status"] = status
            if graph is not None:
                record["steps"], record["connections"] = graph
            record["updated_at"] = pg_time(self.clock.now)
        return {"object": "automation", "id": automation_id}

    def remove(self, automation_id: str) -> Record:
        """`DELETE /automations/{id}` (its running runs are cancelled)."""
        with self._lock:
            self._find(automation_id)
            self.runs.stop(automation_id)
            del self.automations[automation_id]
        return {"object": "automation", "id": automation_id, "deleted": True}

    def duplicate(self, automation_id: str) -> Record:
        """`POST /automations/{id}/duplicate`: a disabled copy."""
        with self._lock:
            source = self._find(automation_id)
            now = pg_time(self.clock.now)
            copy = dict(source) | {
                "id": self._ids.uuid4(),
                "name": f"{source['name']} (Copy)",
                "status": "disabled",
                "created_at": now,
                "updated_at": now,
                "steps": [dict(s) for s in source["steps"]],
                "connections": [dict(c) for c in source["connections"]],
            }
            self.automations[copy["id"]] = copy
        return {"object": "automation", "id": copy["id"]}

    def stop(self, automation_id: str) -> Record:
        """`POST /automations/{id}/stop`: disabled, and its running runs cancelled."""
        with self._lock:
            record = self._find(automation_id)
            record.update(status="disabled", updated_at=pg_time(self.clock.now))
            self.runs.stop(automation_id)
        return {"object": "automation", "id": automation_id, "status": "disabled"}

    def list_runs(
        self,
        automation_id: str,
        limit: int,
        after: str | None,
        before: str | None,
        status: str | None = None,
    ) -> Record:
        """`GET /automations/{id}/runs`: newest first; `status` a comma-separated filter."""
        with self._lock:
            self._find(automation_id)
        return self.runs.listed(automation_id, limit, after, before, status)

    def get_run(self, automation_id: str, run_id: str) -> Record:
        """`GET /automations/{id}/runs/{run_id}`."""
        with self._lock:
            self._find(automation_id)
        return self.runs.get(automation_id, run_id)

    def on_event(self, name: str, contact: Record, payload: dict[str, Any]) -> None:
        """An event was sent: start each enabled automation it triggers, wake waiting runs."""
        with self._lock:
            started = [
                a
                for a in self.automations.values()
                if a["status"] == "enabled"
                and any(
                    s["type"] == "trigger" and s["config"].get("event_name") == name
                    for s in a["steps"]
                )
            ]
        self.runs.event(name, contact, payload)
        for automation in started:
            self.runs.start(automation, name, contact, payload)
