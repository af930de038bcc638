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
