"""Scenario files: the shipped examples pass, malformed files fail with file:line, runs report."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from emulator.scenarios import ScenarioError, load_scenario, run_scenario

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "fixtures" / "scenarios").glob("*.scenario.yaml"))
HEAD = """name: sample
workflows: {workflows}
vars: {{app_url: "https://app.example.com"}}
users:
  - {{id: u1, name: Ada, email: ada@example.com}}
  - {{id: a1, name: Bo}}
"""


def write(tmp_path: Path, body: str, head: bool = True) -> Path:
    path = tmp_path / "sample.scenario.yaml"
    text = HEAD.format(workflows=ROOT / "fixtures" / "workflows") if head else ""
    path.write_text(text + body, encoding="utf-8")
    return path


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_shipped_examples_pass(path: Path) -> None:
    result = run_scenario(load_scenario(path))
    assert result.passed, result.report()
    assert result.emulator is not None
    assert any("trigger" in line for line in result.timeline)


def test_examples_cover_the_invoice_and_fallback_workflows() -> None:
    keys = {
        a.args["trigger"] for p in EXAMPLES for a in load_scenario(p).actions if a.kind == "trigger"
    }
    assert keys == {"invoice-created", "invoice-updated", "unseen-fallback"}


MALFORMED = [
    pytest.param("steps: [\n", False, ":2: invalid YAML", id="yaml-syntax"),
    pytest.param("- a\n- b\n", False, ":1: a scenario file must be a mapping", id="not-mapping"),
    pytest.param("name: x\n", False, ":1: steps: missing or empty", id="no-steps"),
    pytest.param(
        "colour: red\nsteps: [{advance: 1m}]\n", False, ":1: colour: unknown key", id="key"
    ),
    pytest.param(
        "steps:\n  - advance: 5 parsecs\n", True, ":8: steps[0].advance: '5 parsecs'", id="dur"
    ),
    pytest.param(
        "steps:\n  - advance: 1m\n  - trigger: invoice-updated\n",
        True,
        ":9: steps[1].trigger: needs `recipients:`",
        id="no-recipients",
    ),
    pytest.param(
        "steps:\n  - advance: 1m\n    trigger: x\n",
        True,
        ":8: steps[0]: a step needs exactly one",
        id="two-actions",
    ),
    pytest.param(
        "steps:\n  - wait: 1m\n", True, ":8: steps[0]: a step needs exactly one", id="kind"
    ),
    pytest.param(
        "steps:\n  - trigger: w\n    recipients: [u1]\n    colour: red\n",
        True,
        ":10: steps[0].colour: unknown option for trigger (fix: trigger accepts actor",
        id="option",
    ),
    pytest.param(
        "steps:\n  - expect:\n      path: [a]\n      colur: x\n",
        True,
        ":10: steps[0].expect.colur: unknown expectation",
        id="expectation",
    ),
    pytest.param(
        "steps:\n  - advance_to: 2025-01-01T10:00\n", True, "has no time zone", id="naive"
    ),
    pytest.param(
        "steps:\n  - mark_seen: {user: u1}\n", True, ":8: steps[0].mark_seen: needs", id="seen"
    ),
    pytest.param(
        "start: soon\nsteps: [{advance: 1m}]\n", False, ":1: start: 'soon' is not", id="start"
    ),
    pytest.param(
        "strict: maybe\nsteps: [{advance: 1m}]\n", False, ":1: strict: must be", id="strict"
    ),
    pytest.param(
        "users: [{name: x}]\nsteps: [{advance: 1m}]\n", False, ":1: users[0]: needs", id="user"
    ),
]


@pytest.mark.parametrize(("body", "head", "expected"), MALFORMED)
def test_malformed_files_name_file_and_line(
    tmp_path: Path, body: str, head: bool, expected: str
) -> None:
    path = write(tmp_path, body, head)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    text = str(caught.value)
    assert str(path) in text
    assert expected in text, text
    assert all(p.fix for p in caught.value.problems)


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    path = write(tmp_path, "steps:\n  - advance: x\n  - cancel: w\n  - run_until_idle: 3\n")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert [p.line for p in caught.value.problems] == [8, 9, 10]


def test_failed_expectations_report_line_and_keep_going(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """steps:
  - trigger: invoice-updated
    recipients: [u1]
    actor: a1
    data: {invoice_id: inv_1, status: open}
  - advance: 5m
  - expect:
      path: [branch_1, email_1]
      batch: {total_activities: 3}
      emails: [{to: ada@example.com, subject: nope}]
  - expect:
      no_message: {channel_type: in_app_feed}
""",
    )
    result = run_scenario(load_scenario(path))
    assert not result.passed
    report = result.report()
    assert f"{path}:14: expect path: path ['branch_1', 'batch_1', 'in_app_feed_1'" in report
    assert f"{path}:15: expect batch: batch total_activities is 1, expected 3" in report
    assert f"{path}:16: expect emails: 0 email(s) match" in report
    assert "subject '1 updates to invoice inv_1' != 'nope'" in report
    assert f"{path}:18: expect no_message: unexpected message in_app_feed to 'u1'" in report
    assert "advance 5m (1 timer(s) fired)" in report
    assert len(result.failures) == 4


def test_an_action_that_raises_stops_with_its_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """steps:
  - trigger: invoice-created
    recipients: [u1]
    data: {invoice_id: inv_1}
  - advance: 1m
