"""The CI rule of tests/conftest.py, run through pytester: in CI a real-client test that skips
fails the run (with what to install); elsewhere it skips; other skips and xfails are untouched."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

CONFTEST = Path(__file__).with_name("conftest.py")

TESTS = """
import pytest

@pytest.mark.real_client
@pytest.mark.skipif(True, reason="node missing")
def test_marked_skipif():
    pass

@pytest.mark.browser
def test_browser_importorskip():
    pytest.importorskip("no_such_module_for_the_rule")

@pytest.mark.real_client
def test_real_client_that_runs():
    pass

@pytest.mark.real_client
@pytest.mark.xfail(reason="known", strict=True)
def test_real_client_xfail():
    assert False

def test_plain_skip():
    pytest.skip("not a real client")
"""


@pytest.mark.parametrize(
    ("ci", "outcomes"),
    [
        # a skip at setup (skipif) becomes an error, one in the test body a failure
        ("true", {"errors": 1, "failed": 1, "passed": 1, "xfailed": 1, "skipped": 1}),
        ("1", {"errors": 1, "failed": 1, "passed": 1, "xfailed": 1, "skipped": 1}),
        ("", {"passed": 1, "xfailed": 1, "skipped": 3}),
        ("false", {"passed": 1, "xfailed": 1, "skipped": 3}),
    ],
)
def test_real_client_skips_fail_only_in_ci(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, ci: str, outcomes: dict[str, int]
) -> None:
    monkeypatch.setenv("CI", ci)
    pytester.makeconftest(CONFTEST.read_text())
    pytester.makeini(
        "[pytest]\nasyncio_default_fixture_loop_scope = function\n"
        "markers =\n    browser: drives Chromium\n"
    )
    pytester.makepyfile(TESTS)
    # no:benchmark: pytest-benchmark, where a machine has it, warns in every inner run under xdist
    plugins = ("-p", "no:cacheprovider", "-p", "no:xdist", "-p", "no:benchmark")
    result = pytester.runpytest("-rfEs", *plugins)
    result.assert_outcomes(**outcomes)
    if outcomes.get("failed"):
        result.stdout.fnmatch_lines(
            [
                "*test_marked_skipif drives a real client and must not skip in CI*node missing*",
                "*`bash .ci/run` installs them*",
                "*FAILED*test_browser_importorskip*",
            ]
        )
