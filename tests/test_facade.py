"""The `Emulator` facade: a curated, documented surface over an engine it holds."""

from __future__ import annotations

import inspect
import threading
from datetime import timedelta

import pytest
from wfbuild import in_app, make_emulator, workflow

import emulator
from emulator import Emulator

HIDDEN = (
    "park",
    "skip",
    "finish",
    "drain",
    "resume",
    "execute_step",
    "batches",
    "throttles",
    "idempotency",
    "entities",
    "messages_store",
    "runs_by_id",
    "live",
    "schedules_store",
    "waits",
    "step_handlers",
    "once_per_recipient",
    "delivery",
    "templates",
)


@pytest.mark.parametrize("name", HIDDEN)
def test_step_hooks_and_raw_state_are_not_on_the_emulator(name: str) -> None:
    assert not hasattr(Emulator(), name)


def test_every_public_name_has_a_docstring() -> None:
    public = [n for n in dir(Emulator) if not n.startswith("_")]
    assert [n for n in public if not inspect.getdoc(getattr(Emulator, n))] == []
    exported = [getattr(emulator, n) for n in emulator.__all__]
    undocumented = [
        n
        for n, value in zip(emulator.__all__, exported, strict=True)
        if (inspect.isclass(value) or inspect.isfunction(value)) and not inspect.getdoc(value)
    ]
    assert undocumented == []


def test_the_engine_owns_the_lock_and_the_clock_fires_under_it() -> None:
    emu, other = Emulator(), Emulator()
    assert emu.lock is emu.clock.lock
    assert emu.lock is not other.lock
    free_elsewhere: list[bool] = []

    def try_from_another_thread() -> None:
        got = emu.lock.acquire(blocking=False)
        free_elsewhere.append(got)
        if got:
            emu.lock.release()

    def probe() -> None:  # a timer callback: another thread must find the lock taken
        thread = threading.Thread(target=try_from_another_thread)
        thread.start()
        thread.join()

    emu.clock.call_later(timedelta(minutes=1), probe)
    emu.advance(minutes=1)
    try_from_another_thread()
    assert free_elsewhere == [False, True]


def test_reads_return_copies_so_changes_go_through_methods() -> None:
    emu = make_emulator(workflow("note", in_app()))
    emu.identify("u1", name="Ada")
    emu.user("u1")["name"] = "Mallory"  # type: ignore[index]
    assert (emu.user("u1") or {})["name"] == "Ada"
    emu.set_preferences("u1", {"channel_types": {"in_app_feed": False}})
    emu.preference_sets("u1")["default"]["channel_types"]["in_app_feed"] = True
    assert emu.trigger("note", ["u1"]).runs[0].step("in_app_feed_1").skipped_because
