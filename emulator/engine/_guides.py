"""Guides, the engine half: which guides a user is eligible for, their content rendered for the
user, and engagement (seen, interacted, archived, unarchived, reset) recorded per user.

Eligibility follows Knock's guides API (`ineligible_guides` reasons, in this order): the guide
is inactive or outside `active_from`/`active_until` (`guide_not_active`); every step is archived
(`marked_as_archived`); the user is not in `target_audience_key` (`not_in_target_audience`);
`target_property_conditions` fail against `recipient`, `data`, `tenant` and `vars`
(`target_conditions_not_met`). Activation rules (URL rules and patterns) are returned for the
client SDK to evaluate against the page, as Knock does. Content values are Liquid, rendered
with `recipient`, `data`, `tenant` and `vars` (in-app-ui/guides/create-guides).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from emulator.core import TriggerError
from emulator.definitions import Guide, GuideStep
from emulator.engine._conditions import ConditionScope, evaluate
from emulator.engine._scopes import send_vars
from emulator.stores import TENANTS, USERS, GuideMessage
from emulator.templates import TemplateLocation, build_context

if TYPE_CHECKING:
    from emulator.engine._engine import Engine

_GUIDE_IDS = "3c1f6a52-8d0e-4b7a-9f21-5e6d7c8b9a01"


def guide_id(key: str) -> str:
    """The id Knock would give a guide (stable per key: a UUID, the spec's format)."""
    import uuid  # guides are rare: uuid (and platform) load with the first

    return str(uuid.uuid5(uuid.UUID(_GUIDE_IDS), f"guide:{key}"))


@dataclass(frozen=True, slots=True)
class GuideStepView:
    """A step as the user gets it: content rendered for them, and their engagement with it."""

    step: GuideStep
    content: Mapping[str, Any]
    message: GuideMessage | None


@dataclass(frozen=True, slots=True)
class EligibleGuide:
    """A guide the user may see, with its steps rendered for them."""

    guide: Guide
    id: str
    steps: tuple[GuideStepView, ...]


@dataclass(frozen=True, slots=True)
class IneligibleGuide:
    """A guide the user may not see: Knock's `reason` code and a readable `message`."""

    key: str
    reason: str  # guide_not_active | marked_as_archived | not_in_target_audience | ...
    message: str


@dataclass(frozen=True, slots=True)
class GuideList:
    """What the guides API answers for one user: eligible guides in display order, the
    ineligible ones with why, and when the user last archived a throttled guide."""

    entries: tuple[EligibleGuide, ...]
    ineligible: tuple[IneligibleGuide, ...]
    display_log: datetime | None

    def eligible_keys(self) -> list[str]:
        """The eligible guides' keys, in display order."""
        return [entry.guide.key for entry in self.entries]


def select_guides(
    engine: Engine,
    user_id: str,
    *,
    channel: str | None = None,
    tenant: str | None = None,
    data: Mapping[str, Any] | None = None,
    type: str | None = None,
) -> GuideList:
    """The guides of `channel` (a channel key; None: every channel) and `type` for `user_id`."""
    scope = _scope(engine, user_id, tenant, data)
    entries: list[EligibleGuide] = []
    ineligible: list[IneligibleGuide] = []
    for guide in engine.definitions.guides.values():
        if (channel is not None and guide.channel_key != channel) or (type and guide.type != type):
            continue
        reason = _ineligible(engine, guide, user_id, scope)
        if reason is not None:
            ineligible.append(reason)
            continue
        steps = tuple(_step_view(engine, guide, s, user_id, scope) for s in guide.steps)
        entries.append(EligibleGuide(guide, guide_id(guide.key), steps))
    log = engine.guide_engagements.display_logs.get(user_id)
    return GuideList(tuple(entries), tuple(ineligible), log)


def _scope(
    engine: Engine, user_id: str, tenant: str | None, data: Mapping[str, Any] | None
) -> dict[str, Any]:
    tenant_obj = None
    if tenant is not None:
        tenant_obj = engine.entities.serialize(TENANTS, tenant) | {"__typename": "Tenant"}
    return {
        "recipient": engine.entities.serialize(USERS, user_id),
        "data": dict(data or {}),
        "tenant": tenant_obj,
        "vars": send_vars(engine.vars, tenant_obj),
        "audiences": engine.audiences,
    }


def _ineligible(
    engine: Engine, guide: Guide, user_id: str, scope: Mapping[str, Any]
) -> IneligibleGuide | None:
    now = engine.clock.now
    if (
        not guide.active
        or (guide.active_from is not None and now < guide.active_from)
        or (guide.active_until is not None and now >= guide.active_until)
    ):
        return IneligibleGuide(guide.key, "guide_not_active", "Guide is not active")
    messages = {m.step_ref: m for m in engine.guide_engagements.of_guide(user_id, guide.key)}
    if guide.steps and all(
        messages.get(s.ref) is not None and messages[s.ref].archived_at is not None
        for s in guide.steps
    ):
        return IneligibleGuide(
            guide.key, "marked_as_archived", "User has archived this guide already"
        )
    audience = guide.target_audience_key
    if audience is not None and user_id not in engine.audiences.get(audience, frozenset()):
        return IneligibleGuide(
            guide.key,
            "not_in_target_audience",
            f"User is not a member of the target audience `{audience}`",
        )
    result = evaluate(guide.target_property_conditions, ConditionScope(scope, {}, now))
    if not result.passed:
        return IneligibleGuide(
            guide.key,
            "target_conditions_not_met",
            "User does not meet the guide's targeting conditions: "
            + result.explain().replace("\n", "; "),
        )
    return None


def _step_view(
    engine: Engine, guide: Guide, step: GuideStep, user_id: str, scope: Mapping[str, Any]
) -> GuideStepView:
    context = build_context(
        data=scope["data"],
        recipient=scope["recipient"],
        actor=None,
        tenant=scope["tenant"],
        vars=scope["vars"],
        workflow={"key": guide.key, "name": guide.name},
        timestamp=engine.clock.now,
    )
    content = _render(engine, step.values, context, TemplateLocation(guide.key, step.ref, ""))
    return GuideStepView(step, content, engine.guide_engagements.get(user_id, guide.key, step.ref))


def _render(engine: Engine, value: Any, context: Mapping[str, Any], at: TemplateLocation) -> Any:
    if isinstance(value, str):
        return engine.templates.render(value, context, at).text
    if isinstance(value, Mapping):
        return {
            k: _render(engine, v, context, TemplateLocation(at.workflow, at.step, _join(at, k)))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_render(engine, v, context, at) for v in value]
    return value


def _join(at: TemplateLocation, key: str) -> str:
    return f"{at.field}.{key}" if at.field else key


# -- engagement -----------------------------------------------------------------------------
def find_guide(engine: Engine, key: str, step_ref: str | None = None) -> Guide:
    """The loaded guide `key` (and, given, check it has step `step_ref`); 404 TriggerError."""
    guide = engine.definitions.guides.get(key)
    if guide is None:
        known = ", ".join(sorted(engine.definitions.guides)) or "none are loaded"
        raise TriggerError(
            "resource_missing",
            f"no guide with key {key!r} (loaded: {known}); add guides/{key}/guide.json",
            status=404,
        )
    if step_ref is not None and all(s.ref != step_ref for s in guide.steps):
        refs = ", ".join(s.ref for s in guide.steps)
        raise TriggerError(
            "resource_missing",
            f"guide {key!r} has no step {step_ref!r} (its steps: {refs})",
            status=404,
        )
    return guide


def engage(
    engine: Engine,
    user_id: str,
    status: str,
    guide_key: str,
    step_ref: str,
    details: Mapping[str, Any],
) -> GuideMessage:
    """Record `status` (seen, interacted, archived) of a guide step by a user, now; `details`
    holds what the client sent: channel_id, tenant, content, data, metadata, unthrottled."""
    guide = find_guide(engine, guide_key, step_ref)
    now = engine.clock.now
    store = engine.guide_engagements
    message = store.get(user_id, guide_key, step_ref)
    if message is None:
        message = GuideMessage(
            id=engine.ids.ksuid(),
            user_id=user_id,
            guide_key=guide_key,
            guide_id=guide_id(guide_key),
            step_ref=step_ref,
            channel_id=str(details.get("channel_id") or guide.channel_key),
            inserted_at=now,
            tenant=details.get("tenant"),
        )
        store.put(message)
    if status == "seen":
        message.seen_at = now
        message.content = dict(details.get("content") or {})
        message.data = details.get("data")
    elif status == "interacted":
        message.read_at = message.interacted_at = now
        message.seen_at = message.seen_at or now
        message.metadata = details.get("metadata")
    elif status == "archived":
        message.archived_at = now
        if not (details.get("unthrottled") or guide.bypass_global_group_limit):
            store.display_logs[user_id] = now
    return message


def unarchive(engine: Engine, user_id: str, guide_key: str) -> list[GuideMessage]:
    """Clear `archived_at` on every step of a guide the user archived."""
    find_guide(engine, guide_key)
    messages = engine.guide_engagements.of_guide(user_id, guide_key)
    for message in messages:
        message.archived_at = None
    return messages


def reset_engagement(engine: Engine, user_id: str, guide_key: str) -> int:
    """Forget the user's engagement with a guide: it is new to them again."""
    find_guide(engine, guide_key)
    return engine.guide_engagements.remove_guide(user_id, guide_key)
