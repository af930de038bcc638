"""Assertion helpers, run through pytester: each failure message shows what did happen."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

# Imported up front: pytester's in-process runs drop modules first imported inside them, and
# libyaml's C parser cannot be imported twice (nodes of the old yaml would not match).
import emulator.scenarios  # noqa: F401

pytest_plugins = ["pytester"]

WORKFLOWS = Path(__file__).resolve().parent.parent / "fixtures" / "workflows"
CONFTEST = """
import pytest

@pytest.fixture
def emu(emulator):
    emulator.identify("u1", name="Ada", email="ada@example.com")
    emulator.identify("u2", name="Cy", email="cy@example.com")
    emulator.identify("a1", name="Bo")
    emulator.identify("a2", name="Di")
    emulator.identify("payee_1", name="Pat", email="pat@example.com")
    return emulator

def update(emu, who="u1", actor="a1", status="open", invoice="inv_1"):
    data = {"invoice_id": invoice, "status": status}
    return emu.trigger("invoice-updated", [who], actor=actor, data=data).runs[0]
"""
INI = """[pytest]
asyncio_default_fixture_loop_scope = function
addopts = -p no:benchmark
doorstep_vars = {app_url: "https://app.example.com"}
"""
HEADER = "from conftest import update\nfrom pytest_plugin import *\n\n"


def project(pytester: pytest.Pytester) -> None:
    shutil.copytree(WORKFLOWS, pytester.path / "fixtures" / "workflows")
    pytester.makeini(INI)
    pytester.makeconftest(CONFTEST)


FAILURES = [
    pytest.param(
        """
def test_it(emu):
    run = update(emu)
    emu.clock.advance(minutes=5)
    assert_path(run, ["branch_1", "batch_1", "email_1"])
""",
        [
            "E       AssertionError: unexpected path; what the run did:",
            "E         run * of 'invoice-updated' for 'u1': completed",
            "E           branch_1 (branch) executed → branch 'User' (not taken: Payee: "
            'recipient.id (= "u1") contains "payee" -> false)',
            "E           batch_1 (batch) executed [[]batch key='inv_1' activities=1[]]",
            "E           in_app_feed_1 (channel) executed",
            "E       assert [[]'branch_1', *] == [[]'branch_1', *]",
            "E         At index 2 diff: 'in_app_feed_1' != 'email_1'",
        ],
        id="assert_path",
    ),
    pytest.param(
        """
def test_it(emu):
    run = update(emu, who="payee_1")
    assert_path(run, ["branch_1", "branch_2:executed", "email_payee_paid"])
""",
        [
            "E           branch_2 (branch) executed → branch 'Default' (not taken: Paid: "
            'data.status (= "open") equal_to "paid" -> false)',
            "E         At index 2 diff: 'email_payee_updated' != 'email_payee_paid'",
        ],
        id="assert_path_trace",
    ),
    pytest.param(
        """
def test_it(emu):
    run = update(emu, who="payee_1", status="paid")
    assert_branch(run, "branch_2", "Default")
""",
        [
            "E       AssertionError: branch step 'branch_2' took 'Paid', not 'Default'; *",
            "E           branch_2 (branch) executed → branch 'Paid'",
            "E       assert 'Paid' == 'Default'",
        ],
        id="assert_branch",
    ),
    pytest.param(
        """
def test_it(emu):
    run = update(emu)
    assert_branch(run, "branch_2", "Paid")
""",
        [
            "E       AssertionError: the run never reached step 'branch_2'; what it did:",
            "E         batch_1 (batch) waiting",
        ],
        id="assert_branch_not_reached",
    ),
    pytest.param(
        """
def test_it(emu):
    emu.set_preferences("u1", {"channel_types": {"email": False}})
    run = update(emu)
    emu.clock.advance(minutes=5)
    assert_skipped(run, "email_1", because="condition")
""",
        [
            "E       AssertionError: step 'email_1' was skipped for another reason; *",
            "E           email_1 (channel) skipped because *preference*",
            "E       assert 'condition' in *",
        ],
        id="assert_skipped_reason",
    ),
    pytest.param(
        """
def test_it(emu):
    run = update(emu)
    emu.clock.advance(minutes=5)
    assert_skipped(run, "in_app_feed_1")
""",
        ["E       AssertionError: step 'in_app_feed_1' was executed, not skipped; *"],
        id="assert_skipped",
    ),
    pytest.param(
        """
def test_it(emu):
    first = update(emu)
    emu.clock.advance(minutes=2)
    second = update(emu, actor="a2", status="paid")
    emu.clock.advance(minutes=3)
    assert_batch(first, total_activities=3, actors=["a1", "a2"], merged_runs=[second, first],
                 activity_data=[{"invoice_id": "inv_1", "status": "open"},
                                {"invoice_id": "inv_1", "status": "paid"}])
