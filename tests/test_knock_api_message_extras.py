"""Message activities and delivery logs, batch contents, object messages, feed settings and the
legacy `/v1/notify` endpoints, through the `knockapi` SDK in strict mode (raw httpx where the SDK
has no method); every response is checked against knock-api.yml by `check_exchange`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from test_knock_api import Env, knock_env
from test_knock_api_errors import assert_knock_error
from wfbuild import batch, in_app, workflow

from emulator import Emulator, Message
from emulator.http import ServerThread, create_resend_app
from emulator.mail import Mailbox, ResendHttpProvider, ResendService

FIXTURES = "fixtures/workflows"
UPDATES = [("u2", "open"), ("u3", "sent"), ("u2", "paid")]  # (actor, status) per trigger


@pytest.fixture
def env() -> Iterator[Env]:
    with knock_env() as value:
        for user in ("u1", "u2", "u3"):
            value.knock.users.update(user, name=user.upper(), email=f"{user}@example.com")
        yield value


def digest(env: Env, updates: list[tuple[str, str]] = UPDATES) -> None:
    """`invoice-updated` batches a user's updates of one invoice for 5 minutes."""
    for actor, status in updates:
        env.knock.workflows.trigger(
            "invoice-updated",
            recipients=["u1"],
            actor=actor,
            data={"invoice_id": "inv_1", "status": status},
        )
    env.emulator.clock.advance(minutes=5)


def only(env: Env, channel_type: str) -> Message:
    [message] = env.emulator.messages(channel_type=channel_type, recipient="u1")
    return message


# -- activities ----------------------------------------------------------------------------------
@pytest.mark.parametrize("channel_type", ["email", "in_app_feed"])
def test_a_digest_lists_every_trigger_of_its_batch_oldest_first(
    env: Env, channel_type: str
) -> None:
    digest(env)
    message = only(env, channel_type)
    page = env.knock.messages.list_activities(message.id)
    assert [(a.actor.id, (a.data or {})["status"]) for a in page.items] == UPDATES  # type: ignore[union-attr]
    assert {a.recipient.id for a in page.items} == {"u1"}  # type: ignore[union-attr]
    run = env.emulator.run(env.emulator.message(message.id).run_id)
    engine = run.step("batch_1").batch
    assert engine is not None
    assert [a.id for a in page.items] == [a.id for a in engine.all_activities]
    assert page.items[0].inserted_at == env.emulator.runs()[0].inserted_at


def test_the_feed_and_the_activities_api_agree_on_activity_ids(env: Env) -> None:
    digest(env)
    message = only(env, "in_app_feed")
    [item] = env.knock.users.feeds.list_items("u1", "in-app-feed").entries
    listed = env.knock.messages.list_activities(message.id).items
    assert [a.id for a in item.activities] == [a.id for a in listed]
    assert len(listed) == 3


def test_activities_page_and_filter_by_trigger_data(env: Env) -> None:
    digest(env)
    message = only(env, "email")
    first = env.knock.messages.list_activities(message.id, page_size=2)
    assert len(first.items) == 2
    assert first.page_info is not None
    assert first.page_info.after is not None
    everything = [
        (a.data or {})["status"]
        for a in env.knock.messages.list_activities(message.id, page_size=2)
    ]
    assert everything == ["open", "sent", "paid"]  # the SDK followed `after`
    paid = env.knock.messages.list_activities(
        message.id, trigger_data=json.dumps({"status": "paid"})
    )
    assert [(a.data or {})["status"] for a in paid.items] == ["paid"]


def test_activities_go_beyond_the_render_limit_the_template_saw(env: Env) -> None:
    body = "{% for a in activities %}{{ a.n }} {% endfor %}of {{ total_activities }}"
    env.emulator.definitions.workflows["digest"] = workflow(
        "digest", batch(batch_items_render_limit=2), in_app(body=body)
    )
    for n in range(4):
        env.knock.workflows.trigger("digest", recipients=["u1"], data={"n": n})
    env.emulator.clock.advance(minutes=5)
    [message] = env.emulator.messages(channel_type="in_app_feed")
    assert message.content["markdown_body"].strip() == "0 1 of 4"
    activities = env.knock.messages.list_activities(message.id).items
    assert [(a.data or {})["n"] for a in activities] == [0, 1, 2, 3]


