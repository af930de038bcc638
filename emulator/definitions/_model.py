"""The typed workflow model: both loaders (our YAML, the Knock CLI layout) produce these objects.

Field names follow Knock's Management API (`WorkflowStep`, `WorkflowBatchStep`, ...), so a user who
knows `workflow.json` knows the model. `source` fields say where an object was read, for error
messages; they never take part in equality, so one workflow loaded from two formats compares equal.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias

DurationUnit: TypeAlias = Literal["seconds", "minutes", "hours", "days", "weeks", "months"]
DURATION_UNITS: tuple[str, ...] = ("seconds", "minutes", "hours", "days", "weeks", "months")
CHANNEL_TYPES: tuple[str, ...] = ("email", "in_app_feed", "sms", "push", "chat", "http")


@dataclass(frozen=True, slots=True)
class Source:
    """Where a definition was read: a file and a JSON path inside it (`steps[2].settings`)."""

    file: str = ""
    path: str = ""

    def at(self, suffix: str) -> Source:
        joined = (
            f"{self.path}{suffix}"
            if suffix.startswith("[") or not self.path
            else (f"{self.path}.{suffix}")
        )
        return Source(self.file, joined)


_NOWHERE = Source()


def _source() -> Any:
    return field(default=_NOWHERE, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Duration:
    """Knock's `{"unit": ..., "value": ...}`; months are calendar months."""

    unit: DurationUnit
    value: int


# -- conditions ---------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Condition:
    """One leaf: `{"variable": "data.status", "operator": "equal_to", "argument": "paid"}`."""

    variable: str
    operator: str
    argument: Any = None
    source: Source = _source()


@dataclass(frozen=True, slots=True)
class ConditionGroup:
    """`{"all": [...]}` (every item holds) or `{"any": [...]}` (at least one holds)."""

    mode: Literal["all", "any"]
    items: tuple[Condition | ConditionGroup, ...]
    source: Source = _source()


# -- steps --------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class SendWindow:
    day: str  # monday .. sunday
    type: Literal["send", "do_not_send"]
    start: str | None = None  # "09:00:00" (Knock's `from`)
    until: str | None = None


@dataclass(frozen=True, slots=True)
class ChannelStep:
    ref: str
    channel_type: str  # email | in_app_feed | sms | push | chat | http
    channel_key: str | None
    template: Mapping[str, Any]  # Knock's template object, `@` file references already inlined
    channel_overrides: Mapping[str, Any] = field(default_factory=dict)
    channel_group_key: str | None = None
    send_windows: tuple[SendWindow, ...] = ()
    conditions: ConditionGroup | None = None
    name: str | None = None
    description: str | None = None
    source: Source = _source()
    type: Literal["channel"] = "channel"


@dataclass(frozen=True, slots=True)
class DelayStep:
    ref: str
    delay_for: Duration | None = None
    delay_until_field_path: str | None = None
    conditions: ConditionGroup | None = None
    name: str | None = None
    description: str | None = None
    source: Source = _source()
    type: Literal["delay"] = "delay"


@dataclass(frozen=True, slots=True)
class BatchStep:
    ref: str
    batch_window: Duration | None = None
    batch_until_field_path: str | None = None
    batch_key: str | None = None
    batch_window_type: Literal["fixed", "sliding"] = "fixed"
    batch_window_extension_limit: Duration | None = None
    batch_order: Literal["asc", "desc"] = "asc"
    batch_items_max_limit: int | None = None
    batch_items_render_limit: int = 10
    batch_execution_mode: Literal["accumulate", "flush_leading"] = "accumulate"
    workflow_version_mode: Literal["latest", "pinned"] = "latest"
    conditions: ConditionGroup | None = None
    name: str | None = None
    description: str | None = None
    source: Source = _source()
    type: Literal["batch"] = "batch"


@dataclass(frozen=True, slots=True)
class Branch:
    name: str
    conditions: ConditionGroup | None  # None for the default branch
    steps: tuple[Step, ...]
    terminates: bool = False
    source: Source = _source()
    percentage: float | None = None  # experiment (random_cohort) branches only

    @property
    def is_default(self) -> bool:
        return self.conditions is None and self.percentage is None


@dataclass(frozen=True, slots=True)
class BranchStep:
    """A branch step, or an experiment (`random_cohort`): the same shape, chosen differently.

    Branches are picked by their conditions; cohorts by hashing `cohort_key` (default the
    recipient id) into the branches' percentages.
    """

    ref: str
    branches: tuple[Branch, ...]
    name: str | None = None
    description: str | None = None
    source: Source = _source()
    conditions: None = None  # Knock allows no conditions on a branch or experiment step
    type: Literal["branch", "random_cohort"] = "branch"
    cohort_key: str | None = None


@dataclass(frozen=True, slots=True)
class ThrottleStep:
    ref: str
    throttle_window: Duration | None = None
    throttle_window_field_path: str | None = None
    throttle_limit: int = 1
    throttle_key: str | None = None
    conditions: ConditionGroup | None = None
    name: str | None = None
    description: str | None = None
    source: Source = _source()
    type: Literal["throttle"] = "throttle"


@dataclass(frozen=True, slots=True)
class KeyValue:
    key: str
    value: str


