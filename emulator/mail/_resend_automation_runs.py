"""Automation runs: one contact's walk through an automation's graph, on the virtual clock.

From the `trigger` step each step runs and the walk follows its connections: `default` after
most steps, `condition_met` / `condition_not_met` after a `condition`, `event_received` or
`timeout` after a `wait_for_event`. A `delay` waits on a clock timer; a `wait_for_event` waits
for that event for the same contact (or its `timeout`). `send_email` sends the step's published
`template` to the contact through `POST /emails`' path. A step that cannot run fails the run,
with the reason in the step's `error`. A run is `running` until nothing is left to do.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from emulator.core import Clock, DurationError, IdFactory, Timer, parse_duration
from emulator.mail._resend_contacts import ResendContacts
from emulator.mail._resend_resources import Record, page, pg_time
from emulator.mail._resend_validation import ResendApiError

RUN_STATUSES = ("running", "completed", "failed", "cancelled")
_LISTED = ("id", "status", "started_at", "completed_at", "created_at")


class StepFailed(Exception):
    """A step could not run; the message goes into the step's `error`."""


@dataclass(slots=True)
class _Run:
    record: Record
    automation_id: str
    steps: dict[str, Record]
    connections: list[Record]
    contact: Record
    payload: dict[str, Any]
    timers: dict[str, Timer] = field(default_factory=dict)  # step key -> its pending timer
    waiting: dict[str, str] = field(default_factory=dict)  # step key -> the event it waits for


def _lookup(path: str, scope: dict[str, Any]) -> Any:
    value: Any = scope
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return scope["event"].get(path) if path in scope["event"] else None
        value = value[part]
    return value


_OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "equals": lambda a, b: a == b,
    "not_equals": lambda a, b: a != b,
    "contains": lambda a, b: str(b) in str(a) if a is not None else False,
    "not_contains": lambda a, b: str(b) not in str(a) if a is not None else True,
    "starts_with": lambda a, b: str(a).startswith(str(b)) if a is not None else False,
    "ends_with": lambda a, b: str(a).endswith(str(b)) if a is not None else False,
    "exists": lambda a, _: a not in (None, ""),
    "not_exists": lambda a, _: a in (None, ""),
    "gt": lambda a, b: a is not None and a > b,
    "gte": lambda a, b: a is not None and a >= b,
    "lt": lambda a, b: a is not None and a < b,
    "lte": lambda a, b: a is not None and a <= b,
}


def matches(rule: Any, scope: dict[str, Any]) -> bool:
    """Whether a condition's rule tree (`rule`, `and`, `or`) holds for the contact and event."""
    if not isinstance(rule, dict):
        raise StepFailed("a condition needs a rule object")
    kind = rule.get("type", "rule")
    if kind in ("and", "or"):
        rules = rule.get("rules") or rule.get("conditions") or []
        results = [matches(r, scope) for r in rules]
        return all(results) if kind == "and" else any(results)
    operator = _OPERATORS.get(str(rule.get("operator")))
    if operator is None:
        raise StepFailed(f"unknown operator {rule.get('operator')!r}; use {', '.join(_OPERATORS)}")
    try:
        return operator(_lookup(str(rule.get("field", "")), scope), rule.get("value"))
    except TypeError as exc:
        raise StepFailed(f"cannot compare: {exc}") from None