""",
        [
            "E       AssertionError: the batch differs; what it holds:",
            "E           key='inv_1' total_activities=2 total_actors=2",
            "E           actors=[[]'a1', 'a2'[]]",
            "E           activity 2: {'invoice_id': 'inv_1', 'status': 'paid'}",
            "E         Differing items:",
            "E         {'total_activities': 2} != {'total_activities': 3}",
        ],
        id="assert_batch",
    ),
    pytest.param(
        """
def test_it(emu):
    run = update(emu)
    assert_batch(run, total_activities=1)
""",
        ["E       AssertionError: the run has no closed batch (advance the clock past *"],
        id="assert_batch_open",
    ),
    pytest.param(
        """
def test_it(emu):
    update(emu)
    update(emu, who="u2", invoice="inv_2")
    emu.run_until_idle()
    assert_one_email(emu, to="ada@example.com", subject_contains="inv_2")
""",
        [
            "E       AssertionError: expected exactly one email matching to='ada@example.com', "
            "subject_contains='inv_2'; 0 matched out of 2 captured:",
            "E           - to ada@example.com subject '1 updates to invoice inv_1' (engine)",
            "E               subject '1 updates to invoice inv_1' lacks 'inv_2'",
            "E           - to cy@example.com subject '1 updates to invoice inv_2' (engine)",
            "E               to [[]'cy@example.com'[]] not 'ada@example.com'",
            "E       assert 0 == 1",
        ],
        id="assert_one_email_none",
    ),
    pytest.param(
        """
def test_it(emu, outbox):
    update(emu)
    update(emu, invoice="inv_2")
    emu.run_until_idle()
    assert_one_email(outbox, to="ada@example.com", html_contains="by Bo")
""",
        ["E       AssertionError: expected exactly one email matching *; 2 matched out of 2 *"],
        id="assert_one_email_two",
    ),
    pytest.param(
        """
def test_it(emu):
    update(emu)
    emu.run_until_idle()
    assert_one_email(emu, text_contains="nothing like this")
""",
        ["E               text lacks 'nothing like this'"],
        id="assert_one_email_text",
    ),
    pytest.param(
        """
def test_it(emu):
    update(emu)
    emu.run_until_idle()
    assert_no_message(emu, channel_type="email", recipient="u1")
""",
        [
            "E       AssertionError: expected no message matching channel_type='email', "
            "recipient='u1'; found 1:",
            "E           - email to 'u1' from invoice-updated/email_1 [[]delivered[]] "
            "'1 updates to invoice inv_1'",
            "E             run * of 'invoice-updated' for 'u1': completed",
            "E       assert 1 == 0",
        ],
        id="assert_no_message",
    ),
    pytest.param(
        """
def test_it(emu):
    update(emu)
    update(emu, invoice="inv_2")
    emu.run_until_idle()
    assert_feed(emu, "u1", ["inv_2", "inv_9"])
""",
        [
            "E       AssertionError: feed of 'u1' differs; newest first it holds:",
            "E           1. '1 update to invoice inv_2' [[]delivered; engagement none[]] *",
            "E           2. '1 update to invoice inv_1' *",
            "E         At index 1 diff: '1 update to invoice inv_1' != 'inv_9'",
        ],
        id="assert_feed",
    ),
]


@pytest.mark.parametrize(("body", "lines"), FAILURES)
def test_failure_messages(pytester: pytest.Pytester, body: str, lines: list[str]) -> None:
    project(pytester)
    pytester.makepyfile(HEADER + body)
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(lines)


def test_helpers_pass_and_return_values(pytester: pytest.Pytester) -> None:
    project(pytester)
    pytester.makepyfile(
        HEADER
        + """
def test_it(emu):
    first = update(emu)
    emu.clock.advance(minutes=2)
    second = update(emu, actor="a2", status="paid")
    payee = update(emu, who="payee_1", status="paid")
    emu.clock.advance(minutes=3)
    assert_path(first, ["branch_1", "batch_1", "in_app_feed_1", "email_1"])
    assert_path(second, ["branch_1", "batch_1:merged"])
    assert_branch(first, "branch_1", "User")
    assert_branch(payee, "branch_2", "Paid")
    batch = assert_batch(first, ref="batch_1", total_activities=2, key="inv_1",
                         actors=["a1", "a2"], total_actors=2, merged_runs=[first, second])
    assert assert_batch(second, merged_runs=2) == batch
    email = assert_one_email(emu, to="ada@example.com", subject="2 updates to invoice inv_1",
                             html_contains="paid by Di", text_contains="paid by Di")
    assert email.workflow_key == "invoice-updated"
    assert_one_email(emu.outbox, to="pat@example.com", workflow="invoice-updated")
    assert_no_message(emu, channel_type="in_app_feed", recipient="payee_1")
    assert_feed(emu, "u1", ["2 updates to invoice inv_1"])
"""
    )
    pytester.runpytest().assert_outcomes(passed=1)


def test_assertion_module_is_rewritten(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
import sys

def test_it():
    import pytest_plugin.assertions as mod
    assert type(mod.__loader__).__name__ == "AssertionRewritingHook"
"""
    )
    pytester.runpytest_subprocess().assert_outcomes(passed=1)
