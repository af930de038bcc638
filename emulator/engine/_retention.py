"""Run retention for long-lived servers (`doorstep serve --max-runs N --full-traces M`).

Finished runs beyond the newest `max_runs` are forgotten with their messages (a run that is
still running or parked, and the batch it waits on, is always kept); finished runs older than the
newest `full_traces` keep a compact record: status, path and per-step outcomes and times, without
the evaluated conditions, batch activities or rendered references. Sweeps run when the run count
grew by a tenth of the limit since the last one, so the cost per trigger stays constant.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from emulator.stores import Run, facts

if TYPE_CHECKING:
    from emulator.engine._engine import Engine


@dataclass(slots=True)
class RunRetention:
    """How many runs an engine keeps; `maybe_sweep` after anything that may start runs."""

    max_runs: int = 0  # 0: keep every run
    full_traces: int = 0  # 0: every kept run keeps its full trace
    next_sweep: int = 0  # the run count that triggers the next sweep
    moves: int = 0  # clock moves since the last sweep (parked runs finish as time moves)

    def maybe_sweep(self, engine: Engine, *, moved: bool = False) -> None:
        """Sweep when enough runs were added, or the clock moved often enough, since the last
        sweep; otherwise this is a length check."""
        self.moves += moved
        count = len(engine.runs)
        if count >= self.next_sweep or (
            self.moves >= self.step and count > self.max_runs + self.step
        ):
            sweep(engine, self)

    @property
    def step(self) -> int:
        """A tenth of the smaller limit: how much may pile up between sweeps."""
        limits = [x for x in (self.max_runs, self.full_traces) if x]
        return max(1, min(limits) // 10) if limits else 1 << 62


def sweep(engine: Engine, retention: RunRetention) -> None:
    """Forget and compact finished runs as `retention` says; set the next sweep's threshold."""
    runs, live, rows = engine.runs, engine.live, engine.compact_runs
    limit = retention.max_runs
    if limit and len(runs) > limit:
        excess = len(runs) - limit
        for run_id in [i for i, run in runs.items() if facts(run).finished and i not in live]:
            if excess <= 0:
                break
            gone = runs.pop(run_id)
            if isinstance(gone, tuple):
                rows.release(gone)
            engine.messages_store.remove_run(run_id)
            excess -= 1
    if retention.full_traces:
        finished = [i for i, run in runs.items() if facts(run).finished and i not in live]
        for run_id in finished[: max(0, len(finished) - retention.full_traces)]:
            run = runs[run_id]
            if isinstance(run, tuple):
                runs[run_id] = rows.compact(_trimmed(rows.expand(run)))
                rows.release(run)
            else:
                _trimmed(run)
    smallest = (
        min(x for x in (limit, retention.full_traces) if x) if limit or retention.full_traces else 0
    )
    retention.next_sweep = len(runs) + max(1, smallest // 10) if smallest else 1 << 62


def _trimmed(run: Run) -> Run:
    """Drop what only a full trace needs from a finished run (idempotent). Its state (message
    refs, wait results, the batch it carried) went when it finished."""
    for step in run.steps:
        step.drop_detail()
        step.batch = None
    return run