""",
    )
    result = run_scenario(load_scenario(path))
    assert len(result.failures) == 1
    failure = result.failures[0]
    assert failure.startswith(f"{path}:8: step 1 (trigger invoice-created) raised TemplateError")
    assert "undefined variable 'data.amount'" in failure
    assert not any("advance" in line for line in result.timeline)


def test_engagement_targets_the_in_app_message_of_a_step(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """steps:
  - mark_seen: {user: u1, step: in_app_feed_1}
""",
    )
    result = run_scenario(load_scenario(path))
    assert "no in-app message of step 'in_app_feed_1' for 'u1' to mark seen" in result.failures[0]


def test_run_selection_errors_explain_how_to_pick(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """steps:
  - identify: {id: u2, name: Cy, email: cy@example.com}
  - trigger: unseen-fallback
    as: both
    recipients: [u1, u2]
    data: {message: hi, message_id: m}
  - expect: {run: both, status: waiting}
  - expect: {run: other, status: waiting}
  - expect: {run: {trigger: both, recipient: u2}, status: waiting}
""",
    )
    result = run_scenario(load_scenario(path))
    assert len(result.failures) == 2, result.report()
    assert "trigger 'both' started 2 runs (['u1', 'u2']); pick one with" in result.failures[0]
    assert "no trigger named 'other'; name one with `as: other`" in result.failures[1]


def test_missing_workflows_is_a_failure_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "x.scenario.yaml"
    path.write_text("steps: [{advance: 1m}]\n")
    result = run_scenario(load_scenario(path))
    assert "the scenario names no workflows; add `workflows: <dir>`" in result.failures[0]


def test_collected_by_pytest_with_readable_failures(pytester: pytest.Pytester) -> None:
    shutil.copytree(ROOT / "fixtures" / "workflows", pytester.path / "fixtures" / "workflows")
    for example in EXAMPLES:
        text = example.read_text().replace("workflows: ../workflows\n", "")
        (pytester.path / example.name).write_text(text)
    pytester.makeini(
        "[pytest]\nasyncio_default_fixture_loop_scope = function\naddopts = -p no:benchmark\n"
        'doorstep_vars = {app_url: "https://app.example.com"}\n'
    )
    (pytester.path / "broken.scenario.yaml").write_text("name: b\nsteps:\n  - advance: soon\n")
    (pytester.path / "wrong.scenario.yml").write_text(
        "steps:\n  - trigger: invoice-updated\n    recipients: [payee_9]\n"
        "    data: {invoice_id: i, status: paid}\n  - expect: {path: [branch_1]}\n"
    )
    result = pytester.runpytest("-v")
    result.assert_outcomes(passed=len(EXAMPLES), failed=2)
    result.stdout.fnmatch_lines(
        [
            "*invoice-created.scenario.yaml::invoice-created PASSED*",
            "*broken.scenario.yaml:3: steps[[]0[]].advance: 'soon' is not a duration*",
            "*wrong.scenario.yml:5: expect path: path [[]'branch_1', 'branch_2'[]] != expected*",
            "*email_payee_paid (channel) skipped because the recipient has no email*",
            "*timeline:*",
            "*trigger invoice-updated for [[]'payee_9'[]]*",
        ]
    )


def test_schedules_audiences_and_events_in_scenarios(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """start: 2025-01-06T08:00:00Z
steps:
  - schedule: invoice-created
    recipients: [u1]
    repeats: [{frequency: weekly, days: weekdays, hours: 9}]
    data: {invoice_id: inv_7, amount: "$7"}
  - advance: 7d
  - expect:
      messages:
        - {channel_type: in_app_feed, recipient: u1, count: 5}
  - add_to_audience: vip
    users: [u1, a1]
  - remove_from_audience: vip
    users: [a1, nobody]
  - send_event: shipped
    recipient: u1
    data: {order: 1}
""",
    )
    result = run_scenario(load_scenario(path))
    assert result.passed, result.report()
    text = "\n".join(result.timeline)
    assert "schedule invoice-created for ['u1'], first at 2025-01-06T09:00:00+00:00" in text
    assert "add to audience vip: ['u1', 'a1'] entered" in text
    assert "remove from audience vip: ['a1'] left" in text
    assert "event shipped for u1" in text
    assert result.emulator is not None
    assert sorted(m.user_id for m in result.emulator.audience_members("vip")) == ["u1"]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("steps:\n  - schedule: w\n    recipients: [u1]\n", ":8: steps[0].schedule: needs `rep"),
        ("steps:\n  - schedule: w\n    repeats: []\n", ":8: steps[0].schedule: needs `recip"),
        (
            "steps:\n  - schedule: w\n    recipients: [u1]\n    scheduled_at: soon\n",
            ":10: steps[0].schedule.scheduled_at: 'soon' is not an ISO 8601 time",
        ),
        ("steps:\n  - add_to_audience: vip\n", ":8: steps[0].add_to_audience: needs `users:`"),
        (
            "steps:\n  - remove_from_audience: {a: b}\n    users: [u1]\n",
            ":8: steps[0].remove_from_audience: must be an audience key",
        ),
        ("steps:\n  - send_event: shipped\n", ":8: steps[0].send_event: needs `recipient:`"),
        (
            "steps:\n  - send_event: x\n    recipient: u1\n    color: red\n",
            ":10: steps[0].color: unknown option for send_event",
        ),
    ],
)
def test_malformed_new_actions_name_the_line(tmp_path: Path, body: str, expected: str) -> None:
    with pytest.raises(ScenarioError) as caught:
        load_scenario(write(tmp_path, body))
    assert expected in str(caught.value)