@dataclass(frozen=True, slots=True)
class FetchStep:
    ref: str
    method: str
    url: str
    headers: tuple[KeyValue, ...] | str = ()
    query_params: tuple[KeyValue, ...] | str = ()
    body: str | None = None
    response_path: str | None = None
    signing_key: str | None = None
    conditions: ConditionGroup | None = None
    name: str | None = None
    description: str | None = None
    source: Source = _source()
    type: Literal["http_fetch"] = "http_fetch"


@dataclass(frozen=True, slots=True)
class TriggerWorkflowStep:
    ref: str
    workflow_key: str
    recipients: str = "{{ recipient.id }}"
    actor: str = "{{ actor.id }}"
    tenant: str = "{{ tenant.id }}"
    data: str = "{{ data | json }}"
    cancellation_key: str = "{{ workflow.cancellation_key }}"
    conditions: ConditionGroup | None = None
    name: str | None = None
    description: str | None = None
    source: Source = _source()
    type: Literal["trigger_workflow"] = "trigger_workflow"


@dataclass(frozen=True, slots=True)
class UpdateStep:
    """update_data, update_user, update_tenant and update_object share one shape."""

    ref: str
    type: Literal["update_data", "update_user", "update_tenant", "update_object"]
    properties: str  # Liquid that renders to a JSON object (`data` / `update_properties`)
    recipient_mode: Literal["current", "reference"] = "current"
    recipient_gid: str | None = None
    conditions: ConditionGroup | None = None
    name: str | None = None
    description: str | None = None
    source: Source = _source()


@dataclass(frozen=True, slots=True)
class WaitForEventStep:
    """Pause until a matching event (message engagement, another workflow, an integration
    source) arrives for this recipient, or until `expires_after` runs out."""

    ref: str
    event: Mapping[str, str]  # event_type, event_key, source_type/source_key, ...
    match_conditions: tuple[ConditionGroup, ...] = ()  # OR of AND groups
    expires_after: Duration = Duration("minutes", 15)
    on_match: Literal["continue", "halt"] = "continue"
    on_timeout: Literal["continue", "halt"] = "halt"
    conditions: ConditionGroup | None = None
    name: str | None = None
    description: str | None = None
    source: Source = _source()
    type: Literal["wait_for_event"] = "wait_for_event"


@dataclass(frozen=True, slots=True)
class AiAgentStep:
    """Run a prompt on a model; the answer lands in `data.<ref>` (`.text`, or the JSON object)."""

    ref: str
    model: str
    request_prompt: str
    response_type: Literal["text", "json"] = "text"
    response_schema: Mapping[str, Any] | None = None
    web_search_enabled: bool = False
    halt_on_error: bool = True
    conditions: ConditionGroup | None = None
    name: str | None = None
    description: str | None = None
    source: Source = _source()
    type: Literal["ai_agent"] = "ai_agent"


Step: TypeAlias = (
    ChannelStep
    | DelayStep
    | BatchStep
    | BranchStep
    | ThrottleStep
    | FetchStep
    | TriggerWorkflowStep
    | UpdateStep
    | WaitForEventStep
    | AiAgentStep
)
STEP_TYPES: tuple[str, ...] = (
    "channel",
    "delay",
    "batch",
    "branch",
    "throttle",
    "http_fetch",
    "trigger_workflow",
    "update_data",
    "update_user",
    "update_tenant",
    "update_object",
    "random_cohort",
    "wait_for_event",
    "ai_agent",
)
# Known to Knock, refused by name until the emulator runs them.
NOT_EMULATED_STEP_TYPES: tuple[str, ...] = ("update_audience",)


# -- workflows, layouts, partials ---------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class WorkflowSettings:
    override_preferences: bool = False
    is_commercial: bool = False


@dataclass(frozen=True, slots=True)
class Workflow:
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
    source: Source = _source()

    def find_step(self, ref: str) -> Step | None:
        """The step with this ref, searching inside branches too."""
        return _find(self.steps, ref)

    def iter_steps(self) -> list[Step]:
        """Every step, depth first, branch steps before the steps inside them."""
        out: list[Step] = []
        _walk(self.steps, out)
        return out


@dataclass(frozen=True, slots=True)
class FooterLink:
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
    source: Source = _source()


@dataclass(frozen=True, slots=True)
class Partial:
    """A reusable template rendered with `{% render 'key', arg: value %}`."""

    key: str
    name: str
    type: Literal["html", "markdown", "text", "json"]
    content: str
    input_schema: tuple[Mapping[str, Any], ...] = ()
    source: Source = _source()


@dataclass(frozen=True, slots=True)
class Definitions:
    """Everything loaded from a directory: workflows, layouts and partials by key, and
    translations by Knock's file name without `.json` (`"en"`, `"admin.en"`)."""

    workflows: Mapping[str, Workflow] = field(default_factory=dict)
    layouts: Mapping[str, Layout] = field(default_factory=dict)
    partials: Mapping[str, Partial] = field(default_factory=dict)
    translations: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


def _find(steps: tuple[Step, ...], ref: str) -> Step | None:
    for step in steps:
        if step.ref == ref:
            return step
        if isinstance(step, BranchStep):
            for branch in step.branches:
                found = _find(branch.steps, ref)
                if found is not None:
                    return found
    return None


def _walk(steps: tuple[Step, ...], out: list[Step]) -> None:
    for step in steps:
        out.append(step)
        if isinstance(step, BranchStep):
            for branch in step.branches:
                _walk(branch.steps, out)
