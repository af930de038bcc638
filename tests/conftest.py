"""Shared test settings, and the CI rule for the tests that drive real clients (Node SDKs,
Chromium).

On a developer machine without node, the pinned npm packages or Chromium, those tests skip. In CI
(`CI` set, as the CI runner does) nothing may hide that way: a skip of a `real_client` or `browser`
test becomes a failure that says what to install, so `.ci/run` fails instead of going green
without the proof.
"""

from __future__ import annotations

import os
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import jwt.algorithms  # noqa: F401  (see below)
import pytest
from hypothesis import settings

import emulator.templates._renderer  # noqa: F401  (see below)

# pytester's in-process runs forget every module first imported inside them. cryptography's Rust
# core cannot be loaded twice: a re-imported `padding` module is "not supported by this backend".
# So the RS256 stack (PyJWT with cryptography) is imported here, before any pytester run, and
# the plugin tests pass in whatever order a worker gets them.
# The template renderer too: after a pytester run that built an Emulator without rendering, the
# next run re-imported part of the template modules and strict mode let an undefined value pass
# (its notes go through a ContextVar in `templates._diagnostics`): the plugin's strict-templates
# test failed whenever it ran after test_marker_closest_wins in one process.

# Hypothesis: the `ci` profile (loaded when CI is set) draws the same bounded examples every run,
# so a CI failure reproduces and the slowest property tests cost the same each time.
settings.register_profile("ci", derandomize=True, max_examples=50, deadline=None)
if os.environ.get("CI"):
    settings.load_profile("ci")

REAL_CLIENT_MARKERS = ("real_client", "browser")
CHROMIUM = Path("/usr/bin/chromium")  # Debian's, installed by .ci/apt-packages


@pytest.fixture
def browser() -> Iterator[Any]:
    """Headless Chromium through Playwright, for the tests marked `browser`."""
    if not CHROMIUM.exists():
        pytest.skip(f"needs Debian's chromium at {CHROMIUM}")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        launched = p.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"]
        )
        try:
            yield launched
        finally:
            launched.close()


HOW_TO_INSTALL = (
    "`bash .ci/run` installs them: node and npm (the machine's Node.js), the pinned npm packages "
    "of tests/clients/package-lock.json (`npm ci --prefix $TMPDIR/doorstep-node`, then "
    "NODE_PATH=$TMPDIR/doorstep-node/node_modules), Debian's chromium (.ci/apt-packages) and "
    "playwright (pip install -e '.[test]')"
)


def in_ci() -> bool:
    """True where the CI runner said so (`CI=true`; `CI=0`, `false` or empty count as unset)."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "real_client: drives a real Knock client (Node SDK, Chromium); skips locally, never in CI",
    )


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, None]:
    """Turns the skip of a real-client test into a failure when running in CI."""
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    if not (report.skipped and in_ci()) or hasattr(report, "wasxfail"):
        return
    if not any(item.get_closest_marker(name) for name in REAL_CLIENT_MARKERS):
        return
    reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
    report.outcome = "failed"
    report.longrepr = (
        f"{item.nodeid} drives a real client and must not skip in CI (CI is set); "
        f"it skipped with: {reason}\n{HOW_TO_INSTALL}"
    )
