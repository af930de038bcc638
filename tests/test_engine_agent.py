"""ai_agent steps answer from a responder the test provides; never from a real model."""

from __future__ import annotations

import json
from typing import Any

import pytest
from wfbuild import cond, in_app, make_emulator, workflow

from emulator import AiRequest, DefinitionError, parse_workflow

SCHEMA = json.dumps(
    {"type": "object", "required": ["segment"], "properties": {"segment": {"type": "string"}}}
)


def agent(**settings: Any) -> dict[str, Any]:
    base = {
        "model": "anthropic:claude-haiku-4-5",
        "request_prompt": "Segment for {{ tenant.name }}",
        "response_type": "text",
    }
    return {"ref": "ai_1", "type": "ai_agent", "settings": {**base, **settings}}


def test_text_answers_land_in_data_under_the_step_ref() -> None:
    seen: list[AiRequest] = []

    def responder(request: AiRequest) -> str:
        seen.append(request)
        return "Mid-market SaaS"

    emu = make_emulator(
        workflow("enrich", agent(), in_app(body="{{ data.ai_1.text }}")), ai_responder=responder
    )
    emu.trigger("enrich", ["u1"], tenant={"id": "acme", "name": "Acme"})
    assert seen[0].prompt == "Segment for Acme"
    assert seen[0].model == "anthropic:claude-haiku-4-5"
    assert emu.messages()[0].content["markdown_body"].strip() == "Mid-market SaaS"


def test_json_answers_are_validated_and_usable_in_conditions() -> None:
    steps = [
        agent(response_type="json", response_schema=SCHEMA),
        in_app(conditions=cond("data.ai_1.segment", "equal_to", "enterprise")),
    ]
    emu = make_emulator(
        workflow("enrich", *steps), ai_responder=lambda request: {"segment": "enterprise"}
    )
    run = emu.trigger("enrich", ["u1"], tenant="acme").runs[0]
    assert run.path == ["ai_1", "in_app_feed_1"]


@pytest.mark.parametrize(
    ("halt", "status", "path"),
    [(True, "failed", []), (False, "completed", ["in_app_feed_1"])],
)
def test_failures_retry_three_times_then_halt_or_continue(
    halt: bool, status: str, path: list[str]
) -> None:
    calls: list[int] = []

    def broken(request: AiRequest) -> Any:
        calls.append(1)
        return {"segment": 5}  # fails the schema every time

    steps = [
        agent(response_type="json", response_schema=SCHEMA, halt_on_error=halt),
        in_app(body="x"),
    ]
    emu = make_emulator(workflow("enrich", *steps), ai_responder=broken)
    run = emu.trigger("enrich", ["u1"], tenant="acme").runs[0]
    assert len(calls) == 3
    assert run.status == status
    assert run.path == path
    assert run.step("ai_1").outcome == "failed"
    assert "5 is not of type 'string'" in (run.step("ai_1").error or "")


def test_without_a_responder_the_step_says_how_to_set_one() -> None:
    emu = make_emulator(workflow("enrich", agent()))
    run = emu.trigger("enrich", ["u1"]).runs[0]
    assert "set emulator.ai_responder" in (run.step("ai_1").error or "")


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"response_type": "json"}, "needs a JSON schema"),
        ({"response_type": "json", "response_schema": "{bad"}, "not JSON"),
        ({"response_schema": SCHEMA}, "only for `response_type: json`"),
        ({"model": None}, "model"),
    ],
)
def test_malformed_agents_name_the_path(settings: dict[str, Any], message: str) -> None:
    step = agent(**settings)
    step["settings"] = {k: v for k, v in step["settings"].items() if v is not None}
    with pytest.raises(DefinitionError, match=message) as info:
        parse_workflow({"name": "a", "steps": [step]}, key="agents", file="agents.json")
    assert "steps[0].settings" in str(info.value)
