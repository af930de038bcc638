"""Channel steps: channel data, preferences, messages, delivery statuses, engagement, fallback."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from wfbuild import email, in_app, make_emulator, workflow

from emulator import DeliveryError, Emulator, OutgoingEmail

FIXTURES = Path(__file__).parent.parent / "fixtures" / "workflows"


def channel(kind: str, **template: Any) -> dict[str, Any]:
    return {
        "ref": f"{kind}_1",
        "type": "channel",
        "channel_type": kind,
        "channel_key": kind,
        "template": template,
    }


@pytest.mark.parametrize(
    ("step", "props", "reason"),
    [
        (email(), {}, "the recipient has no email"),
        (channel("sms", text_body="hi"), {}, "the recipient has no phone_number"),
        (channel("push", title="t", text_body="b"), {}, "no push tokens"),
        (channel("chat", markdown_body="b"), {}, "no chat connection"),
    ],
)
def test_missing_channel_data_skips_the_step(
    step: dict[str, Any], props: dict[str, Any], reason: str
) -> None:
    emu = make_emulator(workflow("notify", step))
    emu.identify("u1", **props)
    run = emu.trigger("notify", ["u1"]).runs[0]
    record = run.step(step["ref"])
    assert record.outcome == "skipped"
    assert reason in (record.skipped_because or "")
    assert emu.messages() == []


@pytest.mark.parametrize(
    ("step", "props", "status"),
    [
        (in_app(body="hi"), {}, "delivered"),
        (email(), {"email": "a@example.com", "name": "A"}, "delivered"),
        (channel("sms", text_body="hi"), {"phone_number": "+15555550100"}, "delivered"),
        (
            channel("push", title="t", text_body="b"),
            {"channel_data": {"push": {"tokens": ["x"]}}},
            "sent",
        ),
        (
            channel("chat", markdown_body="b"),
            {"channel_data": {"chat": {"connections": [1]}}},
            "sent",
        ),
        (
            channel("http", method="post", url="https://example.com/hook", body="{}"),
            {},
            "delivered",
        ),
    ],
)
def test_every_channel_type_creates_a_message(
    step: dict[str, Any], props: dict[str, Any], status: str
) -> None:
    emu = make_emulator(workflow("notify", step))
    emu.identify("u1", **props)
    run = emu.trigger("notify", ["u1"], data={"text": "x"}).runs[0]
    [message] = emu.messages()
    assert message.status == status
    assert (message.step_ref, message.run_id, message.recipient_id) == (step["ref"], run.id, "u1")
    assert run.step(step["ref"]).message_ids == (message.id,)
    assert message.events[0][0] == "message.created"


def test_sandbox_mode_generates_but_does_not_send() -> None:
    emu = make_emulator(workflow("notify", email()))
    emu.identify("u1", email="a@example.com")
    emu.trigger("notify", ["u1"], settings={"sandbox_mode": True})
    assert [m.status for m in emu.messages()] == ["not_sent"]
    assert len(emu.outbox) == 0


def test_email_reaches_the_outbox_with_provenance() -> None:
    emu = make_emulator(workflow("notify", email(subject="Hi {{ recipient.name }}")))
    emu.identify("u1", email="ada@example.com", name="Ada")
    run = emu.trigger("notify", ["u1"], data={"text": "body"}).runs[0]
    [captured] = emu.outbox.all()
    assert captured.subject == "Hi Ada"
    assert captured.to == ["ada@example.com"]
    assert (captured.workflow_key, captured.run_id, captured.step_ref) == (
        "notify",
        run.id,
        "email_1",
    )
    assert "<p>body</p>" in (captured.html or "")


class FlakyProvider:
    def __init__(self, failures: int, permanent: bool = False) -> None:
        self.failures, self.permanent, self.sent = failures, permanent, []

    def send(self, email: OutgoingEmail) -> str:
        if self.failures:
            self.failures -= 1
            raise DeliveryError("provider said no", permanent=self.permanent, status=503)
        self.sent.append(email)
        return "prov_1"


def test_transient_provider_failure_is_retried_on_the_clock() -> None:
    provider = FlakyProvider(failures=2)
    emu = make_emulator(workflow("notify", email()), email_provider=provider)
    emu.identify("u1", email="a@example.com")
    emu.trigger("notify", ["u1"])
    [message] = emu.messages()
    assert message.status == "delivery_attempted"
    emu.clock.advance(seconds=15)
    assert message.status == "delivery_attempted"
    emu.clock.advance(seconds=30)
    assert message.status == "delivered"
    assert message.attempts == 3
    assert len(provider.sent) == 1


@pytest.mark.parametrize(("failures", "permanent"), [(1, True), (99, False)])
def test_permanent_or_exhausted_failures_end_undelivered(failures: int, permanent: bool) -> None:
    emu = make_emulator(
        workflow("notify", email()), email_provider=FlakyProvider(failures, permanent)
    )
    emu.identify("u1", email="a@example.com")
    emu.trigger("notify", ["u1"])
    emu.run_until_idle()
    [message] = emu.messages()
    assert message.status == "undelivered"
    assert message.attempts == (1 if permanent else 8)
    assert message.error == "provider said no"


@pytest.mark.parametrize(
    ("preferences", "reason"),
    [
        ({"channel_types": {"email": False}}, "channel_types.email"),
        ({"workflows": {"notify": False}}, "workflows.notify"),
        ({"categories": {"billing": False}}, "categories.billing"),
    ],
)
def test_preferences_skip_the_channel_step_and_name_the_rule(
    preferences: dict[str, Any], reason: str
) -> None:
    emu = make_emulator(workflow("notify", email(), in_app(body="x"), categories=["billing"]))
    emu.identify("u1", email="a@example.com")
    emu.set_preferences("u1", preferences)
    run = emu.trigger("notify", ["u1"]).runs[0]
    record = run.step("email_1")
    assert record.outcome == "skipped"
    assert (record.skipped_because or "").startswith("preferences: ")
    assert reason in (record.skipped_because or "")
    expected_in_app = "executed" if "email" in reason else "skipped"
    assert run.step("in_app_feed_1").outcome == expected_in_app


def test_override_preferences_ignores_opt_outs() -> None:
    emu = make_emulator(workflow("notify", email(), settings={"override_preferences": True}))
    emu.identify("u1", email="a@example.com")
    emu.set_preferences("u1", {"channel_types": {"email": False}})
    assert emu.trigger("notify", ["u1"]).runs[0].path == ["email_1"]


@pytest.mark.parametrize(("seen", "emails"), [(False, 1), (True, 0)])
def test_unseen_fallback_fixture_sends_email_only_when_unseen(seen: bool, emails: int) -> None:
    emu = Emulator.from_directory(FIXTURES)
    emu.identify("u1", name="Ada", email="ada@example.com")
    run = emu.trigger("unseen-fallback", ["u1"], data={"invoice_id": "inv_1"}).runs[0]
    [in_app_message] = emu.feed("u1").items()
    emu.clock.advance(minutes=9)
    if seen:
        emu.feed("u1").mark_seen(in_app_message.id)
    emu.clock.advance(minutes=1)
    assert run.status == "completed"
    assert len(emu.outbox) == emails
    assert run.step("email_1").outcome == ("skipped" if seen else "executed")


def test_feed_engagement_and_counts() -> None:
    emu = make_emulator(workflow("notify", in_app(body="{{ data.n }}")))
    for n in range(3):
        emu.trigger("notify", ["u1"], data={"n": n})
    feed = emu.feed("u1")
    newest, middle, oldest = feed.items()
    assert newest.content["markdown_body"].strip() == "2"
    feed.mark_seen(newest.id)
    feed.mark_interacted(middle.id)
    feed.mark_archived(oldest.id)
    assert (feed.unseen_count, feed.unread_count, len(feed)) == (1, 1, 2)
    assert middle.engagement_statuses == ["read", "interacted"]
    assert [m.id for m in feed.items(archived="only")] == [oldest.id]
    with pytest.raises(Exception, match="belongs to 'u1'"):
        emu.feed("u2").mark_seen(newest.id)


def test_send_window_schedules_the_message_without_pausing_the_run() -> None:
    windows = [
        {"day": d, "type": "send", "from": "10:00:00", "until": "17:00:00"}
        for d in ("monday", "tuesday", "wednesday", "thursday", "friday")
    ]
    emu = make_emulator(workflow("notify", email(send_windows=windows), in_app(body="x")))
    emu.identify("u1", email="a@example.com")
    run = emu.trigger("notify", ["u1"]).runs[0]  # Wednesday 09:00 UTC
    assert run.status == "completed"
    [message] = emu.messages(channel_type="email")
    assert message.status == "queued"
    assert message.scheduled_at is not None
    assert message.scheduled_at.hour == 10
    emu.clock.advance(hours=1)
    assert message.status == "delivered"


def test_preference_conditions_after_a_batch_read_the_first_activity() -> None:
    step = {
        "ref": "batch_1",
        "type": "batch",
        "settings": {"batch_window": {"unit": "minutes", "value": 5}},
    }
    emu = make_emulator(workflow("notify", step, in_app(body="x")))
    emu.set_preferences(
        "u1",
        {
            "channel_types": {
                "in_app_feed": {
                    "conditions": [
                        {"variable": "data.priority", "operator": "equal_to", "argument": "high"}
                    ]
                }
            }
        },
    )
    emu.trigger("notify", ["u1"], data={"priority": "high"})
    emu.trigger("notify", ["u1"], data={"priority": "low"})  # merged data says low
    emu.run_until_idle()
    assert len(emu.messages()) == 1


def test_set_preferences_rejects_malformed_sets_with_the_path() -> None:
    emu = make_emulator(workflow("notify", in_app()))
    with pytest.raises(Exception, match=r"conditions\[0\]\.operator"):
        emu.set_preferences(
            "u1",
            {
                "channel_types": {
                    "email": {
                        "conditions": [
                            {"variable": "data.x", "operator": "equals_to", "argument": 1}
                        ]
                    }
                }
            },
        )


def test_templates_see_current_message_and_tenant_branding() -> None:
    body = "{{ current_message.id }}|{{ vars.branding.primary_color }}|{{ vars.branding.logo_url }}"
    emu = make_emulator(
        workflow("notify", in_app(body=body)),
        vars={"branding": {"primary_color": "#111111", "logo_url": "a.png"}},
    )
    emu.trigger("notify", ["u1"])
    emu.trigger(
        "notify",
        ["u1"],
        tenant={"id": "acme", "settings": {"branding": {"primary_color": "#ff0000"}}},
    )
    plain, branded = emu.messages()
    assert plain.content["markdown_body"].strip() == f"{plain.id}|#111111|a.png"
    assert branded.content["markdown_body"].strip() == f"{branded.id}|#ff0000|a.png"
