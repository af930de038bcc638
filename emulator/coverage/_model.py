"""The coverage data model: per workflow, the items a test suite can cover and their hit counts.

An item is one thing to exercise: a step reached (`kind` "step"), a branch taken ("branch"), one
outcome of a condition group ("condition"), or one outcome of a step ("outcome"). Step coverage
counts the "step" items; outcome coverage counts the others; the total counts both. Items are
keyed to where they are written: `file:line` for our YAML, `file:$.json.path` otherwise.

The data is plain JSON (`to_json` / `from_json`, schema `SCHEMA_VERSION`), so workers, CI jobs
and other tools combine and read it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

SCHEMA_VERSION = 1
SEP = " \N{SINGLE RIGHT-POINTING ANGLE QUOTATION MARK} "  # between a label's parts
STEP_KINDS = ("step",)


@dataclass(slots=True)
class Item:
    """One coverage item: `id` is unique within its workflow, `hits` how often it was seen,
    `reasons` the skip or failure reasons seen with their counts."""

    id: str
    kind: str  # step | branch | condition | outcome
    ref: str  # the step's ref ("" for the workflow's own trigger conditions)
    label: str  # `branch_1 > Payee`, `email_1 > skipped` (with SEP, a single right angle quote)
    location: str  # `workflows/x.yaml:12` or `workflow.json:$.steps[0].branches[1]`
    hits: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    parent: str = ""  # a step inside a branch: that branch item's id

    @property
    def covered(self) -> bool:
        """Seen at least once."""
        return self.hits > 0

    def to_json(self) -> dict[str, Any]:
        """The item as the JSON report and data file write it."""
        return {
            "id": self.id,
            "kind": self.kind,
            "ref": self.ref,
            "label": self.label,
            "location": self.location,
            "hits": self.hits,
            "reasons": dict(sorted(self.reasons.items())),
            "parent": self.parent,
        }

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> Item:
        """Read an item written by `to_json`."""
        return cls(
            str(raw["id"]),
            str(raw["kind"]),
            str(raw.get("ref", "")),
            str(raw.get("label", raw["id"])),
            str(raw.get("location", "")),
            int(raw.get("hits", 0)),
            {str(k): int(v) for k, v in dict(raw.get("reasons", {})).items()},
            str(raw.get("parent", "")),
        )


@dataclass(frozen=True, slots=True)
class Counts:
    """Covered and total items of one kind of coverage; `percent` is 100 for nothing to cover."""

    covered: int
    total: int

    @property
    def missed(self) -> int:
        """Items not covered."""
        return self.total - self.covered

    @property
    def percent(self) -> float:
        """Covered share in percent (exact; reports round it down)."""
        return 100.0 if self.total == 0 else 100.0 * self.covered / self.total

    def __add__(self, other: Counts) -> Counts:
        return Counts(self.covered + other.covered, self.total + other.total)


@dataclass(slots=True)
class WorkflowCoverage:
    """One workflow's items, in definition order (steps depth first, each step's outcomes after
    it). `file` is where the workflow was loaded from ("" for one built in code)."""

    key: str
    file: str
    items: dict[str, Item] = field(default_factory=dict)
    extra: dict[str, int] = field(default_factory=dict)  # outcomes seen that are not items

    @property
    def identity(self) -> str:
        """What tells two workflows apart across emulators: file and key."""
        return f"{self.file}::{self.key}"

    def counts(self, kinds: Iterable[str] | None = None, *, exclude: bool = False) -> Counts:
        """Covered/total over items of `kinds` (all kinds when None; all others if `exclude`)."""
        wanted = None if kinds is None else set(kinds)
        chosen = [
            i for i in self.items.values() if wanted is None or ((i.kind in wanted) != exclude)
        ]
        return Counts(sum(1 for i in chosen if i.covered), len(chosen))

    @property
    def steps(self) -> Counts:
        """Step coverage: steps reached."""
        return self.counts(STEP_KINDS)

    @property
    def outcomes(self) -> Counts:
        """Outcome coverage: branches, condition outcomes and step outcomes seen."""
        return self.counts(STEP_KINDS, exclude=True)

    @property
    def total(self) -> Counts:
        """Steps and outcomes together."""
        return self.counts()

    def missed(self) -> list[Item]:
        """Items never seen, in definition order."""
        return [i for i in self.items.values() if not i.covered]

    def merge(self, other: WorkflowCoverage) -> None:
        """Add `other`'s hits (and any items only it has) into this workflow."""
        for item_id, theirs in other.items.items():
            mine = self.items.get(item_id)
            if mine is None:
                self.items[item_id] = mine = Item(
                    theirs.id, theirs.kind, theirs.ref, theirs.label, theirs.location
                )
                mine.parent = theirs.parent
            mine.hits += theirs.hits
            for reason, count in theirs.reasons.items():
                mine.reasons[reason] = mine.reasons.get(reason, 0) + count
        for name, count in other.extra.items():
            self.extra[name] = self.extra.get(name, 0) + count

    def to_json(self) -> dict[str, Any]:
        """The workflow as the JSON report and data file write it."""
        return {
            "key": self.key,
            "file": self.file,
            "summary": _summary(self.steps, self.outcomes),
            "items": [i.to_json() for i in self.items.values()],
            "other_outcomes": dict(sorted(self.extra.items())),
        }

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> WorkflowCoverage:
        """Read a workflow written by `to_json`."""
        items = [Item.from_json(i) for i in raw.get("items", [])]
        extra = {str(k): int(v) for k, v in dict(raw.get("other_outcomes", {})).items()}
        return cls(str(raw["key"]), str(raw.get("file", "")), {i.id: i for i in items}, extra)


