"""Options (command line > environment > ini > search) and the `doorstep` marker, via pytester."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

# Imported up front: pytester's in-process runs drop modules first imported inside them, and
# libyaml's C parser cannot be imported twice (nodes of the old yaml would not match).
import emulator.scenarios  # noqa: F401

pytest_plugins = ["pytester"]

WORKFLOWS = Path(__file__).resolve().parent.parent / "fixtures" / "workflows"
REPORT = """
def test_report(doorstep_settings, emulator):
    s = doorstep_settings
    print("WORKFLOWS", s.workflows.relative_to(s.workflows.parent.parent), "FROM", s.origin)
    print("START", emulator.clock.now.isoformat(), "STRICT", s.strict)
    print("VARS", dict(s.vars), "CHANNELS", sorted(s.channels), "PROVIDER", s.email_provider)
"""


def project(pytester: pytest.Pytester, ini: str = "") -> None:
    for name in ("fixtures/workflows", "alt/flows", "env/flows", "cli/flows"):
        shutil.copytree(WORKFLOWS, pytester.path / name)
    pytester.makeini(
        "[pytest]\nasyncio_default_fixture_loop_scope = function\naddopts = -p no:benchmark\n" + ini
    )


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("WORKFLOWS", "START", "STRICT", "VARS", "CHANNELS", "EMAIL_PROVIDER"):
        monkeypatch.delenv(f"DOORSTEP_{name}", raising=False)


PRECEDENCE = [
    pytest.param("", {}, [], "WORKFLOWS fixtures/workflows FROM default search", id="search"),
    pytest.param(
        "doorstep_workflows = alt/flows",
        {},
        [],
        "WORKFLOWS alt/flows FROM doorstep_workflows*",
        id="ini",
    ),
    pytest.param(
        "doorstep_workflows = alt/flows",
        {"DOORSTEP_WORKFLOWS": "env/flows"},
        [],
        "WORKFLOWS env/flows FROM DOORSTEP_WORKFLOWS",
        id="env-over-ini",
    ),
    pytest.param(
        "doorstep_workflows = alt/flows",
        {"DOORSTEP_WORKFLOWS": "env/flows"},
        ["--doorstep-workflows=cli/flows"],
        "WORKFLOWS cli/flows FROM --doorstep-workflows",
        id="cli-over-env",
    ),
    pytest.param(
        "doorstep_start = 2024-06-01T08:00:00Z\ndoorstep_strict = off",
        {"DOORSTEP_START": "2024-07-01T08:00:00+02:00"},
        [],
        "START 2024-07-01T06:00:00+00:00 STRICT False",
        id="start-env-strict-ini",
    ),
    pytest.param(
        "doorstep_strict = off",
        {},
        ["--doorstep-strict=on", "--doorstep-start=2030-01-02T03:04:05Z"],
        "START 2030-01-02T03:04:05+00:00 STRICT True",
        id="strict-cli",
    ),
    pytest.param(
        'doorstep_vars = {app_url: "https://ini"}\ndoorstep_channels = channels.yaml',
        {"DOORSTEP_EMAIL_PROVIDER": "inprocess"},
        [],
        "VARS {'app_url': 'https://ini'} CHANNELS [[]'postmark'[]] PROVIDER inprocess",
        id="vars-channels",
    ),
]


@pytest.mark.parametrize(("ini", "env", "args", "line"), PRECEDENCE)
def test_precedence(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    ini: str,
    env: dict[str, str],
    args: list[str],
    line: str,
) -> None:
    project(pytester, ini)
    pytester.makefile(".yaml", channels="postmark: {type: email, from_address: a@b.c}\n")
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    pytester.makepyfile(REPORT)
    result = pytester.runpytest("-s", *args)
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([f"*{line}*"])


USAGE_ERRORS = [
    pytest.param(
        ["--doorstep-workflows=nope"],
        "*--doorstep-workflows='nope': no such directory*",
        id="missing-dir",
    ),
    pytest.param(
        ["--doorstep-start=2025-01-01T09:00"],
        "*--doorstep-start='2025-01-01T09:00' has no time zone; add one, e.g. 2025-01-01T09:00Z*",
        id="naive-start",
    ),
    pytest.param(
        ["--doorstep-start=tomorrow"], "*'tomorrow' is not an ISO 8601 time*", id="bad-start"
    ),
    pytest.param(
        ["--doorstep-strict=maybe"], "*--doorstep-strict='maybe': use on/off*", id="bad-strict"
    ),
    pytest.param(
        ["--doorstep-vars=missing.yaml"],
        "*--doorstep-vars='missing.yaml': cannot read*",
        id="vars-file",
    ),
    pytest.param(
        ["--doorstep-channels={a: [1"],
        "*--doorstep-channels: inline value is not valid YAML*",
        id="bad-yaml",
    ),
    pytest.param(
        ["--doorstep-email-provider=pigeon"],
        "*--doorstep-email-provider='pigeon': use one of inprocess, smtp, resend*",
        id="bad-provider",
    ),
]


@pytest.mark.parametrize(("args", "line"), USAGE_ERRORS)
def test_bad_option_values_are_usage_errors(
    pytester: pytest.Pytester, args: list[str], line: str
) -> None:
    project(pytester)
    pytester.makepyfile(REPORT)
    result = pytester.runpytest(*args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([line])


def test_options_are_listed_in_help(pytester: pytest.Pytester) -> None:
    project(pytester)
    result = pytester.runpytest("--help")
    result.stdout.fnmatch_lines(
        ["*Doorstep workflow emulator*", "*--doorstep-workflows=DOORSTEP_WORKFLOWS*"]
    )
    result.stdout.fnmatch_lines(["*doorstep_strict (string):*"])


def test_marker_closest_wins(pytester: pytest.Pytester) -> None:
    project(pytester, "doorstep_start = 2020-01-01T00:00:00Z")
    pytester.makepyfile(
        """
