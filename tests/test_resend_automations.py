"""Resend events and automations through the official `resend` Python SDK: `POST /events/send`
starts each enabled automation its trigger names for the contact, and the run walks the graph
on the virtual clock (send the published template, delay, condition, wait for an event or its
timeout, update the contact, add it to a segment); stop cancels a running run (resend-api.yml:
automations, events; Resend's docs: automations)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import resend
import resend.exceptions as rex

from emulator.core._clock import Clock
from emulator.http import ServerThread, create_resend_app
from emulator.mail import Mailbox, ResendService


class Env:
    def __init__(self, clock: Clock, box: Mailbox) -> None:
        self.clock, self.box = clock, box


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> Iterator[Env]:
    clock = Clock()
    box = Mailbox(clock)
    with ServerThread(create_resend_app(ResendService(box, api_keys={"re_sdk"}))) as server:
        monkeypatch.setattr(resend, "api_url", server.base_url)
        monkeypatch.setattr(resend, "api_key", "re_sdk")
        welcome = resend.Templates.create(
            {
                "name": "welcome",
                "alias": "welcome",
                "from": "Acme <hi@acme.test>",
                "subject": "Welcome on {{{PLAN}}}",
                "html": "<p>{{{PLAN}}}</p>",
                "variables": [{"key": "PLAN", "type": "string", "fallback_value": "free"}],
            }
        )
        resend.Templates.publish(welcome["id"])
        yield Env(clock, box)


def step(key: str, kind: str, **config: Any) -> Any:
    return {"key": key, "type": kind, "config": config}


def link(a: str, b: str, kind: str = "default") -> Any:
    return {"from": a, "to": b, "type": kind}


ONBOARDING: dict[str, Any] = {
    "name": "onboarding",
    "status": "enabled",
    "steps": [
        step("start", "trigger", event_name="user.signed_up"),
        step("hello", "send_email", template={"id": "welcome"}),
        step("wait", "delay", duration="1 hour"),
        step("pro", "condition", type="rule", field="event.plan", operator="equals", value="pro"),
        step("vip", "add_to_segment", segment_id="SEGMENT"),
        step("rename", "contact_update", first_name="Free"),
    ],
    "connections": [
        link("start", "hello"),
        link("hello", "wait"),
        link("wait", "pro"),
        link("pro", "vip", "condition_met"),
        link("pro", "rename", "condition_not_met"),
    ],
}


def onboarding(segment: str) -> str:
    body = {**ONBOARDING, "steps": [dict(s) for s in ONBOARDING["steps"]]}
    body["steps"][4] = step("vip", "add_to_segment", segment_id=segment)
    return str(resend.Automations.create(body)["id"])  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("plan", "segments", "first_name"), [("pro", 1, "Ada"), ("free", 0, "Free")]
)
def test_an_event_runs_the_automation(env: Env, plan: str, segments: int, first_name: str) -> None:
    segment = resend.Segments.create({"name": "vip"})["id"]
    contact = resend.Contacts.create({"email": "ada@example.com", "first_name": "Ada"})["id"]
    resend.Events.create({"name": "user.signed_up", "schema": {"plan": "string"}})
    automation = onboarding(segment)
    sent = resend.Events.send(
        {
            "event": "user.signed_up",
            "email": "ada@example.com",
            "payload": {"PLAN": plan, "plan": plan},
        }
    )
    assert (sent["object"], sent["event"]) == ("event", "user.signed_up")
    assert [m.subject for m in env.box] == [f"Welcome on {plan}"]
    runs = resend.Automations.Runs.list(automation)["data"]
    assert [r["status"] for r in runs] == ["running"]
    env.clock.advance(hours=1)
    run = resend.Automations.Runs.get(automation, runs[0]["id"])
    assert run["status"] == "completed"
    assert [(s["key"], s["status"]) for s in run["steps"]][:4] == [
        ("start", "completed"), ("hello", "completed"), ("wait", "completed"), ("pro", "completed"),
    ]  # fmt: skip
    got = resend.Contacts.get(id=contact)
    assert got["first_name"] == first_name
    assert len(resend.Contacts.Segments.list({"contact_id": contact})["data"]) == segments


def test_wait_for_event_timeout_and_stop(env: Env) -> None:
    resend.Contacts.create({"email": "bob@example.com"})
    automation = resend.Automations.create(
        {
            "name": "nudge",
            "status": "enabled",
            "steps": [
                step("start", "trigger", event_name="trial.started"),
                step("paid", "wait_for_event", event_name="trial.paid", timeout="2 days"),
                step("nudge", "send_email", template={"id": "welcome"}, subject="Still there?"),
            ],
            "connections": [link("start", "paid"), link("paid", "nudge", "timeout")],
        }
    )["id"]
    for _ in range(3):
        resend.Events.send({"event": "trial.started", "email": "bob@example.com"})
    runs = [r["id"] for r in resend.Automations.Runs.list(automation)["data"]]
    resend.Events.send({"event": "trial.paid", "email": "bob@example.com"})  # all three wake
    assert {resend.Automations.Runs.get(automation, r)["status"] for r in runs} == {"completed"}
    resend.Events.send({"event": "trial.started", "email": "bob@example.com"})
    env.clock.advance(days=2)
    assert [m.subject for m in env.box] == ["Still there?"]
    resend.Events.send({"event": "trial.started", "email": "bob@example.com"})
    stopped = resend.Automations.stop(automation)
    assert (stopped["id"], stopped["status"]) == (automation, "disabled")
    statuses = [r["status"] for r in resend.Automations.Runs.list(automation)["data"]]
    assert statuses == ["cancelled", "completed", "completed", "completed", "completed"]
    assert (
        resend.Automations.Runs.list(automation, {"status": "cancelled,failed"})["data"][0][
            "status"
        ]
        == "cancelled"
    )
    resend.Events.send({"event": "trial.started", "email": "bob@example.com"})  # disabled now
    assert len(resend.Automations.Runs.list(automation)["data"]) == 5


def test_a_failing_step_fails_the_run(env: Env) -> None:
    automation = resend.Automations.create(
        {
            "name": "broken",
            "status": "enabled",
            "steps": [
                step("start", "trigger", event_name="go"),
                step("mail", "send_email", template={"id": "missing"}),
            ],
            "connections": [link("start", "mail")],
        }
    )["id"]
    resend.Events.send({"event": "go", "email": "x@example.com"})
    run_id = resend.Automations.Runs.list(automation)["data"][0]["id"]
    run = resend.Automations.Runs.get(automation, run_id)
    assert run["status"] == "failed"
    assert run["steps"][-1]["error"] == {"message": "Template not found"}


def test_automation_and_event_records(env: Env) -> None:
    automation = onboarding("seg")
    copy = resend.Automations.duplicate(automation)["id"]
    listed = resend.Automations.list()["data"]
    assert [(a["id"], a["status"]) for a in listed] == [(copy, "disabled"), (automation, "enabled")]
    assert [a["id"] for a in resend.Automations.list({"status": "enabled"})["data"]] == [automation]
    resend.Automations.update({"automation_id": copy, "name": "renamed", "status": "enabled"})
    got = resend.Automations.get(copy)
    assert (got["name"], got["status"], len(got["steps"])) == ("renamed", "enabled", 6)
    assert resend.Automations.remove(copy)["deleted"] is True
    event = resend.Events.create({"name": "order.paid", "schema": {"total": "number"}})["id"]
    resend.Events.update({"identifier": "order.paid", "schema": None})
    assert resend.Events.get(event)["schema"] is None
    assert [e["name"] for e in resend.Events.list()["data"]] == ["order.paid"]
    assert resend.Events.remove("order.paid")["deleted"] is True


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: resend.Events.create({"name": "resend:x"}), "reserved"),
        (lambda: resend.Events.send({"event": "x"}), "Exactly one of"),
        (
            lambda: resend.Automations.create(
                {"name": "n", "steps": [step("a", "delay", duration="1 hour")], "connections": []}
            ),
            "at least one `trigger`",
        ),
        (
            lambda: resend.Automations.create(
                {"name": "n", "steps": [step("a", "trigger")], "connections": [link("a", "b")]}
            ),
            "no step has",
        ),
        (
            lambda: resend.Automations.get("00000000-0000-4000-8000-000000000000"),
            "Automation not found",
        ),
    ],
)
def test_refused(env: Env, call: Any, message: str) -> None:
    with pytest.raises(rex.ResendError, match=message):
        call()


def test_a_payload_must_match_the_event_schema(env: Env) -> None:
    resend.Events.create({"name": "order.paid", "schema": {"total": "number"}})
    with pytest.raises(rex.ResendError, match=r"payload\.total must be a number"):
        resend.Events.send(
            {"event": "order.paid", "email": "a@example.com", "payload": {"total": "3"}}
        )
