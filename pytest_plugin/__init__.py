"""pytest fixtures and assertions for Doorstep (registered through the pytest11 entry point).

from pytest_plugin import assert_path, assert_one_email

def test_digest(emulator):
    run = emulator.trigger("invoice-updated", ["u1"], data={...}).runs[0]
    emulator.clock.advance(minutes=5)
    assert_path(run, ["branch_1", "batch_1", "in_app_feed_1", "email_1"])
"""

import pytest

pytest.register_assert_rewrite("pytest_plugin.assertions")

from ._snapshot import normalize  # noqa: E402
from .assertions import (  # noqa: E402  (rewriting must be registered before the import)
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
