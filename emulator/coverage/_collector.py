"""The collector: a run observer that counts what runs did into coverage items.

```python
from emulator.coverage import Collector

collector = Collector()
collector.start()  # every Emulator built from now on is counted
...                # run tests, scenarios
collector.stop()
data = collector.data()  # a CoverageData: report it, write it, combine it
```

`collector.attach(emulator)` counts one emulator built before `start()`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable

from emulator import Emulator, RunObserver, Workflow, observe_every_emulator
from emulator.coverage._items import (
    NO_BRANCH,
    LineFinder,
    branch_id,
    condition_id,
    outcome_id,
    step_id,
    workflow_items,
)
from emulator.coverage._model import SEP, CoverageData, Item, WorkflowCoverage

REASON_LIMIT = 120


def short_reason(reason: str) -> str:
    """A skip or failure reason as reports group it: its first line, data-free for conditions."""
    if reason.startswith("conditions are false"):
        return "conditions are false"
    first = reason.strip().splitlines()[0] if reason.strip() else "(no reason given)"
    return first if len(first) <= REASON_LIMIT else first[: REASON_LIMIT - 1] + "…"


class Collector(RunObserver):
    """Counts steps reached, condition outcomes, branches taken and step outcomes per workflow,
    over every emulator it observes (thread-safe: servers drive emulators from their threads)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._lines = LineFinder()
        # Workflow objects by id(), kept alive here so an id is never reused while counted.
        self._known: dict[int, tuple[Workflow, WorkflowCoverage]] = {}
        self._by_identity: dict[str, WorkflowCoverage] = {}
        self._stop: Callable[[], None] | None = None

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> None:
        """Count every `Emulator` created from now on (until `stop()`)."""
        if self._stop is None:
            self._stop = observe_every_emulator(self)

    def stop(self) -> None:
        """Stop attaching to new emulators (those attached keep reporting to this collector)."""
        if self._stop is not None:
            self._stop()
            self._stop = None

    def attach(self, emulator: Emulator) -> None:
        """Count an emulator that already exists."""
        emulator.add_run_observer(self)

    def data(self) -> CoverageData:
        """A copy of everything counted so far."""
        out = CoverageData()
        with self._lock:
            for workflow in self._by_identity.values():
                out.add(workflow)
        return out

    # -- RunObserver ---------------------------------------------------------------------------
    def attached(self, workflows: Iterable[Workflow]) -> None:
        """Register the emulator's workflows, so one never triggered shows as 0%."""
        with self._lock:
            for workflow in workflows:
                self._coverage(workflow)

    def step_reached(self, workflow: Workflow, ref: str) -> None:
        """Count the step item."""
        self._hit(workflow, step_id(ref), ref, "reached")

    def condition_evaluated(
        self, workflow: Workflow, ref: str | None, group: str, passed: bool
    ) -> None:
        """Count a condition group's outcome (branch conditions are counted, not items)."""
        if group.startswith("branch:"):
            outcome = "true" if passed else "false"
            self._hit(workflow, "", ref or "", f"{group[7:]} conditions{SEP}{outcome}")
            return
        if group == "preferences":
            self._add_preference_items(workflow, ref or "")
        self._hit(workflow, condition_id(ref, group, passed), ref or "", group)

    def branch_taken(self, workflow: Workflow, ref: str, branch: str) -> None:
        """Count the branch item."""
        self._hit(workflow, branch_id(ref, branch), ref, branch)

    def step_outcome(self, workflow: Workflow, ref: str, outcome: str, reason: str = "") -> None:
        """Count a step outcome; a branch step skipped had no branch matching."""
        if outcome == "skipped" and reason.startswith("no branch matched"):
            self._hit(workflow, branch_id(ref, NO_BRANCH), ref, NO_BRANCH)
            return
        self._hit(workflow, outcome_id(ref, outcome), ref, outcome, reason)

    # -- counting ----------------------------------------------------------------------------
    def _hit(self, workflow: Workflow, item_id: str, ref: str, what: str, reason: str = "") -> None:
        """Count `item_id`; what is no item (a delay skipped, a fetch retried, a branch's
        conditions) is counted under "<ref> SEP <what>" among the other outcomes."""
        with self._lock:
            coverage = self._coverage(workflow)
            item = coverage.items.get(item_id)
            if item is None:
                other = f"{ref}{SEP}{what}"
                coverage.extra[other] = coverage.extra.get(other, 0) + 1
                if reason:
                    key = f"{other}: {short_reason(reason)}"
                    coverage.extra[key] = coverage.extra.get(key, 0) + 1
                return
            item.hits += 1
            if reason:
                short = short_reason(reason)
                item.reasons[short] = item.reasons.get(short, 0) + 1

    def _coverage(self, workflow: Workflow) -> WorkflowCoverage:
        """The counted coverage of `workflow` (the caller holds the lock)."""
        known = self._known.get(id(workflow))
        if known is not None:
            return known[1]
        fresh = workflow_items(workflow, self._lines)
        coverage = self._by_identity.get(fresh.identity)
        if coverage is None:
            coverage = self._by_identity[fresh.identity] = fresh
        else:  # the same file loaded by another emulator (or changed): union of the items
            for item_id, item in fresh.items.items():
                coverage.items.setdefault(item_id, item)
        self._known[id(workflow)] = (workflow, coverage)
        return coverage

    def _add_preference_items(self, workflow: Workflow, ref: str) -> None:
        with self._lock:
            coverage = self._coverage(workflow)
            step = coverage.items.get(step_id(ref))
            location = step.location if step is not None else ""
            for passed in (True, False):
                item_id = condition_id(ref, "preferences", passed)
                if item_id not in coverage.items:
                    label = f"{ref} preference conditions{SEP}{'true' if passed else 'false'}"
                    coverage.items[item_id] = Item(item_id, "condition", ref, label, location)
