"""`--doorstep-cov` with pytester: a sample suite that misses one branch and one condition outcome
reports exactly those, fails fail-under=100, and gives the same numbers under `-n 2`."""

from __future__ import annotations

import json
from typing import Any

import pytest

# Imported up front: pytester's in-process runs drop modules first imported inside them, and
# libyaml's C parser cannot be imported twice (nodes of the old yaml would not match).
import emulator.coverage
import emulator.scenarios

pytest_plugins = ["pytester"]

SEP = " \N{SINGLE RIGHT-POINTING ANGLE QUOTATION MARK} "
WORKFLOW = """\
name: Order shipped
steps:
  - ref: branch_1
    type: branch
    branches:
      - name: Express
        conditions:
          all: [{variable: data.speed, operator: equal_to, argument: express}]
        steps: []
      - name: Freight
        conditions:
          all: [{variable: data.speed, operator: equal_to, argument: freight}]
        steps: []
      - name: Default
        steps: []
  - ref: email_1
    type: channel
    channel_type: email
    conditions:
      all: [{variable: data.notify, operator: equal_to, argument: "yes"}]
    template:
      subject: Your order shipped
      html_body: <p>On its way.</p>
"""
# Four sources of emulators, each one run: the fixture, a hand-built emulator, knock_api over
# HTTP and a scenario file. Nothing takes the Freight branch or finds notify false.
SUITE = """
import httpx
from emulator import Emulator

def test_fixture(emulator):
    emulator.identify("u1", email="ada@example.com")
    emulator.trigger("order-shipped", ["u1"], data={"speed": "express", "notify": "yes"})

def test_hand_built():
    emu = Emulator.from_directory("workflows")
    emu.identify("u2")  # no email: the channel step is skipped
    emu.trigger("order-shipped", ["u2"], data={"speed": "standard", "notify": "yes"})

def test_knock_api(knock_api):
    knock_api.emulator.identify("u3", email="cy@example.com")
    answer = httpx.post(
        f"{knock_api.base_url}/v1/workflows/order-shipped/trigger",
        headers={"Authorization": f"Bearer {knock_api.api_key}"},
        json={"recipients": ["u3"], "data": {"speed": "express", "notify": "yes"}},
    )
    assert answer.status_code == 200
"""
SCENARIO = """\
name: Standard shipping
workflows: workflows
users:
  - {id: u4, email: di@example.com}
steps:
  - trigger: order-shipped
    recipients: [u4]
    data: {speed: standard, notify: "yes"}
"""
RUN = ("-p", "no:randomly", "-p", "no:benchmark", "-p", "no:cacheprovider")


@pytest.fixture
def suite(pytester: pytest.Pytester) -> pytest.Pytester:
    (pytester.path / "workflows").mkdir()
    (pytester.path / "workflows" / "order-shipped.yaml").write_text(WORKFLOW)
    (pytester.path / "standard.scenario.yaml").write_text(SCENARIO)
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(test_sample=SUITE)
    return pytester


def report(pytester: pytest.Pytester, name: str = "cov.json") -> dict[str, Any]:
    data: dict[str, Any] = json.loads((pytester.path / name).read_text())
    return data


@pytest.mark.parametrize("workers", [(), ("-n", "2")])
def test_missed_branch_and_condition_outcome_fail_100(
    suite: pytest.Pytester, workers: tuple[str, ...]
) -> None:
    result = suite.runpytest(
        *RUN,
        *workers,
        "--doorstep-cov",
        "--doorstep-cov-report=term-missing",
        "--doorstep-cov-report=json:cov.json",
        "--doorstep-cov-fail-under=100",
    )
    result.assert_outcomes(passed=4)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.re_match_lines(
        [
            r"order-shipped\s+workflows/order-shipped.yaml\s+2\s+0\s+7\s+2\s+77%$",
            r"FAIL Required workflow coverage of 100% not reached. Total coverage: 77.78%$",
        ]
    )
    text = result.stdout.str().splitlines()
    missed = [" ".join(line.split()) for line in text[text.index("Missed:") + 1 :]]
    assert missed[:3] == [
        f"order-shipped branch_1{SEP}Freight workflows/order-shipped.yaml:10",
        f"order-shipped email_1 conditions{SEP}false workflows/order-shipped.yaml:19",
        "Workflow coverage JSON written to cov.json",
    ]
    [workflow] = report(suite)["workflows"]
    hits = {item["id"]: item["hits"] for item in workflow["items"]}
    assert hits["step:branch_1"] == 4  # fixture, hand-built, knock_api and the scenario file
    assert hits["outcome:email_1:skipped"] == 1
    assert workflow["items"][-1]["reasons"] == {
        "the recipient has no email (identify them with an email, or set to_address)": 1
    }


def test_xdist_gives_the_numbers_of_one_process(suite: pytest.Pytester) -> None:
    for name, workers in (("one.json", ()), ("two.json", ("-n", "2"))):
        result = suite.runpytest(
            *RUN, *workers, "--doorstep-cov", f"--doorstep-cov-report=json:{name}"
        )
        result.assert_outcomes(passed=4)
        assert result.ret == pytest.ExitCode.OK
    assert report(suite, "one.json") == report(suite, "two.json")


def test_ini_and_environment_twins(suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    suite.makeini(
        "[pytest]\nasyncio_default_fixture_loop_scope = function\n"
        "doorstep_cov = on\ndoorstep_cov_fail_under = 70\n"
        "doorstep_cov_report =\n    term\n    json:ini.json\n"
    )
    result = suite.runpytest(*RUN)
    result.stdout.fnmatch_lines(
        ["Required workflow coverage of 70% reached. Total coverage: 77.78%"]
    )
    assert result.ret == pytest.ExitCode.OK
    assert report(suite, "ini.json")["summary"]["percent"] == 77.78
    monkeypatch.setenv("DOORSTEP_COV_FAIL_UNDER", "80")
    monkeypatch.setenv("DOORSTEP_COV_REPORT", "json:env.json,term")
    result = suite.runpytest(*RUN)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert (suite.path / "env.json").is_file()
    result = suite.runpytest(*RUN, "--doorstep-cov-fail-under=75")
    assert result.ret == pytest.ExitCode.OK


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--doorstep-cov-report=xml",), "--doorstep-cov-report: unknown coverage report 'xml'*"),
        (
            ("--doorstep-cov-fail-under=most",),
            "--doorstep-cov-fail-under='most': give a percentage*",
        ),
    ],
)
def test_bad_options_are_usage_errors(
    suite: pytest.Pytester, args: tuple[str, ...], message: str
) -> None:
    result = suite.runpytest(*RUN, "--doorstep-cov", *args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*{message}"])


def test_off_by_default(suite: pytest.Pytester) -> None:
    result = suite.runpytest(*RUN)
    result.assert_outcomes(passed=4)
    assert "workflow coverage" not in result.stdout.str()
    assert emulator.coverage.Collector  # the package is importable without the option
