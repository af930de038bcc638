"""Each step type reads into the model with Knock's defaults filled in."""

from __future__ import annotations

from typing import Any

import pytest

from emulator.core._errors import DefinitionError
from emulator.definitions import parse_workflow
from emulator.definitions._model import (
    BatchStep,
    ChannelStep,
    Duration,
    FetchStep,
    KeyValue,
    SendWindow,
    Step,
    ThrottleStep,
    TriggerWorkflowStep,
    UpdateStep,
)


def _one(step: dict[str, Any]) -> Step:
    workflow = parse_workflow({"name": "One", "steps": [step]}, key="one-step", file="mem")
    return workflow.steps[0]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            {"ref": "b", "type": "batch", "settings": {"batch_window": "30s"}},
            BatchStep(ref="b", batch_window=Duration("seconds", 30)),
        ),
        (
            {
                "ref": "b",
                "type": "batch",
                "settings": {
                    "batch_until_field_path": "data.until",
                    "batch_window_type": "sliding",
                    "batch_window_extension_limit": {"unit": "hours", "value": 1},
                    "batch_order": "desc",
                    "batch_items_max_limit": 2,
                    "batch_items_render_limit": 100,
                    "batch_execution_mode": "flush_leading",
                    "workflow_version_mode": None,
                },
            },
            BatchStep(
                ref="b",
                batch_until_field_path="data.until",
                batch_window_type="sliding",
                batch_window_extension_limit=Duration("hours", 1),
                batch_order="desc",
                batch_items_max_limit=2,
                batch_items_render_limit=100,
                batch_execution_mode="flush_leading",
            ),
        ),
        (
            {"ref": "t", "type": "throttle", "settings": {"throttle_window": "1d"}},
            ThrottleStep(ref="t", throttle_window=Duration("days", 1)),
        ),
        (
            {
                "ref": "f",
                "type": "http_fetch",
                "settings": {
                    "method": "POST",
                    "url": "https://api.example.com/{{ recipient.id }}",
                    "headers": [{"key": "Authorization", "value": "Bearer {{ vars.key }}"}],
                    "query_params": "a=1",
                    "body": {"id": "{{ recipient.id }}"},
                    "response_path": "user",
                },
            },
            FetchStep(
                ref="f",
                method="post",
                url="https://api.example.com/{{ recipient.id }}",
                headers=(KeyValue("Authorization", "Bearer {{ vars.key }}"),),
                query_params="a=1",
                body='{"id": "{{ recipient.id }}"}',
                response_path="user",
            ),
        ),
        (
            {"ref": "w", "type": "trigger_workflow", "settings": {"workflow_key": "one-step"}},
            TriggerWorkflowStep(ref="w", workflow_key="one-step"),
        ),
        (
            {"ref": "u", "type": "update_data", "settings": {"data": {"plan": "pro"}}},
            UpdateStep(ref="u", type="update_data", properties='{"plan": "pro"}'),
        ),
        (
            {
                "ref": "u",
                "type": "update_object",
                "settings": {
                    "recipient_gid": "gid://Object/projects/p1",
                    "update_properties": "{}",
                },
            },
            UpdateStep(
                ref="u",
                type="update_object",
                properties="{}",
                recipient_mode="reference",
                recipient_gid="gid://Object/projects/p1",
            ),
        ),
        (
            {
                "ref": "sms_1",
                "type": "channel",
                "channel_key": "twilio",
                "template": {"text_body": "Hi"},
                "send_windows": [
                    {"day": "monday", "type": "send", "from": "09:00:00", "until": "17:00:00"},
                    {"day": "sunday", "type": "do_not_send"},
                ],
            },
            ChannelStep(
                ref="sms_1",
                channel_type="sms",
                channel_key="twilio",
                template={"text_body": "Hi"},
                send_windows=(
                    SendWindow("monday", "send", "09:00:00", "17:00:00"),
                    SendWindow("sunday", "do_not_send"),
                ),
            ),
        ),
    ],
    ids=[
        "batch-min",
        "batch-full",
        "throttle",
        "fetch",
        "trigger",
        "update-data",
        "update-obj",
        "sms-windows",
    ],
)
def test_step_model(raw: dict[str, Any], expected: Step) -> None:
    assert _one(raw) == expected


def test_update_user_reference_mode_requires_gid() -> None:
    raw = {
        "ref": "u",
        "type": "update_user",
        "settings": {"recipient_mode": "reference", "update_properties": "{}"},
    }
    with pytest.raises(DefinitionError) as info:
        _one(raw)
    (problem,) = info.value.problems
    assert problem.path == "steps[0].settings.recipient_gid"
