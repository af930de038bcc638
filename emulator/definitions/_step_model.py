"""The step models, one dataclass per Knock step type (`WorkflowStep`, `WorkflowBatchStep`, ...).

Field names follow Knock's Management API, so a user who knows `workflow.json` knows the model.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias

from emulator.definitions._values import ConditionGroup, Duration, Source, source_field

CHANNEL_TYPES: tuple[str, ...] = ("email", "in_app_feed", "sms", "push", "chat", "http")


@dataclass(frozen=True, slots=True)
class SendWindow:
    """One day of a channel step's send windows: send only inside it, or never inside it."""

    day: str  # monday .. sunday
    type: Literal["send", "do_not_send"]
    start: str | None = None  # "09:00:00" (Knock's `from`)
    until: str | None = None


@dataclass(frozen=True, slots=True)
class ChannelStep:
    """Send one message on a channel (email, in-app feed, SMS, push, chat, webhook)."""

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
    source: Source = source_field()
    type: Literal["channel"] = "channel"


@dataclass(frozen=True, slots=True)
class DelayStep:
    """Pause the run for `delay_for`, or until the time at `delay_until_field_path`."""

    ref: str
    delay_for: Duration | None = None
    delay_until_field_path: str | None = None
    conditions: ConditionGroup | None = None
    name: str | None = None
    description: str | None = None
    source: Source = source_field()
    type: Literal["delay"] = "delay"


@dataclass(frozen=True, slots=True)
class BatchStep:
    """Collect triggers for a window, then continue once with every item in `activities`."""

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
    source: Source = source_field()
    type: Literal["batch"] = "batch"


@dataclass(frozen=True, slots=True)
class Branch:
    """One way out of a branch or experiment step: its conditions (or share) and its steps."""

    name: str
    conditions: ConditionGroup | None  # None for the default branch
    steps: tuple[Step, ...]
    terminates: bool = False
    source: Source = source_field()
    percentage: float | None = None  # experiment (random_cohort) branches only

    @property
    def is_default(self) -> bool:
        """The branch that runs when no other branch's conditions hold."""
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
    source: Source = source_field()
    conditions: None = None  # Knock allows no conditions on a branch or experiment step
    type: Literal["branch", "random_cohort"] = "branch"
    cohort_key: str | None = None


@dataclass(frozen=True, slots=True)
class ThrottleStep:
    """Let at most `throttle_limit` runs per key through within the window; halt the rest."""

    ref: str
    throttle_window: Duration | None = None
    throttle_window_field_path: str | None = None
    throttle_limit: int = 1
    throttle_key: str | None = None
    conditions: ConditionGroup | None = None
    name: str | None = None
    description: str | None = None
    source: Source = source_field()
    type: Literal["throttle"] = "throttle"


@dataclass(frozen=True, slots=True)
class KeyValue:
    """One header or query parameter of a fetch step (`value` may hold Liquid)."""

    key: str
    value: str


@dataclass(frozen=True, slots=True)
class FetchStep:
    """Make one HTTP request and merge its JSON answer into `data`."""

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
    source: Source = source_field()
    type: Literal["http_fetch"] = "http_fetch"


TRIGGER_WORKFLOW_DEFAULTS: Mapping[str, str] = {
    "recipients": "{{ recipient.id }}",
    "actor": "{{ actor.id }}",
    "tenant": "{{ tenant.id }}",
    "data": "{{ data | json }}",
    "cancellation_key": "{{ workflow.cancellation_key }}",
}
"""Knock's documented defaults for a trigger_workflow step's settings (its step page's table)."""


@dataclass(frozen=True, slots=True)
class TriggerWorkflowStep:
    """Trigger another workflow; each field is Liquid rendered against this run."""

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
    source: Source = source_field()
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
    source: Source = source_field()


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
    source: Source = source_field()
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
    source: Source = source_field()
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


def walk_steps(steps: tuple[Step, ...]) -> Iterator[Step]:
    """Every step, depth first, branch steps before the steps inside them."""
    for step in steps:
        yield step
        if isinstance(step, BranchStep):
            for branch in step.branches:
                yield from walk_steps(branch.steps)
