"""Finished runs as one exact tuple of plain values each: what the engine keeps for runs older
than the newest thousand, instead of a `Run` with a list of `StepRecord` objects.

The row holds the same values (ids, status, data, every step's outcome, times, message ids,
reason, branch, error, batch and detail), so `CompactRuns.expand` gives back an equal `Run`, a
new object on each read. The garbage collector stops tracking an exact tuple once it has seen
that everything in it is a plain value (a string, number, time, None, or such a tuple already
untracked), and then never scans it again; a dict or any other object inside keeps the tuple
tracked, and each level of nested tuples takes the collector one more pass to see. So a row is
flat: dicts are laid out as keys then values, steps one after another, and what steps evaluated
(their detail, their batch: often shared by many runs) sits once in the store's shelf, the row
naming it by position. A row leaves the collector's view at its first pass.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from emulator.stores._runs import Run, StepRecord

__all__ = ["CompactRow", "CompactRuns", "RunFacts", "facts", "readdressed"]

CompactRow = tuple[Any, ...]
"""A compacted run (see the module docstring): a kept run is one when it is a tuple (whole runs
are `Run` objects). Read it with `CompactRuns.read` or `facts`."""

# A row: `Run`'s fields in order, without `steps`, `data` replaced by its count of keys (or, when
# its values are not plain, ~ its shelf place); then the data's keys and values; then each step.
_HEAD = 14
# Per step: ref, type, outcome, started_at, ended_at, message ids (one id, or a tuple of them),
# skipped_because, branch, batch, error (batch and detail by shelf place, or None).
_WIDTH = 11


class RunFacts(NamedTuple):
    """What filters and merges read of a kept run, whole or compacted."""

    workflow: str
    recipient: str | dict[str, str]
    actor: str | dict[str, str] | None
    status: str
    inserted_at: datetime
    finished: bool

    @property
    def recipient_id(self) -> str:
        """The recipient's id, a user's or an object's."""
        return self.recipient if isinstance(self.recipient, str) else self.recipient["id"]

    def matches(self, workflow: str | None, recipient: str | None, status: str | None) -> bool:
        """Whether the run is of `workflow`, for `recipient` and in `status` (None: any)."""
        return (
            (workflow is None or self.workflow == workflow)
            and (recipient is None or self.recipient_id == recipient)
            and (status is None or self.status == status)
        )


def facts(stored: Run | CompactRow) -> RunFacts:
    """The `RunFacts` of a kept run, without expanding a compacted one."""
    if isinstance(stored, tuple):
        return RunFacts(stored[2], _ref(stored[3]), _ref(stored[4]), stored[9], stored[8], True)
    return RunFacts(
        stored.workflow,
        stored.recipient,
        stored.actor,
        stored.status,
        stored.inserted_at,
        stored.finished,
    )


def readdressed(row: CompactRow, recipient: Any, actor: Any) -> CompactRow:
    """`row` with another recipient and actor (a user merge)."""
    return (*row[:3], _packed_ref(recipient), _packed_ref(actor), *row[5:])


