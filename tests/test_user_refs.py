"""Runs name their recipient and actor by one shared `(USERS, id)` tuple per user id (a parked
run keeps both): equal to a fresh one, bounded, and a str subclass keeps its own object."""

from __future__ import annotations

from emulator import Emulator, parse_workflow
from emulator.definitions._model import Definitions
from emulator.engine import _targets
from emulator.engine._targets import MAX_SHARED_REFS, user_ref
from emulator.stores import USERS


class _Id(str):
    """A str subclass, as an app might pass."""


def test_runs_of_one_user_share_the_ref_tuple() -> None:
    delay = {
        "ref": "d",
        "type": "delay",
        "settings": {"delay_for": {"unit": "minutes", "value": 1}},
    }
    wait = parse_workflow({"name": "wait", "steps": [delay]}, key="wait", file="wait.json")
    emu = Emulator(Definitions(workflows={"wait": wait}))
    emu.identify("u2")
    for _ in range(2):
        emu.trigger("wait", ["u1"], actor="u2")
    parked = list(emu._engine.live.values())
    assert [rs.recipient_ref for rs in parked] == [(USERS, "u1")] * 2
    assert parked[0].recipient_ref is parked[1].recipient_ref
    assert parked[0].actor_ref is parked[1].actor_ref
    raw = _Id("u1")
    assert user_ref(raw)[1] is raw  # a subclass is never swapped for a plain str


def test_the_shared_refs_stay_bounded() -> None:
    for n in range(MAX_SHARED_REFS + 10):
        assert user_ref(f"bounded-{n}") == (USERS, f"bounded-{n}")
    assert len(_targets._USER_REFS) <= MAX_SHARED_REFS
