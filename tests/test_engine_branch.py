"""Branch steps and step conditions, including the invoice-updated fixture's paths."""

from __future__ import annotations

from pathlib import Path

import pytest
from wfbuild import cond, email, in_app, make_emulator, workflow

from emulator import Emulator

FIXTURES = Path(__file__).parent.parent / "fixtures" / "workflows"


def branching(terminates: bool = False) -> Emulator:
    branch = {
        "ref": "branch_1",
        "type": "branch",
        "branches": [
            {
                "name": "Pro",
                "conditions": cond("recipient.plan", "equal_to", "pro"),
                "steps": [in_app("pro_1", "pro")],
                "terminates": terminates,
            },
            {
                "name": "Big",
                "conditions": cond("data.amount", "greater_than", "100"),
                "steps": [in_app("big_1", "big")],
            },
            {"name": "Default", "steps": []},
        ],
    }
    return make_emulator(workflow("flow", branch, in_app("after_1", "after")))


@pytest.mark.parametrize(
    ("plan", "amount", "branch", "path"),
    [
        ("pro", 500, "Pro", ["branch_1", "pro_1", "after_1"]),  # first match wins
        ("free", 500, "Big", ["branch_1", "big_1", "after_1"]),
        ("free", 5, "Default", ["branch_1", "after_1"]),
        (None, "150", "Big", ["branch_1", "big_1", "after_1"]),  # numeric string coerces
    ],
)
def test_first_matching_branch_runs_then_the_parent_continues(
    plan: str | None, amount: object, branch: str, path: list[str]
) -> None:
    emu = branching()
    if plan:
        emu.identify("u1", plan=plan)
    run = emu.trigger("flow", ["u1"], data={"amount": amount}).runs[0]
    assert run.step("branch_1").branch == branch
    assert run.path == path


def test_terminating_branch_ends_the_run() -> None:
    emu = branching(terminates=True)
    emu.identify("u1", plan="pro")
    run = emu.trigger("flow", ["u1"]).runs[0]
    assert run.path == ["branch_1", "pro_1"]
    assert run.status == "terminated"
    assert run.ended_because == "branch 'Pro' terminates the run"


def test_false_step_condition_skips_the_step_and_says_why() -> None:
    emu = make_emulator(
        workflow("wflow", in_app(conditions=cond("data.show", "equal_to", "true")), email())
    )
    emu.identify("u1", email="u1@example.com", name="U")
    run = emu.trigger("wflow", ["u1"], data={"show": False}).runs[0]
    record = run.step("in_app_feed_1")
    assert record.outcome == "skipped"
    assert record.skipped_because == (
        'conditions are false: data.show (= false) equal_to true (from "true") -> false'
    )
    assert run.path == ["email_1"]


def test_workflow_conditions_false_terminate_before_any_step() -> None:
    emu = make_emulator(workflow("wflow", in_app(), conditions=cond("data.go", "exists")))
    run = emu.trigger("wflow", ["u1"]).runs[0]
    assert run.status == "terminated"
    assert run.steps == []
    assert "workflow conditions are false" in (run.ended_because or "")


@pytest.fixture(scope="module")
def definitions_dir() -> Path:
    return FIXTURES


@pytest.mark.parametrize(
    ("recipient", "status", "path", "subjects"),
    [
        (
            "payee_1",
            "paid",
            ["branch_1", "branch_2", "email_payee_paid"],
            ["Invoice inv_1 was paid"],
        ),
        (
            "payee_1",
            "open",
            ["branch_1", "branch_2", "email_payee_updated"],
            ["Invoice inv_1 updated"],
        ),
        (
            "u1",
            "open",
            ["branch_1", "batch_1", "in_app_feed_1", "email_1"],
            ["1 updates to invoice inv_1"],
        ),
    ],
)
def test_invoice_updated_fixture_paths(
    definitions_dir: Path, recipient: str, status: str, path: list[str], subjects: list[str]
) -> None:
    emu = Emulator.from_directory(definitions_dir)
    emu.identify(recipient, name="R", email=f"{recipient}@example.com")
    run = emu.trigger(
        "invoice-updated",
        [recipient],
        actor={"id": "u9", "name": "Nine"},
        data={"invoice_id": "inv_1", "status": status, "amount": 10},
    ).runs[0]
    emu.run_until_idle()
    assert run.path == path
    assert [e.subject for e in emu.outbox.all()] == subjects
