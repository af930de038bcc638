"""Run observers: what the engine tells whoever watches it (workflow coverage, first of all).

The engine calls its `Observers` at the points that decide a run's path: a step reached, a
condition group evaluated (true or false), a branch taken, and a step's outcome (a channel step
delivered or skipped with its reason, a batch opened, merged into or closed, a delay elapsed, a
throttle passed or throttled, a fetch succeeded or retried, any step skipped or failed). Every call
site is guarded by `if engine.observers:`, so with none registered the cost is one truth test.

Observers registered with `observe_every_emulator` are attached to every engine built afterwards
(the pytest plugin counts hand-built emulators that way); `Emulator.add_run_observer` attaches one
to a single emulator.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable

from emulator.definitions import Workflow

__all__ = ["Observers", "RunObserver", "every_emulator_observers", "observe_every_emulator"]


class RunObserver:
    """Base class of run observers: every method does nothing; override what you need.

    Calls arrive under the emulator's lock, from whichever thread drives the engine; `ref` is the
    step's ref, `None` for the workflow's own (trigger) conditions.
    """

    def attached(self, workflows: Iterable[Workflow]) -> None:
        """The observer was attached to an emulator that has these workflows loaded."""

    def step_reached(self, workflow: Workflow, ref: str) -> None:
        """A run reached the step (before its conditions are evaluated)."""

    def condition_evaluated(
        self, workflow: Workflow, ref: str | None, group: str, passed: bool
    ) -> None:
        """A condition group was evaluated: `group` is `trigger` (the workflow's conditions),
        `step` (a step's conditions), `branch:<name>` or `preferences` (a channel step's
        preference conditions)."""

    def branch_taken(self, workflow: Workflow, ref: str, branch: str) -> None:
        """A branch (or experiment) step chose `branch` (its name; the default included)."""

    def step_outcome(self, workflow: Workflow, ref: str, outcome: str, reason: str = "") -> None:
        """A step's outcome: `delivered`, `skipped` (with the reason), `failed`, `opened`,
        `merged`, `closed`, `elapsed`, `passed`, `throttled`, `succeeded`, `retried`."""


class Observers(list[RunObserver]):
    """The observers of one engine, called in registration order. Empty means falsy: call sites
    test `if engine.observers:` before building any argument."""

    def step_reached(self, workflow: Workflow, ref: str) -> None:
        """Tell every observer; see `RunObserver.step_reached`."""
        for observer in self:
            observer.step_reached(workflow, ref)

    def condition_evaluated(
        self, workflow: Workflow, ref: str | None, group: str, passed: bool
    ) -> None:
        """Tell every observer; see `RunObserver.condition_evaluated`."""
        for observer in self:
            observer.condition_evaluated(workflow, ref, group, passed)

    def branch_taken(self, workflow: Workflow, ref: str, branch: str) -> None:
        """Tell every observer; see `RunObserver.branch_taken`."""
        for observer in self:
            observer.branch_taken(workflow, ref, branch)

    def step_outcome(self, workflow: Workflow, ref: str, outcome: str, reason: str = "") -> None:
        """Tell every observer; see `RunObserver.step_outcome`."""
        for observer in self:
            observer.step_outcome(workflow, ref, outcome, reason)


_EVERY: list[RunObserver] = []
_EVERY_LOCK = threading.Lock()


def observe_every_emulator(observer: RunObserver) -> Callable[[], None]:
    """Attach `observer` to every engine created from now on; returns the function that stops
    that (engines already built keep it)."""
    with _EVERY_LOCK:
        _EVERY.append(observer)

    def stop() -> None:
        with _EVERY_LOCK:
            if observer in _EVERY:
                _EVERY.remove(observer)

    return stop


def every_emulator_observers(workflows: Iterable[Workflow]) -> Observers:
    """A new engine's observers: those registered with `observe_every_emulator`, each told
    which workflows the engine has."""
    with _EVERY_LOCK:
        observers = Observers(_EVERY)
    if observers:
        loaded = list(workflows)
        for observer in observers:
            observer.attached(loaded)
    return observers