def test_a_message_without_a_batch_has_its_own_trigger_as_only_activity(env: Env) -> None:
    data = {"invoice_id": "inv_2", "amount": 7}
    env.knock.workflows.trigger("invoice-created", recipients=["u1"], actor="u3", data=data)
    message = only(env, "in_app_feed")
    [activity] = env.knock.messages.list_activities(message.id).items
    [run] = env.emulator.runs()
    assert (activity.id, activity.data) == (run.id, data)
    assert (activity.actor.id, activity.recipient.id) == ("u3", "u1")  # type: ignore[union-attr]


# -- delivery logs -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("status", "retry_after", "statuses", "error_name", "retried_after"),
    [
        (500, None, [200, 500], "application_error", 15),  # first backoff
        (429, 40.0, [200, 429], "rate_limit_exceeded", 40),  # Retry-After wins
        (422, None, [422], "validation_error", None),  # permanent: no retry
    ],
)
def test_a_failed_then_retried_email_has_a_log_per_attempt(
    env: Env,
    status: int,
    retry_after: float | None,
    statuses: list[int],
    error_name: str,
    retried_after: int | None,
) -> None:
    env.emulator.outbox.failures.fail_resend(status, retry_after=retry_after)
    digest(env, UPDATES[:1])
    env.emulator.run_until_idle()
    message = only(env, "email")
    logs = env.knock.messages.list_delivery_logs(message.id).items  # newest first
    assert [log.response.status for log in logs] == statuses
    failure = logs[-1]
    assert failure.response.body == {
        "statusCode": status,
        "name": error_name,
        "message": failure.response.body["message"],  # type: ignore[index]
    }
    assert {
        (log.service_name, log.request.method, log.request.host, log.request.path) for log in logs
    } == {("Resend", "POST", "api.resend.com", "/emails")}
    sent_at = env.emulator.clock.now - timedelta(seconds=retried_after or 0)
    assert failure.inserted_at == sent_at.isoformat().replace("+00:00", "Z")
    if retried_after is None:
        assert message.status == "undelivered"
        return
    success = logs[0]
    [captured] = env.emulator.outbox.all()
    assert success.response.body == {"id": captured.id}
    assert success.request.body == captured.resend_request
    assert success.inserted_at == env.emulator.clock.now.isoformat().replace("+00:00", "Z")


def test_three_attempts_each_keep_their_time_and_answer(env: Env) -> None:
    env.emulator.outbox.failures.fail_resend(500, times=2)
    digest(env, UPDATES[:1])
    start = env.emulator.clock.now
    env.emulator.run_until_idle()
    message = only(env, "email")
    logs = env.knock.messages.list_delivery_logs(message.id).items[::-1]  # oldest first
    stamps = [start + timedelta(seconds=s) for s in (0, 15, 45)]
    assert [log.inserted_at for log in logs] == [
        s.isoformat().replace("+00:00", "Z") for s in stamps
    ]
    assert [log.response.status for log in logs] == [500, 500, 200]  # every attempt is recorded
    assert logs[0].response.body == logs[1].response.body  # each failure keeps its own answer
    assert logs[0].response.body["statusCode"] == 500
    assert [log.id for log in logs] == [f"{message.id}-attempt-{n}" for n in (1, 2, 3)]


def test_in_app_messages_have_no_delivery_logs(env: Env) -> None:
    digest(env, UPDATES[:1])
    page = env.knock.messages.list_delivery_logs(only(env, "in_app_feed").id)
    assert page.items == []


def test_delivery_logs_name_the_resend_server_the_engine_posted_to() -> None:
    captured = Mailbox()
    with ServerThread(create_resend_app(ResendService(captured))) as resend:
        host = resend.base_url.removeprefix("http://")
        provider = ResendHttpProvider(resend.base_url, "re_test")
        emu = Emulator.from_directory(FIXTURES, email_provider=provider)
        emu.identify("u1", email="u1@example.com")
        with knock_env(emulator=emu) as env:
            env.knock.workflows.trigger(
                "invoice-created", recipients=["u1"], data={"invoice_id": "inv_3", "amount": 1}
            )
            [log] = env.knock.messages.list_delivery_logs(only(env, "email").id).items
        provider.close()
    [email] = captured.all()
    assert log.request.host == host
    assert log.request.headers == {
        "Content-Type": "application/json",
        "Idempotency-Key": email.message_id,
    }
    assert log.request.body == email.resend_request
    assert log.response.body == {"id": email.id}


