"""Hypothesis: every channel template of the bundled fixtures renders on arbitrary JSON data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emulator import load_definitions
from emulator.definitions._model import ChannelStep
from emulator.templates import TemplateRenderer, build_context

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**12), 10**12)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=10,
)
data_objects = st.dictionaries(
    st.sampled_from(["invoice_id", "status", "amount", "message", "due_at"]) | st.text(max_size=6),
    json_values,
    max_size=6,
)
LOADED = {folder: load_definitions(FIXTURES / folder) for folder in ("workflows", "knock")}
RENDERERS = {
    folder: TemplateRenderer(layouts=defs.layouts, partials=defs.partials)
    for folder, defs in LOADED.items()
}
STEPS = [
    (folder, workflow.key, step)
    for folder, definitions in LOADED.items()
    for workflow in definitions.workflows.values()
    for step in workflow.iter_steps()
    if isinstance(step, ChannelStep)
]


@pytest.mark.parametrize(
    ("folder", "key", "step"), STEPS, ids=[f"{f}-{k}-{s.ref}" for f, k, s in STEPS]
)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=data_objects, activities=st.lists(data_objects, max_size=3))
def test_fixture_template_never_raises(
    folder: str,
    key: str,
    step: ChannelStep,
    data: dict[str, Any],
    activities: list[dict[str, Any]],
) -> None:
    definitions, renderer = LOADED[folder], RENDERERS[folder]
    context = build_context(
        data=data,
        recipient={"id": "u1", "name": "Ada", "email": "a@example.com"},
        actor={"id": "u2"},
        tenant=None,
        vars={"app_url": "https://app.example.com"},
        workflow=definitions.workflows[key],
        timestamp="2025-01-01T09:00:00Z",
        total_activities=len(activities) or 1,
        activities=[{**a, "data": a, "actor": {"id": "u2"}} for a in activities],
    )
    content = renderer.render_channel(
        step.channel_type,
        step.template,
        step.channel_overrides,
        context,
        workflow=key,
        step=step.ref,
    )
    assert content.fields
