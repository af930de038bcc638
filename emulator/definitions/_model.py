"""The typed workflow model: both loaders (our YAML, the Knock CLI layout) produce these objects.

Field names follow Knock's Management API (`WorkflowStep`, `WorkflowBatchStep`, ...), so a user who
knows `workflow.json` knows the model. `source` fields say where an object was read, for error
messages; they never take part in equality, so one workflow loaded from two formats compares equal.
This module holds workflows, layouts, partials and `Definitions`, and is the one place to import
any model name from: the values (`_values`) and the steps (`_step_model`) are re-exported here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from emulator.core import Problem
from emulator.definitions._guide_model import Guide
from emulator.definitions._step_model import (
    CHANNEL_TYPES,
    NOT_EMULATED_STEP_TYPES,
    STEP_TYPES,
    TRIGGER_WORKFLOW_DEFAULTS,
    AiAgentStep,
    BatchStep,
    Branch,
    BranchStep,
    ChannelStep,
    DelayStep,
    FetchStep,
    KeyValue,
    SendWindow,
    Step,
    ThrottleStep,
    TriggerWorkflowStep,
    UpdateStep,
    WaitForEventStep,
    walk_steps,
)
from emulator.definitions._values import (
    DURATION_UNITS,
    Condition,
    ConditionGroup,
    Duration,
    DurationUnit,
    Source,
    source_field,
)

__all__ = [
    "CHANNEL_TYPES",
    "DURATION_UNITS",
    "NOT_EMULATED_STEP_TYPES",
    "STEP_TYPES",
    "TRIGGER_WORKFLOW_DEFAULTS",
    "AiAgentStep",
    "BatchStep",
    "Branch",
    "BranchStep",
    "ChannelStep",
    "Condition",
    "ConditionGroup",
    "Definitions",
    "DelayStep",
    "Duration",
    "DurationUnit",
    "FetchStep",
    "FooterLink",
    "KeyValue",
    "Layout",
    "Partial",
    "SendWindow",
    "Source",
    "Step",
    "ThrottleStep",
    "TriggerWorkflowStep",
    "UpdateStep",
    "WaitForEventStep",
    "Workflow",
    "WorkflowSettings",
    "walk_steps",
]


@dataclass(frozen=True, slots=True)
class WorkflowSettings:
    """Workflow-wide switches: ignore recipient preferences, or mark the workflow commercial."""

    override_preferences: bool = False
    is_commercial: bool = False


@dataclass(frozen=True, slots=True)
class Workflow:
    """One workflow: its key, its steps in order, and the trigger-time rules around them."""

    key: str
    name: str
    steps: tuple[Step, ...]
    description: str | None = None
    categories: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    conditions: ConditionGroup | None = None
    settings: WorkflowSettings = WorkflowSettings()
    trigger_data_json_schema: Mapping[str, Any] | None = None
    trigger_frequency: Literal[
        "every_trigger", "once_per_recipient", "once_per_recipient_per_tenant"
    ] = "every_trigger"
    active: bool = True
    source: Source = source_field()

    def find_step(self, ref: str) -> Step | None:
        """The step with this ref, searching inside branches too."""
        return next((step for step in walk_steps(self.steps) if step.ref == ref), None)

    def iter_steps(self) -> list[Step]:
        """Every step, depth first, branch steps before the steps inside them."""
        return list(walk_steps(self.steps))


@dataclass(frozen=True, slots=True)
class FooterLink:
    """A link a layout renders in its footer."""

    text: str
    url: str


@dataclass(frozen=True, slots=True)
class Layout:
    """An email layout: `html_layout` must contain `{{ content }}`."""

    key: str
    name: str
    html_layout: str
    text_layout: str = "{{ content }}"
    footer_links: tuple[FooterLink, ...] = ()
    source: Source = source_field()


@dataclass(frozen=True, slots=True)
class Partial:
    """A reusable template rendered with `{% render 'key', arg: value %}`."""

    key: str
    name: str
    type: Literal["html", "markdown", "text", "json"]
    content: str
    input_schema: tuple[Mapping[str, Any], ...] = ()
    source: Source = source_field()


@dataclass(frozen=True, slots=True)
class Definitions:
    """Everything loaded from a directory: workflows, layouts and partials by key, and
    translations by Knock's file name without `.json` (`"en"`, `"admin.en"`)."""

    workflows: Mapping[str, Workflow] = field(default_factory=dict)
    layouts: Mapping[str, Layout] = field(default_factory=dict)
    partials: Mapping[str, Partial] = field(default_factory=dict)
    guides: Mapping[str, Guide] = field(default_factory=dict)  # guides/<key>/guide.json
    translations: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    warnings: tuple[Problem, ...] = ()  # loaded anyway: an empty YAML file, ...
    # Each resource's document as read (file references inlined), by (kind, key): what the
    # Management API answers for it. Not part of equality (the two formats compare equal).
    documents: Mapping[tuple[str, str], Mapping[str, Any]] = field(
        default_factory=dict, compare=False
    )
