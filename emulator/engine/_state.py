"""Internal run state: where a run is in its step lists and what it carries between steps."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any

from emulator.core import Timer
from emulator.definitions import BatchStep, Step, Workflow
from emulator.stores import Activity, BatchInfo, Run, StepRecord

MAX_TRIGGER_DEPTH = 10
"""How deep trigger_workflow steps may nest (Knock documents no limit; a cycle would never end)."""
MAX_NESTED_RUNS = 5000
"""How many runs trigger_workflow steps may start, in all, below one outside trigger."""
NO_RESULTS: Mapping[str, dict[str, Any]] = MappingProxyType({})
"""A run's wait step outputs before it has any (shared: a run replaces it, never mutates it)."""
NO_REFS: Mapping[str, list[str]] = MappingProxyType({})
"""A run's message ids per channel step before it reaches one (shared, see `ref_ids`)."""
NO_SETTINGS: Mapping[str, Any] = MappingProxyType({})
"""The trigger settings of runs triggered without any (shared: never changed)."""


@dataclass(slots=True)
class Lineage:
    """Runs descended from one outside trigger through trigger_workflow steps.

    Shared by every run of that family, so a cycle (A -> A, A -> B -> A) or a fan-out that grows
    each level is stopped by a count instead of running until memory is gone. Made when first
    needed: by a trigger with several recipients (their runs are one family), else by the first
    trigger_workflow step of a run that has none.
    """

    nested_runs: int = 0


FRAME = 4
"""Slots per frame in `RunState.frames`: a step list being run (the workflow's top level or the
chosen branch of a branch step) as its steps, the index of the next one, whether finishing it
terminates the run, and its branch name. One flat list per run instead of a list of frame
objects: parked runs are most of what the garbage collector scans while triggers arrive."""


def push_frame(
    rs: RunState, steps: tuple[Step, ...], terminates: bool = False, branch: str | None = None
) -> None:
    """Run `steps` next (until they are done, then go on with the enclosing list)."""
    rs.frames.extend((steps, 0, terminates, branch))


@dataclass(slots=True)
class RunState:
    """A run plus the cursor and scope the engine needs to resume it after a pause."""

    record: Run
    workflow: Workflow
    recipient_ref: tuple[str, str]  # (collection, id); users are ("$users", id)
    actor_ref: tuple[str, str] | None
    tenant_id: str | None
    data: dict[str, Any]
    settings: Mapping[str, Any]
    frames: list[Any] = field(default_factory=list)  # FRAME slots per frame, innermost last
    batch: BatchInfo | None = None
    # step ref -> message ids; shared and empty until the first channel step (see `ref_ids`)
    refs: Mapping[str, list[str]] = field(default_factory=lambda: NO_REFS)
    timer: Timer | None = None  # the run's own timer (delay); batch timers belong to the batch
    waiting: StepRecord | None = None
    subscription: dict[str, Any] | None = None
    schedule: dict[str, Any] | None = None  # `recipient.schedule` for scheduled runs
    recipient_deleted: bool = False  # the user was deleted while this run was paused
    batch_slot: Any = None  # the open batch this run waits on, if any
    wait_results: Mapping[str, dict[str, Any]] = field(default_factory=lambda: NO_RESULTS)
    depth: int = 0  # trigger_workflow nesting: 0 for a run started from outside
    lineage: Lineage | None = None  # see Lineage: None until needed


@dataclass(slots=True)
class Member:
    """A run that joined an open batch, with the activity it brought."""

    run: RunState
    record: StepRecord
    activity: Activity
    cancelled: bool = False


@dataclass(slots=True)
class OpenBatch:
    """A batch window that is still collecting runs, keyed by its identity."""

    identity: tuple[str, ...]
    key: str
    step: BatchStep
    opened_at: datetime
    closes_at: datetime
    members: list[Member] = field(default_factory=list)
    timer: Timer | None = None
    continuing: Member | None = None  # the run that goes on at close
    actors: dict[str, dict[str, Any]] = field(default_factory=dict)  # shared actor snapshots
    leading: Member | None = None  # flush_leading: the run that went on at once


def ref_ids(rs: RunState, ref: str) -> list[str]:
    """The message ids of `rs`'s channel step `ref`, to add to (a run's own dict from now on)."""
    refs = rs.refs
    if not isinstance(refs, dict):
        refs = rs.refs = {}
    return refs.setdefault(ref, [])
