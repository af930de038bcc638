"""What fetch and AI agent steps ask, and the responders that answer: test code supplies them.

Below the engine, which holds one responder of each kind, and the step modules, which call them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from emulator.core import DoorstepError


@dataclass(frozen=True, slots=True)
class FetchRequest:
    """What a fetch step sends, as rendered: the responder (`Emulator(http_responder=...)`)
    answers it in place of the network."""

    method: str
    url: str
    headers: dict[str, str]
    body: str | None


@dataclass(frozen=True, slots=True)
class FetchResponse:
    """A responder's answer to a fetch step: status, body (on success a JSON object, merged
    into the run's `data`), headers; `timeout=True` stands for a request that timed out."""

    status: int
    body: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    timeout: bool = False  # the request timed out (Knock's 15 s); retried like a 5xx


Responder = Callable[[FetchRequest], FetchResponse]


class FetchError(DoorstepError):
    """A fetch step that cannot succeed; the run halts with this message."""


def no_responder(request: FetchRequest) -> FetchResponse:
    raise FetchError(
        f"fetch to {request.url} has no responder: set emulator.http_responder to a "
        "function returning FetchResponse, or pass allow_hosts=[...] to allow real "
        "HTTP to those hosts"
    )


@dataclass(frozen=True, slots=True)
class AiRequest:
    """What an AI agent step asks the model, as rendered: the responder
    (`Emulator(ai_responder=...)`) answers in place of the model."""

    step_ref: str
    model: str
    prompt: str
    response_type: str
    response_schema: Any
    web_search_enabled: bool


AiResponder = Callable[[AiRequest], Any]


class AgentError(DoorstepError):
    """An agent step whose responder failed or answered in the wrong shape."""


def no_ai_responder(request: AiRequest) -> Any:
    raise AgentError(
        f"ai_agent step {request.step_ref!r} has no responder: set emulator.ai_responder (or "
        "Emulator(ai_responder=...)) to a function returning the model's answer"
    )
