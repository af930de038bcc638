"""The pytest11 entry point: options, the `doorstep` marker, fixtures and scenario collection.

Everything here is wiring; the fixtures live in `_fixtures`/`_servers`, the helpers in
`assertions`, the collector in `scenarios`. Heavy imports wait until a fixture is used, so the
plugin costs next to nothing in test runs that never touch Doorstep.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_plugin import _coverage, _fixtures, _options, scenarios
from pytest_plugin._fixtures import (
    clock,
    doorstep_served_emulator,
    doorstep_settings,
    emulator,
    frozen_clock,
    message_snapshot,
    outbox,
)
from pytest_plugin._servers import (
    doorstep_knock_session,
    doorstep_resend_session,
    doorstep_smtp_session,
    knock_api,
    resend_server,
    smtp_server,
)

__all__ = [
    "clock",
    "doorstep_knock_session",
    "doorstep_resend_session",
    "doorstep_served_emulator",
    "doorstep_settings",
    "doorstep_smtp_session",
    "emulator",
    "frozen_clock",
    "knock_api",
    "message_snapshot",
    "outbox",
    "resend_server",
    "smtp_server",
]


def pytest_addoption(parser: pytest.Parser, pluginmanager: pytest.PytestPluginManager) -> None:
    """Register the `--doorstep-*` options and ini values."""
    _options.add_options(parser)
    _coverage.add_options(parser)
    leave_the_library_unrewritten(pluginmanager)


def leave_the_library_unrewritten(pluginmanager: pytest.PytestPluginManager) -> None:
    """pytest rewrites the asserts of every module in a plugin's distribution, and ours ships
    the `emulator` library too: each session then read its ~80 modules back through the rewrite
    hook (~40 ms CPU). Its few asserts are invariants, not test assertions, so it is unmarked
    here, before anything imports it; the plugin's helpers stay rewritten (`pytest_plugin`).
    pytest offers no public way to unmark: where its hook differs, nothing changes."""
    hook = getattr(pluginmanager, "rewrite_hook", None)
    marked = getattr(hook, "_must_rewrite", None)
    cache = getattr(hook, "_marked_for_rewrite_cache", None)
    if isinstance(marked, set) and isinstance(cache, dict) and "emulator" in marked:
        marked.discard("emulator")
        cache.clear()


def pytest_configure(config: pytest.Config) -> None:
    """Register the `doorstep` marker and resolve the settings."""
    config.addinivalue_line("markers", _options.MARKER_HELP)
    _fixtures.configure(config)
    _coverage.configure(config)


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    """Collect `*.scenario.yaml` files as tests."""
    return scenarios.collect_file(file_path, parent)
