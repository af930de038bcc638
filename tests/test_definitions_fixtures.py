"""The shipped fixtures load, in both formats, into equal models with the refs the engine uses."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from emulator.core._errors import DefinitionError
from emulator.definitions import load_definitions
from emulator.definitions._model import BatchStep, BranchStep, ChannelStep, DelayStep, Duration

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def test_yaml_fixtures_load() -> None:
    defs = load_definitions(FIXTURES / "workflows")
    assert sorted(defs.workflows) == ["invoice-created", "invoice-updated", "unseen-fallback"]
    assert sorted(defs.layouts) == ["default"]
    assert sorted(defs.partials) == ["invoice-summary"]


@pytest.mark.parametrize(
    ("key", "refs"),
    [
        ("invoice-created", ["email_1", "in_app_feed_1"]),
        (
            "invoice-updated",
            [
                "branch_1",
                "branch_2",
                "email_payee_paid",
                "email_payee_updated",
                "batch_1",
                "in_app_feed_1",
                "email_1",
            ],
        ),
        ("unseen-fallback", ["in_app_feed_1", "delay_1", "email_1"]),
    ],
)
def test_fixture_refs(key: str, refs: list[str]) -> None:
    workflow = load_definitions(FIXTURES / "workflows").workflows[key]
    assert [s.ref for s in workflow.iter_steps()] == refs


def test_invoice_updated_shape() -> None:
    workflow = load_definitions(FIXTURES / "workflows").workflows["invoice-updated"]
    branch = workflow.steps[0]
    assert isinstance(branch, BranchStep)
    payee, user = branch.branches
    assert (payee.name, payee.terminates, payee.is_default) == ("Payee", True, False)
    assert (user.name, user.is_default) == ("User", True)
    batch = user.steps[0]
    assert isinstance(batch, BatchStep)
    assert batch.batch_window == Duration("minutes", 5)
    assert batch.batch_key == "data.invoice_id"
    assert workflow.categories == ("billing",)


def test_unseen_fallback_shape() -> None:
    workflow = load_definitions(FIXTURES / "workflows").workflows["unseen-fallback"]
    _, delay, email = workflow.steps
    assert isinstance(delay, DelayStep)
    assert delay.delay_for == Duration("minutes", 10)
    assert isinstance(email, ChannelStep)
    assert email.conditions is not None
    (leaf,) = email.conditions.items
    assert getattr(leaf, "variable", None) == "refs.in_app_feed_1.engagement_status"


@pytest.mark.parametrize("key", ["invoice-created", "invoice-updated", "unseen-fallback"])
def test_both_formats_give_equal_workflows(key: str) -> None:
    yaml_defs = load_definitions(FIXTURES / "workflows")
    knock_defs = load_definitions(FIXTURES / "knock")
    assert yaml_defs.workflows[key] == knock_defs.workflows[key]


def test_both_formats_give_equal_layouts_and_partials() -> None:
    yaml_defs = load_definitions(FIXTURES / "workflows")
    knock_defs = load_definitions(FIXTURES / "knock")
    assert yaml_defs.layouts == knock_defs.layouts
    assert yaml_defs.partials == knock_defs.partials
    assert "{{ content }}" in knock_defs.layouts["default"].html_layout
    assert "<style>" in knock_defs.layouts["default"].html_layout


def test_knock_visual_blocks_are_inlined_two_levels_deep() -> None:
    workflow = load_definitions(FIXTURES / "knock").workflows["invoice-updated"]
    email = workflow.find_step("email_1")
    assert isinstance(email, ChannelStep)
    blocks = email.template["visual_blocks"]
    assert [b["type"] for b in blocks] == ["markdown", "html"]
    assert "pluralize" in blocks[0]["content"]
    assert "{% for activity in activities %}" in blocks[1]["content"]
    assert not any(key.endswith("@") for block in blocks for key in block)


def test_loading_both_formats_at_once_reports_each_duplicate_key(tmp_path: Path) -> None:
    shutil.copytree(FIXTURES / "workflows", tmp_path / "workflows")
    shutil.copytree(FIXTURES / "knock", tmp_path / "knock")
    with pytest.raises(DefinitionError) as info:
        load_definitions(tmp_path)
    messages = [p.message for p in info.value.problems]
    assert len(messages) == 5  # 3 workflows, 1 layout, 1 partial
    assert all("is defined twice" in m for m in messages)
    assert any("knock/workflows/invoice-created/workflow.json" in m for m in messages)
    assert any("workflows/invoice-created.yaml" in m for m in messages)