class CompactRuns:
    """Compacts finished runs into rows and expands them; keeps the shelf of shared objects.

    A shelved object is counted per row naming it: `release` a row that is no longer kept, and
    the objects only it named go.
    """

    __slots__ = ("_free", "_index", "_shelf", "_uses")

    def __init__(self) -> None:
        self._shelf: list[Any] = []
        self._uses: list[int] = []
        self._free: list[int] = []
        self._index: dict[Any, int] = {}  # an object's identity key -> its shelf position

    def __getstate__(self) -> tuple[list[Any], list[int], list[int]]:
        return self._shelf, self._uses, self._free  # identities change: the index is rebuilt

    def __setstate__(self, state: tuple[list[Any], list[int], list[int]]) -> None:
        self._shelf, self._uses, self._free = state
        self._index = {_key(v): at for at, v in enumerate(self._shelf) if v is not None}

    def clear(self) -> None:
        """Forget every shelved object (every row is gone)."""
        self._shelf, self._uses, self._free, self._index = [], [], [], {}

    def compact(self, run: Run) -> CompactRow:
        """`run` (finished) as a row."""
        data: list[Any] = [*run.data.keys(), *run.data.values()]
        count = len(run.data)
        if not all(map(_plain, run.data.values())):
            count, data = ~self._shelve(tuple(data)), []
        for s in run.steps:
            ids: Any = s.message_ids[0] if len(s.message_ids) == 1 else s.message_ids
            batch = None if s.batch is None else self._shelve(s.batch)
            detail = None
            if s._detail:
                detail = self._shelve((*s._detail.keys(), *s._detail.values()))
            data += (s.ref, s.type, s.outcome, s.started_at, s.ended_at, ids)
            data += (s.skipped_because, s.branch, batch, s.error, detail)
        return (
            *(run.id, run.workflow_run_id, run.workflow),
            *(_packed_ref(run.recipient), _packed_ref(run.actor), run.tenant, count),
            *(run.cancellation_key, run.inserted_at, run.status, run.updated_at),
            *(run.ended_because, run.trigger_source, run.schedule_id, *data),
        )

    def read(self, stored: Run | CompactRow) -> Run:
        """A kept run as a `Run`: a whole one itself, a compacted one expanded."""
        return self.expand(stored) if isinstance(stored, tuple) else stored

    def expand(self, row: CompactRow) -> Run:
        """The run as a `Run` (a new object, equal to the one compacted)."""
        count = row[6]
        if count < 0:
            data, first = _unpacked(self._shelf[~count]), _HEAD
        else:
            data, first = _unpacked(row[_HEAD : _HEAD + 2 * count]), _HEAD + 2 * count
        return Run(
            row[0],
            row[1],
            row[2],
            _ref(row[3]),
            _ref(row[4]),
            row[5],
            data,
            row[7],
            row[8],
            row[9],
            row[10],
            [self._step(row[i : i + _WIDTH]) for i in range(first, len(row), _WIDTH)],
            row[11],
            row[12],
            row[13],
        )

    def release(self, row: CompactRow) -> None:
        """`row` is no longer kept: shelved objects no other row names go."""
        count = row[6]
        if count < 0:
            self._unuse(~count)
        for i in range(_HEAD + 2 * max(count, 0), len(row), _WIDTH):
            for at in (row[i + 8], row[i + 10]):
                if at is not None:
                    self._unuse(at)

    def _step(self, values: tuple[Any, ...]) -> StepRecord:
        ref, type_, outcome, started_at, ended_at, ids, because, branch, batch, error, detail = (
            values
        )
        record = StepRecord(ref, type_, outcome, started_at, ended_at, because, branch)
        record.message_ids = (ids,) if isinstance(ids, str) else ids
        record.error = error
        if batch is not None:
            record.batch = self._shelf[batch]
        if detail is not None:
            record._detail = _unpacked(self._shelf[detail])
        return record

    def _shelve(self, value: Any) -> int:
        key = _key(value)
        at = self._index.get(key)
        if at is None:
            at = self._free.pop() if self._free else len(self._shelf)
            if at == len(self._shelf):
                self._shelf.append(value)
                self._uses.append(0)
            else:
                self._shelf[at] = value
            self._index[key] = at
        self._uses[at] += 1
        return at

    def _unuse(self, at: int) -> None:
        self._uses[at] -= 1
        if self._uses[at] <= 0:
            self._index.pop(_key(self._shelf[at]), None)
            self._shelf[at] = None
            self._free.append(at)


def _key(value: Any) -> Any:
    """The key a shelved value is found by while it is shelved: a tuple (a detail's or data's
    keys and values) by its strings' values and its other items' identities, so equal ones
    share one place (the details of the runs of one batch, a branch's shared evaluations);
    anything else (a batch) by its own identity."""
    if type(value) is not tuple:
        return id(value)
    return tuple([v if type(v) is str else id(v) for v in value])


def _plain(value: Any) -> bool:
    """Whether `value` lets a tuple holding it go untracked (a plain value, or an exact tuple
    of them)."""
    if type(value) is tuple:
        return all(_plain(v) for v in value)
    return type(value) in (str, int, float, bool, datetime, type(None), bytes)


def _unpacked(items: tuple[Any, ...]) -> dict[str, Any]:
    half = len(items) // 2
    return dict(zip(items[:half], items[half:], strict=True))


def _packed_ref(ref: Any) -> Any:
    return ref if ref is None or type(ref) is str else (*ref.keys(), *ref.values())


def _ref(packed: Any) -> Any:
    return packed if packed is None or type(packed) is str else _unpacked(packed)
