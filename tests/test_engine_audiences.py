"""Static audiences: `is_audience_member` / `is_not_audience_member` conditions on steps."""

from __future__ import annotations

import pytest
from wfbuild import cond, in_app, make_emulator, workflow


@pytest.mark.parametrize(
    ("operator", "member", "sent"),
    [
        ("is_audience_member", True, True),
        ("is_audience_member", False, False),
        ("is_not_audience_member", True, False),
        ("is_not_audience_member", False, True),
    ],
)
def test_audience_membership_gates_a_step(operator: str, member: bool, sent: bool) -> None:
    step = in_app(conditions=cond("recipient.id", operator, "beta-testers"))
    emu = make_emulator(workflow("beta", step))
    if member:
        emu.add_to_audience("beta-testers", "u1", "u2")
    run = emu.trigger("beta", ["u1"]).runs[0]
    assert (run.step("in_app_feed_1").outcome == "executed") is sent


def test_removing_a_member_takes_effect_for_later_runs() -> None:
    emu = make_emulator(
        workflow(
            "beta", in_app(conditions=cond("recipient.id", "is_audience_member", "beta-testers"))
        )
    )
    emu.add_to_audience("beta-testers", "u1")
    emu.remove_from_audience("beta-testers", "u1")
    assert emu.trigger("beta", ["u1"]).runs[0].path == []


def audience_wait(event_key: str, audience: str = "vip") -> dict[str, object]:
    return {
        "ref": "wait_1",
        "type": "wait_for_event",
        "settings": {
            "event": {"event_type": "audience", "event_key": event_key, "audience_key": audience},
            "expires_after": {"unit": "days", "value": 1},
        },
    }


@pytest.mark.parametrize(
    ("event_key", "act", "resumed"),
    [
        ("enter", lambda emu: emu.add_to_audience("vip", "u1"), True),
        ("enter", lambda emu: emu.add_to_audience("other", "u1"), False),  # another audience
        ("enter", lambda emu: emu.add_to_audience("vip", "u2"), False),  # another recipient
        ("exit", lambda emu: emu.remove_from_audience("vip", "u1"), True),
        ("exit", lambda emu: emu.add_to_audience("vip", "u1"), False),  # the wrong transition
        ("enter", lambda emu: emu.remove_from_audience("vip", "nobody"), False),
    ],
)
def test_wait_for_event_resumes_on_an_audience_transition(
    event_key: str, act: object, resumed: bool
) -> None:
    emu = make_emulator(workflow("welcome", audience_wait(event_key), in_app(body="Welcome")))
    if event_key == "exit":
        emu.add_to_audience("vip", "u1")
    run = emu.trigger("welcome", ["u1"]).runs[0]
    act(emu)  # type: ignore[operator]
    assert run.status == ("completed" if resumed else "waiting")
    assert len(emu.messages(recipient="u1")) == int(resumed)


def test_audience_events_fire_only_on_a_real_transition() -> None:
    emu = make_emulator(workflow("welcome", audience_wait("enter"), in_app(body="Welcome")))
    emu.add_to_audience("vip", "u1", tenant="acme")
    run = emu.trigger("welcome", ["u1"]).runs[0]
    # Already a member (in another tenant): adding again is no transition, as in Knock.
    assert emu.add_to_audience("vip", "u1") == []
    assert run.status == "waiting"
    # Leaving one tenant's membership keeps the user in the audience: no exit either.
    assert emu.remove_from_audience("vip", "u1", tenant="acme") == []
    assert emu.remove_from_audience("vip", "u1") == ["u1"]
    assert emu.add_to_audience("vip", "u1") == ["u1"]
    assert run.status == "completed"


def test_audience_event_payload_is_readable_as_signal_variables() -> None:
    flow = workflow(
        "welcome",
        audience_wait("enter"),
        in_app(
            body="{{ refs.wait_1.signal_variables.transition }}",
            conditions=cond("refs.wait_1.signal_variables.audience_key", "equal_to", "vip"),
        ),
    )
    emu = make_emulator(flow)
    run = emu.trigger("welcome", ["u1"]).runs[0]
    emu.add_to_audience("vip", "u1")
    assert run.path == ["wait_1", "in_app_feed_1"]
    [message] = emu.messages(recipient="u1")
    assert message.content["markdown_body"].strip() == "enter"


def test_adding_an_unknown_user_identifies_them_and_reset_forgets_audiences() -> None:
    emu = make_emulator(
        workflow("beta", in_app(conditions=cond("recipient.id", "is_audience_member", "vip")))
    )
    emu.add_to_audience("vip", "new-user")
    assert emu.user("new-user") is not None
    [membership] = emu.audience_members("vip")
    assert (membership.user_id, membership.added_at) == ("new-user", emu.clock.now)
    emu.reset()
    assert emu.audiences() == []
    assert emu.trigger("beta", ["new-user"]).runs[0].path == []
