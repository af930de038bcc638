"""pytest fixtures and assertions for Doorstep (registered through the pytest11 entry point).

    from pytest_plugin import assert_path, assert_one_email

    def test_digest(emulator):
        run = emulator.trigger("invoice-updated", ["u1"], data={...}).runs[0]
        emulator.clock.advance(minutes=5)
        assert_path(run, ["branch_1", "batch_1", "in_app_feed_1", "email_1"])

The helpers are imported on first use, so loading the plugin does not import the emulator in
test runs that never touch Doorstep.
"""

from typing import TYPE_CHECKING, Any

import pytest

pytest.register_assert_rewrite("pytest_plugin.assertions", "pytest_plugin._snapshot")

if TYPE_CHECKING:
    from pytest_plugin._snapshot import normalize
    from pytest_plugin.assertions import (
        assert_batch,
        assert_branch,
        assert_feed,
        assert_no_message,
        assert_one_email,
        assert_path,
        assert_skipped,
    )

__all__ = [
    "assert_batch",
    "assert_branch",
    "assert_feed",
    "assert_no_message",
    "assert_one_email",
    "assert_path",
    "assert_skipped",
    "normalize",
]


def __getattr__(name: str) -> Any:
    if name == "normalize":
        from pytest_plugin._snapshot import normalize

        return normalize
    if name in __all__:
        from pytest_plugin import assertions

        return getattr(assertions, name)
    raise AttributeError(f"module 'pytest_plugin' has no attribute {name!r}")
