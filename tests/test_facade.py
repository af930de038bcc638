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


def test_the_facade_spells_knocks_collection_names_as_core_does() -> None:
    from emulator import _facade_recipients

    assert (_facade_recipients.USERS, _facade_recipients.TENANTS) == (
        emulator.USERS,
        emulator.TENANTS,
    )
    default = inspect.signature(Emulator.preference_sets).parameters["collection"].default
    assert default == emulator.USERS


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


@pytest.mark.parametrize("schedules", [False, True])
def test_a_dropped_emulator_is_freed_without_the_cyclic_collector(schedules: bool) -> None:
    # Each test's fixture Emulator used to be a reference cycle (engine <-> its bound
    # listener, its schedules' trigger, the Liquid environment's tags): garbage that only the
    # collector frees, a cost every test paid.
    import gc
    import weakref

    emu = make_emulator(workflow("daily", in_app()))
    if schedules:
        emu.identify("u1")
        emu.create_schedules("daily", ["u1"], scheduled_at=emu.clock.now + timedelta(days=1))
    gone = weakref.ref(emu._engine)
    collecting = gc.isenabled()
    gc.disable()
    try:
        del emu
        assert gone() is None
    finally:
        if collecting:
            gc.enable()


def test_a_schedule_due_after_its_emulator_is_gone_says_so() -> None:
    emu = make_emulator(workflow("daily", in_app()))
    emu.identify("u1")
    emu.create_schedules("daily", ["u1"], scheduled_at=emu.clock.now + timedelta(days=1))
    clock = emu.clock
    del emu
    with pytest.raises(emulator.DoorstepError, match="its Emulator is gone"):
        clock.advance(days=2)