from datetime import datetime, timezone
import pytest

pytestmark = pytest.mark.doorstep(workflows="alt/flows", start="2021-01-01T00:00:00Z")

def test_module(emulator, doorstep_settings):
    assert emulator.clock.now.year == 2021
    assert doorstep_settings.workflows.parts[-2:] == ("alt", "flows")

@pytest.mark.doorstep(start=datetime(2022, 1, 1, tzinfo=timezone.utc), strict=False)
class TestClass:
    def test_class(self, emulator, doorstep_settings):
        assert emulator.clock.now.year == 2022
        assert doorstep_settings.strict is False
        assert doorstep_settings.workflows.parts[-2:] == ("alt", "flows")

    @pytest.mark.doorstep(start="2023-01-01T00:00:00Z", vars={"app_url": "x"})
    def test_function(self, emulator, doorstep_settings):
        assert emulator.clock.now.year == 2023
        assert doorstep_settings.strict is False
        assert dict(doorstep_settings.vars) == {"app_url": "x"}
"""
    )
    pytester.runpytest("--strict-markers").assert_outcomes(passed=3)


MARKER_ERRORS = [
    pytest.param(
        "doorstep(colour='red')",
        "*unknown keyword(s) [[]'colour'[]]; use channels, config, email_provider, "
        "enhanced_security, signing_key, start*",
        id="keyword",
    ),
    pytest.param("doorstep('flows')", "*takes keywords only*", id="positional"),
    pytest.param(
        "doorstep(workflows='nope')", "*no such directory*relative to the test*", id="dir"
    ),
    pytest.param("doorstep(start='2025-01-01')", "*has no time zone*", id="naive"),
    pytest.param("doorstep(vars=[1])", "*vars=...)*expected a dict, got list*", id="vars"),
]


@pytest.mark.parametrize(("marker", "line"), MARKER_ERRORS)
def test_marker_errors(pytester: pytest.Pytester, marker: str, line: str) -> None:
    project(pytester)
    pytester.makepyfile(
        f"import pytest\n\n@pytest.mark.{marker}\ndef test_it(emulator):\n    pass\n"
    )
    result = pytester.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines([line])


def test_strict_templates_fail_with_workflow_step_and_field(pytester: pytest.Pytester) -> None:
    project(pytester)
    pytester.makepyfile(
        """
import pytest

def test_strict(emulator):
    emulator.identify("u1", email="ada@example.com")
    emulator.trigger("invoice-created", ["u1"], data={"invoice_id": "inv_1"})

@pytest.mark.doorstep(strict=False)
def test_lenient(emulator):
    emulator.identify("u1", email="ada@example.com")
    emulator.trigger("invoice-created", ["u1"], data={"invoice_id": "inv_1"})
    assert len(emulator.outbox) == 1