# -- batch contents, object messages, feed settings ----------------------------------------------
def test_batch_content_answers_each_message_as_the_single_endpoint_does(env: Env) -> None:
    digest(env, UPDATES[:1])
    ids = [m.id for m in env.knock.users.list_messages("u1").items]
    batch_contents = env.knock.messages.batch.get_content(message_ids=[*ids, ids[0]])
    assert [c.message_id for c in batch_contents] == ids  # asked order, each once
    assert [c.to_dict() for c in batch_contents] == [
        env.knock.messages.get_content(i).to_dict() for i in ids
    ]


@pytest.mark.parametrize(
    ("query", "status", "code"),
    [
        ("", 422, "invalid_params"),
        ("?message_ids[]=nope", 404, "resource_missing"),
        ("?" + "&".join(f"message_ids[]=m{n}" for n in range(51)), 422, "invalid_params"),
    ],
)
def test_batch_content_refuses_missing_unknown_and_too_many_ids(
    env: Env, query: str, status: int, code: str
) -> None:
    answer = env.http.get(f"/v1/messages/batch/content{query}")
    assert_knock_error(answer.json(), status, code)


def test_an_objects_messages_are_listed_and_filtered_like_a_users(env: Env) -> None:
    knock = env.knock
    knock.objects.set("projects", "p1", name="Apollo")
    knock.workflows.trigger(
        "invoice-created",
        recipients=[{"id": "p1", "collection": "projects"}],
        data={"invoice_id": "inv_4", "amount": 3},
    )
    [message] = knock.objects.list_messages("projects", "p1").items
    recipient = message.recipient
    assert (recipient.id, recipient.collection) == ("p1", "projects")  # type: ignore[union-attr]
    assert message.source.step_ref == "in_app_feed_1"
    assert knock.objects.list_messages("projects", "p1", status=["undelivered"]).items == []


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        ("/v1/objects/projects/unknown/messages", 404, "resource_missing"),
        ("/v1/objects/$users/u1/messages", 422, "invalid_params"),
    ],
)
def test_object_messages_of_an_unknown_or_reserved_object_are_refused(
    env: Env, path: str, status: int, code: str
) -> None:
    assert_knock_error(env.http.get(path).json(), status, code)


@pytest.mark.parametrize("channel_id", ["182bd5e5-6e1a-4fe4-a799-aa6d9a6ab26e", "in-app-feed"])
def test_feed_settings_never_require_branding(env: Env, channel_id: str) -> None:
    settings = env.knock.users.feeds.get_settings("u1", channel_id)
    assert settings.features.branding_required is False


# -- legacy notify -------------------------------------------------------------------------------
def test_notify_triggers_and_notify_cancel_cancels_like_the_workflow_endpoints(env: Env) -> None:
    body = {
        "name": "invoice-updated",
        "actor": "u2",
        "recipients": ["u1"],
        "data": {"invoice_id": "inv_5", "status": "open"},
        "cancellation_key": "inv_5",
    }
    first = env.http.post("/v1/notify", json=body, headers={"Idempotency-Key": "n-1"})
    again = env.http.post("/v1/notify", json=body, headers={"Idempotency-Key": "n-1"})
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json()
    assert again.headers["idempotent-replayed"] == "true"
    [run] = env.emulator.runs()
    assert first.json() == {"result_id": run.workflow_run_id}
    assert run.status == "waiting"  # parked on the batch window
    cancelled = env.http.post(
        "/v1/notify/cancel", json={"name": "invoice-updated", "cancellation_key": "inv_5"}
    )
    assert (cancelled.status_code, cancelled.content) == (204, b"")
    assert run.status == "cancelled"


@pytest.mark.parametrize(
    ("path", "body", "status", "code"),
    [
        ("/v1/notify", {"recipients": ["u1"]}, 422, "invalid_params"),
        ("/v1/notify", {"name": "no-such-workflow", "recipients": ["u1"]}, 404, "workflow_missing"),
        ("/v1/notify", {"name": "invoice-created"}, 422, "invalid_params"),
        ("/v1/notify/cancel", {"cancellation_key": "k"}, 422, "invalid_params"),
        ("/v1/notify/cancel", {"name": "invoice-created"}, 422, "invalid_params"),
    ],
)
def test_notify_refuses_what_trigger_and_cancel_refuse(
    env: Env, path: str, body: dict[str, Any], status: int, code: str
) -> None:
    assert_knock_error(env.http.post(path, json=body).json(), status, code)
