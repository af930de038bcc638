"""Step executors, one module per step family, registered by Knock's step `type`."""

from __future__ import annotations

from typing import Any

from emulator.engine.steps._agent import run_agent
from emulator.engine.steps._batch import cancel_member, run_batch
from emulator.engine.steps._channel import run_channel
from emulator.engine.steps._data import run_trigger_workflow, run_update
from emulator.engine.steps._fetch import http_responder, run_fetch
from emulator.engine.steps._flow import run_branch, run_cohort
from emulator.engine.steps._timing import run_delay, run_throttle
from emulator.engine.steps._wait import run_wait

HANDLERS: dict[str, Any] = {
    "channel": run_channel,
    "delay": run_delay,
    "batch": run_batch,
    "branch": run_branch,
    "random_cohort": run_cohort,
    "throttle": run_throttle,
    "http_fetch": run_fetch,
    "trigger_workflow": run_trigger_workflow,
    "update_data": run_update,
    "update_user": run_update,
    "update_tenant": run_update,
    "update_object": run_update,
    "wait_for_event": run_wait,
    "ai_agent": run_agent,
}

__all__ = [
    "HANDLERS",
    "cancel_member",
    "http_responder",
]