class ResendAutomationRuns:
    """Every run, per automation, and the steps waiting on the clock or an event."""

    def __init__(
        self,
        clock: Clock,
        contacts: ResendContacts,
        send: Callable[[dict[str, Any]], dict[str, Any]],
        *,
        seed: int = 0,
    ) -> None:
        self.clock, self.contacts, self._send = clock, contacts, send
        self._ids = IdFactory(seed, kind="resend_automation_runs")
        self._lock = threading.RLock()
        self.runs: dict[str, dict[str, _Run]] = {}  # automation id -> run id -> run

    def clear(self) -> None:
        """Forget every run; pending timers are cancelled."""
        with self._lock:
            for automation_id in list(self.runs):
                self.stop(automation_id)
            self.runs.clear()

    def stop(self, automation_id: str) -> None:
        """Cancel the automation's running runs."""
        with self._lock:
            for run in self.runs.get(automation_id, {}).values():
                if run.record["status"] == "running":
                    self._finish(run, "cancelled")

    def listed(
        self,
        automation_id: str,
        limit: int,
        after: str | None,
        before: str | None,
        status: str | None,
    ) -> Record:
        """An automation's runs, newest first, optionally only some statuses."""
        wanted = {s.strip() for s in status.split(",") if s.strip()} if status else None
        if wanted and not wanted <= set(RUN_STATUSES):
            raise ResendApiError(
                422, "validation_error", f"`status` lists some of {', '.join(RUN_STATUSES)}."
            )
        with self._lock:
            items = [
                {k: r.record[k] for k in _LISTED}
                for r in reversed(self.runs.get(automation_id, {}).values())
                if wanted is None or r.record["status"] in wanted
            ]
        return page(items, limit, after, before)

    def get(self, automation_id: str, run_id: str) -> Record:
        """One run with its steps, in the order they ran."""
        with self._lock:
            run = self.runs.get(automation_id, {}).get(run_id)
            if run is None:
                raise ResendApiError(404, "not_found", "Automation run not found")
            record = dict(run.record)
            record["steps"] = [dict(s) for s in record["steps"]]
        return record

    def start(
        self, automation: Record, event: str, contact: Record, payload: dict[str, Any]
    ) -> None:
        """A new run of `automation` for `contact`, from its trigger step for `event`."""
        now = pg_time(self.clock.now)
        with self._lock:
            run = _Run(
                record={
                    "object": "automation_run",
                    "id": self._ids.uuid4(),
                    "status": "running",
                    "started_at": now,
                    "completed_at": None,
                    "created_at": now,
                    "steps": [],
                },
                automation_id=automation["id"],
                steps={s["key"]: s for s in automation["steps"]},
                connections=list(automation["connections"]),
                contact=dict(contact),
                payload=dict(payload),
            )
            self.runs.setdefault(automation["id"], {})[run.record["id"]] = run
            trigger = next(
                s["key"]
                for s in automation["steps"]
                if s["type"] == "trigger" and s["config"].get("event_name") == event
            )
            self._walk(run, [trigger])

    def event(self, name: str, contact: Record, payload: dict[str, Any]) -> None:
        """Wake every run waiting for `name` for this contact."""
        with self._lock:
            for runs in self.runs.values():
                for run in runs.values():
                    if run.record["status"] != "running" or not _same(run.contact, contact):
                        continue
                    for key, waited in list(run.waiting.items()):
                        if waited == name:
                            self._resume(run, key, "event_received", {"event": name} | payload)

    # -- walking -------------------------------------------------------------------------
    def _next(self, run: _Run, key: str, kind: str = "default") -> list[str]:
        return [c["to"] for c in run.connections if c["from"] == key and c["type"] == kind]

    def _walk(self, run: _Run, keys: list[str]) -> None:
        pending = list(reversed(keys))
        while pending and run.record["status"] == "running":
            key = pending.pop()
            step = run.steps[key]
            now = pg_time(self.clock.now)
            entry: Record = {
                "key": key,
                "type": step["type"],
                "status": "running",
                "started_at": now,
                "completed_at": None,
                "output": None,
                "error": None,
                "created_at": now,
            }
            run.record["steps"].append(entry)
            try:
                follow = self._step(run, step, entry)
            except (StepFailed, ResendApiError, DurationError) as exc:
                message = exc.message if isinstance(exc, ResendApiError) else str(exc)
                entry.update(status="failed", error={"message": message}, completed_at=now)
                self._finish(run, "failed")
                return
            if follow is None:  # waiting on the clock or an event
                continue
            entry.update(status="completed", completed_at=pg_time(self.clock.now))
            pending.extend(reversed(follow))
        self._settle(run)

    def _step(self, run: _Run, step: Record, entry: Record) -> list[str] | None:
        """Run one step: the keys to go on with, or None when it waits."""
        kind, config, key = step["type"], step["config"], step["key"]
        if kind == "delay":
            span = parse_duration(str(config.get("duration", "")))
            run.timers[key] = self.clock.call_at(
                span.after(self.clock.now),
                lambda: self._resume(run, key, "default", None),
                label=f"resend automation {run.record['id']} {key}",
            )
            entry["status"] = "waiting"
            return None
        if kind == "wait_for_event":
            run.waiting[key] = str(config.get("event_name", ""))
            if config.get("timeout"):
                span = parse_duration(str(config["timeout"]))
                run.timers[key] = self.clock.call_at(
                    span.after(self.clock.now),
                    lambda: self._resume(run, key, "timeout", None),
                    label=f"resend automation {run.record['id']} {key} timeout",
                )
            entry["status"] = "waiting"
            return None
        if kind == "condition":
            scope = {"contact": run.contact, "event": run.payload, "payload": run.payload}
            met = matches(config, scope)
            entry["output"] = {"result": met}
            return self._next(run, key, "condition_met" if met else "condition_not_met")
        entry["output"] = self._act(run, kind, config)
        return self._next(run, key)

    def _act(self, run: _Run, kind: str, config: dict[str, Any]) -> Record | None:
        if kind == "send_email":
            return self._send_email(run, config)
        if kind in ("contact_update", "contact_delete", "add_to_segment"):
            if not run.contact.get("id"):
                raise StepFailed(f"no contact has the address {run.contact['email']}")
            contact_id = str(run.contact["id"])
            if kind == "contact_update":
                plain = {k: v for k, v in config.items() if not isinstance(v, dict)}
                if isinstance(config.get("properties"), dict):
                    plain["properties"] = config["properties"]
                self.contacts.update_contact(contact_id, plain)
            elif kind == "contact_delete":
                self.contacts.remove_contact(contact_id)
            else:
                self.contacts.add_to_segment(contact_id, str(config.get("segment_id", "")))
        return None

    def _send_email(self, run: _Run, config: dict[str, Any]) -> Record:
        template = config.get("template")
        if not isinstance(template, dict) or not template.get("id"):
            raise StepFailed("a send_email step needs `template: {id}`")
        variables = {**run.payload, **(template.get("variables") or {})}
        email: dict[str, Any] = {
            "to": [run.contact["email"]],
            "template": {"id": template["id"], "variables": variables},
        }
        for name in ("from", "subject", "reply_to"):
            if config.get(name):
                email[name] = config[name]
        return {"email_id": self._send(email)["id"]}

    def _resume(self, run: _Run, key: str, via: str, output: Record | None) -> None:
        with self._lock:
            if run.record["status"] != "running" or (
                key not in run.timers and key not in run.waiting
            ):
                return
            timer = run.timers.pop(key, None)
            if timer is not None and via != "timeout" and via != "default":
                timer.cancel()
            run.waiting.pop(key, None)
            entry = next(s for s in reversed(run.record["steps"]) if s["key"] == key)
            entry.update(status="completed", completed_at=pg_time(self.clock.now), output=output)
            self._walk(run, self._next(run, key, via))

    def _settle(self, run: _Run) -> None:
        if run.record["status"] == "running" and not run.timers and not run.waiting:
            self._finish(run, "completed")

    def _finish(self, run: _Run, status: str) -> None:
        for timer in run.timers.values():
            timer.cancel()
        run.timers.clear()
        run.waiting.clear()
        run.record.update(status=status, completed_at=pg_time(self.clock.now))


def _same(a: Record, b: Record) -> bool:
    if a.get("id") and b.get("id"):
        return bool(a["id"] == b["id"])
    return str(a.get("email", "")).lower() == str(b.get("email", "")).lower()
