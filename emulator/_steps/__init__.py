"""Step executors, one module per step family, registered by Knock's step `type`."""

from __future__ import annotations

from typing import Any

from ._batch import run_batch
from ._channel import run_channel
from ._flow import run_branch
from ._timing import run_delay, run_throttle

HANDLERS: dict[str, Any] = {
    "channel": run_channel,
    "delay": run_delay,
    "batch": run_batch,
    "branch": run_branch,
    "throttle": run_throttle,
}

__all__ = ["HANDLERS"]
