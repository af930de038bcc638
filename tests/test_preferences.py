"""Preference write semantics, merge hierarchy and evaluation (preferences/overview.mdx, §5)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from emulator.core._errors import DefinitionError
from emulator.engine._conditions import ConditionScope
from emulator.engine._preferences import (
    evaluate_preferences,
    merge_preference_set,
    resolve_preferences,
    validate_preference_set,
)

NOW = datetime(2025, 6, 15, 12, 0, tzinfo=UTC)
EMAIL_ID = "550e8400-e29b-41d4-a716-446655440000"
SCOPE = ConditionScope(
    namespaces={
        "data": {"dino": "trex"},
        "recipient": {"id": "u1", "plan": "free", "muted_dinos": ["raptor"]},
        "actor": {"id": "u2"},
    },
    refs={},
    now=NOW,
)


def decide(
    merged: dict[str, Any],
    *,
    channel_type: str = "email",
    channel_id: str | None = EMAIL_ID,
    categories: tuple[str, ...] = ("billing",),
    workflow: str = "invoice-updated",
    commercial: bool = False,
    scope: ConditionScope = SCOPE,
) -> tuple[bool, str | None]:
    result = evaluate_preferences(
        merged,
        workflow_key=workflow,
        categories=categories,
        channel_type=channel_type,
        channel_id=channel_id,
        is_commercial=commercial,
        scope=scope,
    )
    return result.allowed, result.rule


# -- evaluation rules ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("prefs", "expected"),
    [
        ({}, (True, None)),
        ({"channel_types": {"email": False}}, (False, "channel_types.email = false")),
        ({"channel_types": {"sms": False}}, (True, None)),
        ({"channel_types": {"email": True}}, (True, None)),
        ({"workflows": {"invoice-updated": False}}, (False, "workflows.invoice-updated = false")),
        ({"workflows": {"other": False}}, (True, None)),
        ({"categories": {"billing": False}}, (False, "categories.billing = false")),
        ({"categories": {"marketing": False}}, (True, None)),
        # a false workflow or category blocks even with the channel type explicitly true
        (
            {"workflows": {"invoice-updated": False}, "channel_types": {"email": True}},
            (False, "workflows.invoice-updated = false"),
        ),
        (
            {"categories": {"billing": False}, "channels": {EMAIL_ID: True}},
            (False, "categories.billing = false"),
        ),
        # channel beats channel type at the same level
        ({"channel_types": {"email": False}, "channels": {EMAIL_ID: True}}, (True, None)),
        (
            {"channel_types": {"email": True}, "channels": {EMAIL_ID: False}},
            (False, f"channels.{EMAIL_ID} = false"),
        ),
        ({"channels": {"some-other-channel": False}}, (True, None)),
        # nested channel settings under a workflow / category
        (
            {"workflows": {"invoice-updated": {"channel_types": {"email": False}}}},
            (False, "workflows.invoice-updated.channel_types.email = false"),
        ),
        ({"workflows": {"invoice-updated": {"channel_types": {"sms": False}}}}, (True, None)),
        (
            {"categories": {"billing": {"channel_types": {"email": False, "in_app_feed": True}}}},
            (False, "categories.billing.channel_types.email = false"),
        ),
        (
            {
                "categories": {
                    "billing": {"channel_types": {"email": False}, "channels": {EMAIL_ID: True}}
                }
            },
            (True, None),
        ),
        (
            {"workflows": {"invoice-updated": {"channels": {EMAIL_ID: False}}}},
            (False, f"workflows.invoice-updated.channels.{EMAIL_ID} = false"),
        ),
        # levels do not override each other: every combination must be true (§11 Q5)
        (
            {
                "channel_types": {"email": False},
                "workflows": {"invoice-updated": {"channel_types": {"email": True}}},
            },
            (False, "channel_types.email = false"),
        ),
        (
            {
                "channel_types": {"email": True},
                "categories": {"billing": {"channel_types": {"email": False}}},
            },
            (False, "categories.billing.channel_types.email = false"),
        ),
        # unset / null values count as true
        ({"channel_types": {"email": None}}, (True, None)),
        ({"workflows": {"invoice-updated": {}}}, (True, None)),
        ({"workflows": {"invoice-updated": {"conditions": []}}}, (True, None)),
    ],
)
def test_evaluation_rules(prefs: dict[str, Any], expected: tuple[bool, str | None]) -> None:
    assert decide(prefs) == expected


@pytest.mark.parametrize(
    ("categories", "prefs", "expected"),
    [
        (("billing", "ops"), {"categories": {"ops": False}}, (False, "categories.ops = false")),
        (("billing", "ops"), {"categories": {"billing": True, "ops": True}}, (True, None)),
        ((), {"categories": {"billing": False}}, (True, None)),
        (
            ("billing", "ops"),
            {"categories": {"billing": False, "ops": False}},
            (False, "categories.billing = false"),
        ),
    ],
)
def test_any_false_category_blocks(
    categories: tuple[str, ...], prefs: dict[str, Any], expected: tuple[bool, str | None]
) -> None:
    assert decide(prefs, categories=categories) == expected


def test_no_channel_id_uses_channel_type() -> None:
    prefs = {"channel_types": {"email": False}, "channels": {EMAIL_ID: True}}
    assert decide(prefs, channel_id=None) == (False, "channel_types.email = false")


# -- conditions in preferences ------------------------------------------------------------------
PRO = [{"variable": "recipient.plan", "operator": "equal_to", "argument": "pro"}]
DINO = [{"variable": "recipient.muted_dinos", "operator": "not_contains", "argument": "data.dino"}]
NOT_SELF = [{"variable": "recipient.id", "operator": "not_equal_to", "argument": "actor.id"}]


@pytest.mark.parametrize(
    ("prefs", "channel_type", "expected"),
    [
        (
            {"channel_types": {"sms": {"conditions": PRO}}},
            "sms",
            (False, "channel_types.sms: conditions failed (recipient.plan equal_to pro)"),
        ),
        ({"channel_types": {"sms": {"conditions": PRO}}}, "email", (True, None)),
        ({"workflows": {"invoice-updated": {"conditions": DINO}}}, "email", (True, None)),
        (
            {"workflows": {"invoice-updated": {"conditions": DINO + NOT_SELF}}},
            "email",
            (True, None),
        ),
        (
            {"workflows": {"invoice-updated": {"conditions": NOT_SELF + PRO}}},
            "email",
            (False, "workflows.invoice-updated: conditions failed (recipient.plan equal_to pro)"),
        ),
        (
            {"categories": {"billing": {"channel_types": {"email": {"conditions": PRO}}}}},
            "email",
            (
                False,
                "categories.billing.channel_types.email: conditions failed "
                "(recipient.plan equal_to pro)",
            ),
        ),
        (
            {"channels": {EMAIL_ID: {"conditions": PRO}}, "channel_types": {"email": True}},
            "email",
            (False, f"channels.{EMAIL_ID}: conditions failed (recipient.plan equal_to pro)"),
        ),
    ],
)
def test_preference_conditions(
    prefs: dict[str, Any], channel_type: str, expected: tuple[bool, str | None]
) -> None:
    assert decide(prefs, channel_type=channel_type) == expected


def test_muted_dino_condition_blocks_for_muted_resource() -> None:
    muted = ConditionScope(
        namespaces={"data": {"dino": "raptor"}, "recipient": {"muted_dinos": ["raptor"]}},
        refs={},
        now=NOW,
    )
    prefs = {"workflows": {"dinosaurs-loose": {"conditions": DINO}}}
    allowed, rule = decide(prefs, workflow="dinosaurs-loose", scope=muted)
    assert not allowed
    assert rule == (
        "workflows.dinosaurs-loose: conditions failed "
        "(recipient.muted_dinos not_contains data.dino)"
    )


def test_explanation_lists_condition_evaluations() -> None:
    result = evaluate_preferences(
        {"channel_types": {"sms": {"conditions": PRO}}},
        workflow_key="w",
        categories=[],
        channel_type="sms",
        channel_id=None,
        is_commercial=False,
        scope=SCOPE,
    )
    assert result.explanation == (
        "channel_types.sms: conditions failed",
        '  recipient.plan (= "free") equal_to "pro" -> false',
    )


# -- commercial -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("prefs", "commercial", "channel_type", "expected"),
    [
        ({"commercial_subscribed": False}, True, "email", (False, "commercial_subscribed = false")),
        ({"commercial_subscribed": False}, True, "sms", (False, "commercial_subscribed = false")),
        ({"commercial_subscribed": False}, False, "email", (True, None)),
        ({"commercial_subscribed": True}, True, "email", (True, None)),
        ({}, True, "email", (True, None)),
        (
            {"commercial_subscribed": {"conditions": PRO}},
            True,
            "email",
            (False, "commercial_subscribed: conditions failed (recipient.plan equal_to pro)"),
        ),
    ],
)
def test_commercial_subscribed(
    prefs: dict[str, Any], commercial: bool, channel_type: str, expected: tuple[bool, str | None]
) -> None:
    assert decide(prefs, commercial=commercial, channel_type=channel_type) == expected


# -- merge hierarchy matrix ------------------------------------------------------------------------
# (recipient default, recipient per-tenant, tenant default, environment default, tenant?, allowed)
OFF = {"channel_types": {"email": False}}
ON = {"channel_types": {"email": True}}
WF_OFF = {"workflows": {"invoice-updated": False}}
WF_ON = {"workflows": {"invoice-updated": True}}
CAT_OFF = {"categories": {"billing": False}}
CAT_ON = {"categories": {"billing": True}}
N: dict[str, Any] | None = None

MATRIX = [
    # no tenant: recipient default over environment default
    (N, N, N, N, False, True),
    (N, N, N, OFF, False, False),
    (ON, N, N, OFF, False, True),
    (OFF, N, N, ON, False, False),
    (WF_ON, N, N, WF_OFF, False, True),
    (N, N, N, WF_OFF, False, False),
    (CAT_ON, N, N, CAT_OFF, False, True),
    (N, N, N, CAT_OFF, False, False),
    (ON, N, OFF, N, False, True),  # tenant default ignored without a tenant
    (ON, OFF, N, N, False, True),  # per-tenant set ignored without a tenant
    # tenant run: per-tenant set over tenant default over environment default
    (N, N, OFF, N, True, False),
    (N, ON, OFF, N, True, True),
    (N, OFF, ON, N, True, False),
    (N, N, ON, OFF, True, True),
    (N, N, N, OFF, True, False),
    (ON, N, OFF, N, True, False),  # tenant default overrides the recipient's own default
    (OFF, N, ON, N, True, True),
    (OFF, N, N, N, True, False),  # nothing tenant-specific: fall back to recipient default
    (ON, N, N, OFF, True, True),
    (N, CAT_ON, CAT_OFF, N, True, True),
    (N, N, CAT_OFF, CAT_ON, True, False),
    (N, WF_ON, WF_OFF, OFF, True, False),  # workflow on, but env email off still applies
    (N, {**WF_ON, **ON}, WF_OFF, OFF, True, True),
    (OFF, ON, N, N, True, True),  # per-tenant set alone is enough to use the tenant hierarchy
]


@pytest.mark.parametrize(
    ("default", "per_tenant", "tenant_default", "environment", "with_tenant", "allowed"), MATRIX
)
def test_merge_hierarchy_matrix(
    default: dict[str, Any] | None,
    per_tenant: dict[str, Any] | None,
    tenant_default: dict[str, Any] | None,
    environment: dict[str, Any] | None,
    with_tenant: bool,
    allowed: bool,
) -> None:
    sets: dict[str, Any] = {}
    if default is not None:
        sets["default"] = default
    if per_tenant is not None:
        sets["acme"] = per_tenant
    merged = resolve_preferences(
        recipient_sets=sets,
        tenant_id="acme" if with_tenant else None,
        tenant_default=tenant_default,
        environment_default=environment,
    )
    assert decide(merged)[0] is allowed


@pytest.mark.parametrize("channel_type", ["email", "in_app_feed", "sms", "push", "chat", "http"])
@pytest.mark.parametrize(
    ("workflow_pref", "category_pref", "type_pref", "allowed"),
    [
        (None, None, None, True),
        (None, None, False, False),
        (False, None, True, False),
        (None, False, True, False),
        (True, True, True, True),
        (True, None, False, False),
        ({"channel_types": {"CT": False}}, None, True, False),
        (None, {"channel_types": {"CT": True}}, None, True),
        (None, {"channel_types": {"CT": True}}, False, False),
    ],
)
def test_channel_type_workflow_category_grid(
    channel_type: str, workflow_pref: Any, category_pref: Any, type_pref: Any, allowed: bool
) -> None:
    def fill(value: Any) -> Any:
        if isinstance(value, dict):
            return {"channel_types": {channel_type: value["channel_types"]["CT"]}}
        return value

    prefs: dict[str, Any] = {}
    if workflow_pref is not None:
        prefs["workflows"] = {"invoice-updated": fill(workflow_pref)}
    if category_pref is not None:
        prefs["categories"] = {"billing": fill(category_pref)}
    if type_pref is not None:
        prefs["channel_types"] = {channel_type: type_pref}
    assert decide(prefs, channel_type=channel_type, channel_id=None)[0] is allowed


def test_standard_merge_example() -> None:
    """overview.mdx: env opts into collaboration and out of sms; the recipient opts into sms."""
    environment = {"categories": {"collaboration": True}, "channel_types": {"sms": False}}
    recipient = {"channel_types": {"sms": True, "email": False}}
    merged = resolve_preferences(
        recipient_sets={"default": recipient},
        tenant_id=None,
        tenant_default=None,
        environment_default=environment,
    )
    assert merged == {
        "categories": {"collaboration": True},
        "channel_types": {"sms": True, "email": False},
    }


def test_replace_strategy_from_tenant_default() -> None:
    """overview.mdx FAQ: the tenant's replace node overrides the user's per-tenant node."""
    per_tenant = {
        "categories": {
            "collaboration": {"channel_types": {"email": True}},
            "project-updates": {"channel_types": {"email": True}},
        }
    }
    tenant_default = {
        "categories": {
            "collaboration": {"__strategy__": "replace", "channel_types": {"email": False}},
            "project-updates": {"channel_types": {"email": False}},
        }
    }
    merged = resolve_preferences(
        recipient_sets={"acme": per_tenant},
        tenant_id="acme",
        tenant_default=tenant_default,
        environment_default=None,
    )
    assert merged["categories"] == {
        "collaboration": {"__strategy__": "replace", "channel_types": {"email": False}},
        "project-updates": {"channel_types": {"email": True}},
    }
    assert decide(merged, categories=("collaboration",)) == (
        False,
        "categories.collaboration.channel_types.email = false",
    )
    assert decide(merged, categories=("project-updates",)) == (True, None)


def test_replace_strategy_on_top_level_channel_types() -> None:
    tenant_default = {"channel_types": {"__strategy__": "replace", "email": False, "sms": True}}
    merged = resolve_preferences(
        recipient_sets={"acme": {"channel_types": {"email": True, "push": False}}},
        tenant_id="acme",
        tenant_default=tenant_default,
        environment_default=None,
    )
    assert merged["channel_types"] == {"__strategy__": "replace", "email": False, "sms": True}
    assert decide(merged)[0] is False
    assert decide(merged, channel_type="push", channel_id=None)[0] is True


def test_replace_from_environment_reaches_through_every_level() -> None:
    environment = {
        "categories": {"billing": {"__strategy__": "replace", "channel_types": {"email": False}}}
    }
    merged = resolve_preferences(
        recipient_sets={"acme": {"categories": {"billing": True}}},
        tenant_id="acme",
        tenant_default={"categories": {"billing": {"channel_types": {"email": True}}}},
        environment_default=environment,
    )
    assert decide(merged)[0] is False


def test_merge_strategy_marker_behaves_like_default() -> None:
    tenant_default = {
        "categories": {"billing": {"__strategy__": "merge", "channel_types": {"email": False}}}
    }
    merged = resolve_preferences(
        recipient_sets={"acme": {"categories": {"billing": {"channel_types": {"email": True}}}}},
        tenant_id="acme",
        tenant_default=tenant_default,
        environment_default=None,
    )
    assert decide(merged)[0] is True


def test_commercial_subscribed_comes_from_recipient_default_even_for_tenants() -> None:
    merged = resolve_preferences(
        recipient_sets={"default": {"commercial_subscribed": False}, "acme": {}},
        tenant_id="acme",
        tenant_default={"commercial_subscribed": True},
        environment_default={"commercial_subscribed": True},
    )
    assert merged["commercial_subscribed"] is False


def test_tenant_environment_default_layer() -> None:
    merged = resolve_preferences(
        recipient_sets={},
        tenant_id="acme",
        tenant_default={"channel_types": {"sms": False}},
        environment_default={"channel_types": {"email": True, "push": False}},
        tenant_environment_default={"channel_types": {"email": False}},
    )
    assert merged["channel_types"] == {"sms": False, "email": False, "push": False}


def test_resolve_does_not_mutate_inputs() -> None:
    recipient = {"categories": {"billing": {"channel_types": {"email": True}}}}
    environment = {"categories": {"billing": {"channel_types": {"sms": False}}}}
    merged = resolve_preferences(
        recipient_sets={"default": recipient},
        tenant_id=None,
        tenant_default=None,
        environment_default=environment,
    )
    merged["categories"]["billing"]["channel_types"]["email"] = False
    assert recipient == {"categories": {"billing": {"channel_types": {"email": True}}}}
    assert environment == {"categories": {"billing": {"channel_types": {"sms": False}}}}


# -- write semantics ------------------------------------------------------------------------------
EXISTING = {
    "categories": {"collaboration": {"channel_types": {"email": True, "in_app_feed": True}}}
}
UPDATE = {"categories": {"collaboration": {"channel_types": {"email": False}}}}


@pytest.mark.parametrize(
    ("existing", "update", "strategy", "expected"),
    [
        (
            EXISTING,
            UPDATE,
            "merge",
            {
                "categories": {
                    "collaboration": {"channel_types": {"email": False, "in_app_feed": True}}
                }
            },
        ),
        (EXISTING, UPDATE, "replace", UPDATE),
        (
            EXISTING,
            {**UPDATE, "__persistence_strategy__": "merge"},
            "replace",
            {
                "categories": {
                    "collaboration": {"channel_types": {"email": False, "in_app_feed": True}}
                }
            },
        ),
        (EXISTING, {**UPDATE, "__persistence_strategy__": "replace"}, "merge", UPDATE),
        (None, UPDATE, "merge", UPDATE),
        (
            {"workflows": {"a": False}},
            {"workflows": {"a": {"conditions": PRO}}},
            "merge",
            {"workflows": {"a": {"conditions": PRO}}},
        ),
        (
            {"workflows": {"a": {"conditions": PRO}}},
            {"workflows": {"a": {"conditions": []}}},
            "merge",
            {"workflows": {"a": {"conditions": []}}},
        ),
    ],
)
def test_merge_preference_set(
    existing: dict[str, Any] | None, update: dict[str, Any], strategy: Any, expected: dict[str, Any]
) -> None:
    assert merge_preference_set(existing, update, strategy=strategy) == expected


def test_merge_preference_set_copies() -> None:
    update = {"channel_types": {"email": False}}
    stored = merge_preference_set(None, update, strategy="merge")
    stored["channel_types"]["email"] = True
    assert update == {"channel_types": {"email": False}}


# -- validation -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("raw", "path", "message"),
    [
        (
            {"channel_types": {"email": "no"}},
            "channel_types.email",
            "must be true, false or an object",
        ),
        ({"channel_types": []}, "channel_types", "`channel_types` must be an object"),
        (
            {"workflows": {"a": {"channel_type": {}}}},
            "workflows.a.channel_type",
            "unknown key `channel_type`",
        ),
        (
            {"channel_types": {"email": {"channel_types": {}}}},
            "channel_types.email.channel_types",
            "unknown key",
        ),
        (
            {
                "workflows": {
                    "a": {"conditions": [{"variable": "data.x", "operator": "eq", "argument": "1"}]}
                }
            },
            "workflows.a.conditions[0].operator",
            'unknown operator "eq"',
        ),
        (
            {"workflows": {"a": {"conditions": {"all": []}}}},
            "workflows.a.conditions",
            "must be a list",
        ),
        (
            {
                "channel_types": {
                    "email": {
                        "conditions": [{"any": [{"variable": "data.x", "operator": "exists"}]}]
                    }
                }
            },
            "channel_types.email.conditions[0]",
            "flat list",
        ),
        (
            {
                "workflows": {
                    "a": {
                        "conditions": [{"variable": "refs.s.delivery_status", "operator": "exists"}]
                    }
                }
            },
            "workflows.a.conditions[0].variable",
            "not available in preferences",
        ),
        (
            {"categories": {"a": {"__strategy__": "overwrite"}}},
            "categories.a.__strategy__",
            'must be "replace"',
        ),
        ({"commercial_subscribed": "yes"}, "commercial_subscribed", "must be true, false"),
    ],
)
def test_validation_errors(raw: Any, path: str, message: str) -> None:
    with pytest.raises(DefinitionError) as caught:
        validate_preference_set(raw, "users/u1/preferences/default")
    problem = caught.value.problems[0]
    assert problem.file == "users/u1/preferences/default"
    assert problem.path == path
    assert message in problem.message
    assert problem.fix


@pytest.mark.parametrize(
    "raw",
    [
        {},
        OFF,
        {"workflows": {"a": {"conditions": PRO, "channel_types": {"email": {"conditions": DINO}}}}},
        {"categories": {"c": {"__strategy__": "replace", "channels": {EMAIL_ID: False}}}},
        {"channel_types": {"__strategy__": "replace", "email": False}},
        {"id": "default", "commercial_subscribed": {"conditions": PRO}},
    ],
)
def test_validation_accepts_documented_shapes(raw: dict[str, Any]) -> None:
    validate_preference_set(raw)
