"""AI agent steps: render the prompt, ask a responder the test provides, store `data.<ref>`.

No model is ever called: `emulator.ai_responder` (or `Emulator(ai_responder=...)`) answers with
text, or with a JSON object for `response_type: json` (validated against `response_schema`). Up
to 3 attempts, as Knock retries; then the run halts, or goes on when `halt_on_error` is false.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from emulator.core import DoorstepError
from emulator.definitions import AiAgentStep
from emulator.engine._responders import AgentError, AiRequest, AiResponder, no_ai_responder
from emulator.engine._state import RunState
from emulator.stores import StepRecord
from emulator.templates import TemplateLocation

if TYPE_CHECKING:
    from emulator.engine._engine import Engine

# The request, responder and error types live in engine/_responders; importable from here too.
__all__ = ["AgentError", "AiRequest", "AiResponder", "no_ai_responder", "run_agent"]

NEXT = "next"
ATTEMPTS = 3


def run_agent(engine: Engine, rs: RunState, step: AiAgentStep, record: StepRecord) -> str:
    where = TemplateLocation(rs.workflow.key, step.ref, "request_prompt")
    prompt = engine.templates.render(step.request_prompt, engine.template_context(rs), where).text
    request = AiRequest(
        step.ref,
        step.model,
        prompt,
        step.response_type,
        step.response_schema,
        step.web_search_enabled,
    )
    record.detail["prompt"] = prompt
    import jsonschema  # on first use: `import emulator` stays light

    errors: list[str] = []
    for _attempt in range(ATTEMPTS):
        try:
            result = _shape(step, engine.ai_responder(request))
        except (DoorstepError, ValueError, jsonschema.ValidationError) as exc:
            errors.append(str(exc).splitlines()[0])
            continue
        rs.data = {**rs.data, step.ref: result}
        record.detail["response"] = result
        return NEXT
    record.detail["attempts"] = errors
    if step.halt_on_error:
        raise AgentError(f"ai_agent step {step.ref!r} failed {ATTEMPTS} times: {errors[-1]}")
    record.outcome, record.error = "failed", errors[-1]
    return NEXT


def _shape(step: AiAgentStep, answer: Any) -> Any:
    if step.response_type == "text":
        if not isinstance(answer, str):
            raise AgentError(f"a text agent must answer a string, got {type(answer).__name__}")
        return {"text": answer}
    value = json.loads(answer) if isinstance(answer, str) else answer
    if step.response_schema is not None:
        import jsonschema

        jsonschema.validate(value, step.response_schema)
    return value