"""
    )
    result = pytester.runpytest()
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        ["*TemplateError: workflow 'invoice-created', step 'email_1', field 'html_body'*"]
    )


def test_no_workflows_directory_fails_with_where_we_looked(pytester: pytest.Pytester) -> None:
    pytester.makeini(
        "[pytest]\nasyncio_default_fixture_loop_scope = function\naddopts = -p no:benchmark\n"
    )
    pytester.makepyfile("def test_it(emulator):\n    pass\n")
    result = pytester.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "*Doorstep found no workflows directory (looked in: *fixtures/workflows, *workflows, "
            "*knock); set --doorstep-workflows, DOORSTEP_WORKFLOWS*"
        ]
    )


def test_broken_definitions_fail_each_test_with_the_problem(pytester: pytest.Pytester) -> None:
    pytester.makeini(
        "[pytest]\nasyncio_default_fixture_loop_scope = function\naddopts = -p no:benchmark\n"
    )
    pytester.makefile(".yaml", **{"fixtures/workflows/bad": "steps:\n  - ref: x\n    type: nope\n"})
    pytester.makepyfile("def test_one(emulator):\n    pass\n\ndef test_two(emulator):\n    pass\n")
    result = pytester.runpytest()
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(["*Doorstep could not load the workflows in *fixtures/workflows*"])
    result.stdout.fnmatch_lines(["*bad.yaml*"])


def test_config_file_supplies_vars_channels_and_start(pytester: pytest.Pytester) -> None:
    shutil.copytree(WORKFLOWS, pytester.path / "fixtures" / "workflows")
    (pytester.path / "doorstep.yaml").write_text(
        "vars: {app_url: https://app.test}\n"
        "channels: {postmark: {type: email, from_address: bills@acme.test}}\n"
        "start: 2030-05-01T08:00:00Z\n"
    )
    pytester.makepyfile(
        """
        def test_config(emulator, outbox):
            assert emulator.clock.now.isoformat() == "2030-05-01T08:00:00+00:00"
            emulator.identify("u1", email="ada@example.com")
            emulator.trigger("invoice-created", ["u1"], data={"invoice_id": "i1", "amount": 1})
            [note] = emulator.messages(channel_type="in_app_feed")
            assert note.content["action_url"] == "https://app.test/invoices/i1"
            assert outbox.all()[0].from_ == "bills@acme.test"
        """
    )
    pytester.runpytest_subprocess().assert_outcomes(passed=1)


def test_missing_config_file_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_x(): pass")
    result = pytester.runpytest_subprocess("--doorstep-config=nope.yaml")
    result.stderr.fnmatch_lines(["*--doorstep-config='nope.yaml': no such file*doorstep.yaml*"])


def test_sessions_reuse_a_load_kept_on_disk_and_never_a_stale_one(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(sys, "dont_write_bytecode", False)  # the suite runs without bytecode
    monkeypatch.setattr(sys, "pycache_prefix", str(tmp_path / "prefix"))
    pytester.makeini(
        "[pytest]\nasyncio_default_fixture_loop_scope = function\naddopts = -p no:benchmark\n"
    )
    workflows = pytester.path / "fixtures" / "workflows"
    shutil.copytree(WORKFLOWS, workflows)
    pytester.makepyfile("def test_it(emulator):\n    assert emulator.definitions.guides\n")
    pytester.runpytest().assert_outcomes(passed=1)
    [kept] = (tmp_path / "prefix").rglob("definitions-*.pickle")
    (workflows / "bad.yaml").write_text("steps:\n  - ref: x\n    type: nope\n")
    broken = pytester.runpytest()
    broken.assert_outcomes(errors=1)
    broken.stdout.fnmatch_lines(["*Doorstep could not load the workflows in *", "*bad.yaml*"])
    (workflows / "bad.yaml").unlink()
    pytester.runpytest().assert_outcomes(passed=1)
    assert list((tmp_path / "prefix").rglob("definitions-*.pickle")) == [kept]


def test_the_library_is_not_assertion_rewritten_the_plugin_is(
    pytestconfig: pytest.Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    from _pytest.assertion.rewrite import AssertionRewritingHook, assertstate_key

    from pytest_plugin.plugin import leave_the_library_unrewritten

    hook = AssertionRewritingHook(pytestconfig)
    # What pytest marks for our distribution (mark_rewrite itself would warn: both imported)
    hook._must_rewrite.update({"emulator", "pytest_plugin"})
    state = pytestconfig.stash[assertstate_key]
    assert hook._is_marked_for_rewrite("emulator.engine._engine", state)  # (now cached)
    monkeypatch.setattr(pytestconfig.pluginmanager, "rewrite_hook", hook)
    leave_the_library_unrewritten(pytestconfig.pluginmanager)
    assert not hook._is_marked_for_rewrite("emulator.engine._engine", state)
    assert not hook._is_marked_for_rewrite("emulator", state)
    assert hook._is_marked_for_rewrite("pytest_plugin.assertions", state)