def _summary(steps: Counts, outcomes: Counts) -> dict[str, Any]:
    total = steps + outcomes
    return {
        "steps": {"covered": steps.covered, "total": steps.total},
        "outcomes": {"covered": outcomes.covered, "total": outcomes.total},
        "total": {"covered": total.covered, "total": total.total},
        "percent": round(total.percent, 2),
    }


class DataFormatError(ValueError):
    """A coverage data file that is not Doorstep coverage data of a known schema version."""


@dataclass(slots=True)
class CoverageData:
    """Every workflow's coverage, by `WorkflowCoverage.identity`."""

    workflows: dict[str, WorkflowCoverage] = field(default_factory=dict)

    def add(self, workflow: WorkflowCoverage) -> None:
        """Merge `workflow` in (a copy: the argument is never changed later)."""
        mine = self.workflows.get(workflow.identity)
        if mine is None:
            mine = self.workflows[workflow.identity] = WorkflowCoverage(workflow.key, workflow.file)
        mine.merge(workflow)

    def update(self, other: CoverageData) -> None:
        """Merge every workflow of `other` in."""
        for workflow in other.workflows.values():
            self.add(workflow)

    def sorted(self) -> list[WorkflowCoverage]:
        """Workflows by key, then file."""
        return sorted(self.workflows.values(), key=lambda w: (w.key, w.file))

    def counts(self) -> tuple[Counts, Counts, Counts]:
        """Steps, outcomes and total over every workflow."""
        steps, outcomes = Counts(0, 0), Counts(0, 0)
        for workflow in self.workflows.values():
            steps, outcomes = steps + workflow.steps, outcomes + workflow.outcomes
        return steps, outcomes, steps + outcomes

    @property
    def percent(self) -> float:
        """Total coverage in percent: what `fail_under` compares."""
        return self.counts()[2].percent

    def to_json(self) -> dict[str, Any]:
        """Schema v1 (documented in the README, "Workflow coverage")."""
        steps, outcomes, _ = self.counts()
        return {
            "format": "doorstep-coverage",
            "version": SCHEMA_VERSION,
            "summary": _summary(steps, outcomes),
            "workflows": [w.to_json() for w in self.sorted()],
        }

    @classmethod
    def from_json(cls, raw: Any, *, name: str = "coverage data") -> CoverageData:
        """Read data written by `to_json`; DataFormatError names what is wrong."""
        if not isinstance(raw, Mapping) or raw.get("format") != "doorstep-coverage":
            raise DataFormatError(
                f'{name}: not Doorstep coverage data (no "format": "doorstep-coverage"); '
                "write it with --doorstep-cov or `doorstep run --coverage`"
            )
        if raw.get("version") != SCHEMA_VERSION:
            raise DataFormatError(
                f"{name}: coverage data version {raw.get('version')!r}; this Doorstep reads "
                f"version {SCHEMA_VERSION} (re-run the tests with this Doorstep)"
            )
        data = cls()
        try:
            for workflow in raw.get("workflows", []):
                data.add(WorkflowCoverage.from_json(workflow))
        except (KeyError, TypeError, ValueError) as exc:
            raise DataFormatError(f"{name}: malformed workflow entry ({exc!r})") from None
        return data
