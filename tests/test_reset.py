"""`Emulator.reset()` and `POST /api/reset` leave nothing behind: one row per kind of state.

Each row makes one kind of state (through Python, the Knock API or the Resend API), checks it is
there, resets, and checks it is gone. After every reset no timer is parked, and moving the clock
a month on starts no run and captures no mail. The subscription tests pin two bugs of the time
when the Knock API kept its own state beside the emulator's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest
from starlette.testclient import TestClient
from wfbuild import cond, delay, email, in_app, make_emulator, workflow

from emulator import DeliveryError, Emulator, OutgoingEmail
from emulator.http import create_app
from emulator.mail import InProcessProvider, Mailbox

LOCAL = "http://localhost"  # the Host allow-list refuses TestClient's default "testserver"

KNOCK = {"Authorization": "Bearer sk_test"}
RESEND = {"Authorization": "Bearer re_test"}
MAIL = {"from": "Acme <a@acme.test>", "to": ["b@example.com"], "subject": "Hi", "html": "<p>x</p>"}
THROTTLE = {
    "ref": "throttle_1",
    "type": "throttle",
    "settings": {"throttle_window": {"unit": "hours", "value": 1}, "throttle_limit": 1},
}
WAIT = {
    "ref": "wait_1",
    "type": "wait_for_event",
    "settings": {
        "event": {"event_type": "integration_source", "event_key": "paid"},
        "expires_after": {"unit": "days", "value": 2},
    },
}


@dataclass
class Env:
    emu: Emulator
    client: TestClient
    ids: dict[str, str] = field(default_factory=dict)  # what a row made, for its probe


@pytest.fixture
def env() -> Iterator[Env]:
    emu = make_emulator(
        workflow("note", in_app(body="hi")),
        workflow("mail", email()),
        workflow(
            "digest",
            {
                "ref": "batch_1",
                "type": "batch",
                "settings": {"batch_window": {"unit": "minutes", "value": 5}},
            },
            in_app(),
        ),
        workflow("slow", delay(delay_for={"unit": "hours", "value": 1}), in_app()),
        workflow("limited", THROTTLE, in_app()),
        workflow(
            "waiter", WAIT, in_app(conditions=cond("refs.wait_1.matched", "equal_to", "true"))
        ),
    )
    with TestClient(create_app(emu), base_url=LOCAL) as client:
        yield Env(emu, client)


def _subscribe_over_http(env: Env) -> None:
    env.client.put("/v1/objects/projects/p1", headers=KNOCK, json={})
    answer = env.client.post(
        "/v1/objects/projects/p1/subscriptions", headers=KNOCK, json={"recipients": ["u1"]}
    )
    assert answer.status_code == 200, answer.text


def _interacted_with_metadata(env: Env) -> None:
    [message] = env.emu.trigger("note", ["u1"]).runs[0].step("in_app_feed_1").message_ids
    path = f"/v1/messages/{message}/interacted"
    answer = env.client.put(path, headers=KNOCK, json={"metadata": {"via": "test"}})
    assert answer.json()["metadata"] == {"via": "test"}


def _message_metadata(env: Env) -> bool:
    return any(m.metadata for m in env.emu.messages())


def _idempotent_trigger(env: Env) -> bool:
    """True when this trigger was answered as a replay of an earlier one."""
    headers = {**KNOCK, "Idempotency-Key": "k1"}
    answer = env.client.post(
        "/v1/workflows/note/trigger", headers=headers, json={"recipients": ["u1"]}
    )
    return answer.headers.get("idempotent-replayed") == "true"


def _bulk_operation(env: Env) -> None:
    env.emu.trigger("note", ["u1"])
    answer = env.client.post("/v1/channels/in-app-feed/messages/bulk/seen", headers=KNOCK, json={})
    env.ids["bulk"] = answer.json()["id"]


def _bulk_operation_exists(env: Env) -> bool:
    op_id = env.ids["bulk"]
    return env.client.get(f"/v1/bulk_operations/{op_id}", headers=KNOCK).status_code == 200


def _throttled(env: Env) -> bool:
    """True when a new trigger is throttled by an earlier one."""
    return env.emu.trigger("limited", ["u1"]).runs[0].status == "throttled"


def _scheduled_resend_email(env: Env) -> None:
    answer = env.client.post(
        "/emails", headers=RESEND, json={**MAIL, "scheduled_at": "in 10 minutes"}
    )
    env.ids["email"] = answer.json()["id"]


def _resend_email_exists(env: Env) -> bool:
    email_id = env.ids["email"]
    return env.client.get(f"/emails/{email_id}", headers=RESEND).status_code == 200


class _FailsOnce:
    """A provider that refuses the first email (retryably), then captures."""

    def __init__(self, box: Mailbox) -> None:
        self.inner, self.refused = InProcessProvider(box), False

    def send(self, email: OutgoingEmail) -> str:
        if not self.refused:
            self.refused = True
            raise DeliveryError("busy, try later", permanent=False)
        return self.inner.send(email)


def _delivery_retry(env: Env) -> None:
    env.emu.email_provider = _FailsOnce(env.emu.outbox)
    env.emu.trigger("mail", ["u1"])


def _pushed_content(env: Env) -> None:
    """A saved draft and a committed change: what the Management API (`knock push`) leaves."""
    env.emu.content.save(("workflow", "fresh"), {"name": "Fresh", "steps": []})
    env.emu.content.commit("add fresh")
    env.emu.use_committed_content()
    env.emu.content.save(("workflow", "draft-only"), {"name": "Draft", "steps": []})


def _content_present(env: Env) -> bool:
    content = env.emu.content
    return bool(content.commits or content.drafts) or "fresh" in env.emu.definitions.workflows


Make = Callable[[Env], object]
Probe = Callable[[Env], bool]
ROWS: list[tuple[str, Make, Probe]] = [
    ("users", lambda e: e.emu.identify("u1"), lambda e: e.emu.user("u1") is not None),
    (
        "objects",
        lambda e: e.emu.set_object("projects", "p1", name="P"),
        lambda e: e.emu.objects("projects") != [],
    ),
    ("tenants", lambda e: e.emu.set_tenant("acme"), lambda e: e.emu.tenants() != []),
    (
        "subscriptions",
        _subscribe_over_http,
        lambda e: e.emu.subscriptions("projects", "p1") != [],
    ),
    (
        "preference sets",
        lambda e: e.emu.set_preferences("u1", {"channel_types": {"email": False}}),
        lambda e: e.emu.preference_sets("u1") != {},
    ),
    (
        "tenant default preferences",
        lambda e: e.emu.set_tenant("acme", settings={"preference_set": {"workflows": {}}}),
        lambda e: e.emu.tenant("acme") is not None,
    ),
    ("runs", lambda e: e.emu.trigger("note", ["u1"]), lambda e: e.emu.runs() != []),
    ("messages", lambda e: e.emu.trigger("note", ["u1"]), lambda e: e.emu.messages() != []),
    ("message metadata", _interacted_with_metadata, _message_metadata),
    ("feeds", lambda e: e.emu.trigger("note", ["u1"]), lambda e: len(e.emu.feed("u1")) > 0),
    (
        "audiences",
        lambda e: e.emu.add_to_audience("vip", "u1"),
        lambda e: e.emu.audience_members("vip") != [],
    ),
    (
        "schedules",
        lambda e: e.emu.create_schedules("note", ["u1"], repeats=[{"frequency": "daily"}]),
        lambda e: e.emu.schedules() != [],
    ),
    ("idempotency and replay records", _idempotent_trigger, _idempotent_trigger),
    ("bulk operations", _bulk_operation, _bulk_operation_exists),
    (
        "open batches",
        lambda e: e.emu.trigger("digest", ["u1"]),
        lambda e: e.emu.trigger("digest", ["u1"]).runs[0].status == "merged_into_batch",
    ),
    ("throttles", lambda e: e.emu.trigger("limited", ["u1"]), _throttled),
    (
        "parked waits",
        lambda e: e.emu.trigger("waiter", ["u1"]),
        lambda e: e.emu.runs(status="waiting") != [],
    ),
    (
        "parked timers",
        lambda e: e.emu.trigger("slow", ["u1"]),
        lambda e: e.emu.clock.pending > 0,
    ),
    ("delivery retries", _delivery_retry, lambda e: e.emu.clock.pending > 0),
    ("captured mail", lambda e: e.emu.trigger("mail", ["u1"]), lambda e: e.emu.outbox.all() != []),
    ("scheduled Resend emails", _scheduled_resend_email, _resend_email_exists),
    ("pushed and committed content", _pushed_content, _content_present),
]


def _python_reset(env: Env) -> None:
    env.emu.reset()


def _http_reset(env: Env) -> None:
    assert env.client.post("/api/reset").json()["reset"] is True


@pytest.mark.parametrize("reset", [_python_reset, _http_reset], ids=["reset()", "POST /api/reset"])
@pytest.mark.parametrize(("kind", "make", "present"), ROWS, ids=[row[0] for row in ROWS])
def test_reset_leaves_nothing_behind(
    env: Env, reset: Callable[[Env], None], kind: str, make: Make, present: Probe
) -> None:
    env.emu.identify("u1", email="ada@example.com")
    make(env)
    assert present(env), f"{kind}: the row did not make its state"
    reset(env)
    assert env.emu.clock.pending == 0, env.emu.clock.timers()
    assert not present(env), f"{kind} survived the reset"
    env.emu.reset()  # what the probe made
    env.emu.advance(days=31)
    assert (env.emu.runs(), env.emu.messages(), env.emu.outbox.all()) == ([], [], [])


def _listed_stamp(env: Env) -> str:
    page = env.client.get("/v1/objects/projects/p1/subscriptions", headers=KNOCK).json()
    [entry] = page["entries"]
    return str(entry["inserted_at"])


def test_a_reset_forgets_when_the_api_subscribed(env: Env) -> None:
    """Subscribe over the Knock API, three days pass, reset, subscribe again (over the API or in
    Python): the listing shows the second subscription's time, not the first's."""
    env.emu.identify("u1")
    _subscribe_over_http(env)
    assert _listed_stamp(env) == "2025-01-01T09:00:00Z"
    env.emu.advance(days=3)
    env.client.post("/api/reset")
    env.emu.set_object("projects", "p1")
    env.emu.subscribe("projects", "p1", ["u1"])
    assert _listed_stamp(env) == "2025-01-04T09:00:00Z"
    env.client.post("/api/reset")
    _subscribe_over_http(env)
    assert _listed_stamp(env) == "2025-01-04T09:00:00Z"


def test_a_python_subscription_is_stamped_when_made_not_when_first_read(env: Env) -> None:
    env.emu.set_object("projects", "p1")
    env.emu.subscribe("projects", "p1", ["u1"])
    env.emu.advance(hours=5)
    assert _listed_stamp(env) == "2025-01-01T09:00:00Z"
    [made] = env.emu.subscriptions("projects", "p1")
    assert made.inserted_at.isoformat() == "2025-01-01T09:00:00+00:00"
