"""Fetch (`http_fetch`) steps: render the request, ask a responder, merge the JSON into `data`.

Requests never leave the process unless configured: tests set `emulator.http_responder` to a
function (or a `FetchResponder` with canned answers); real HTTP needs `allow_hosts`. Success is a
200, 201 or 204 whose body is a JSON object (or empty); 5xx and timeouts are retried after 30 s and
60 s on the virtual clock (the run is paused, so it can be cancelled); anything else fails the step
and halts the run, as Knock documents.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

from emulator.definitions import FetchStep, KeyValue
from emulator.engine._responders import (
    FetchError,
    FetchRequest,
    FetchResponse,
    Responder,
    no_responder,
)
from emulator.engine._state import RunState
from emulator.stores import StepRecord
from emulator.templates import TemplateLocation

if TYPE_CHECKING:
    from emulator.engine._engine import Engine

# The request, response and error types live in engine/_responders; importable from here too.
__all__ = [
    "FetchError",
    "FetchRequest",
    "FetchResponse",
    "Responder",
    "http_responder",
    "no_responder",
    "run_fetch",
]

NEXT, PAUSE, END = "next", "pause", "end"
RETRY_DELAYS = (timedelta(seconds=30), timedelta(seconds=60))
MAX_RESPONSE_BYTES = 10 * 1024 * 1024


def http_responder(allow_hosts: set[str], timeout: float = 15.0) -> Responder:
    """Real HTTP with httpx, only to the listed hosts."""
    import httpx

    def respond(request: FetchRequest) -> FetchResponse:
        host = urlsplit(request.url).hostname or ""
        if host not in allow_hosts:
            raise FetchError(f"fetch to host {host!r} is not allowed; add it to allow_hosts")
        try:
            answer = httpx.request(
                request.method,
                request.url,
                headers=request.headers,
                content=request.body,
                timeout=timeout,
            )
        except httpx.TimeoutException:
            return FetchResponse(0, timeout=True)
        except httpx.HTTPError as exc:
            raise FetchError(f"fetch to {request.url} failed: {exc}") from exc
        return FetchResponse(
            answer.status_code, answer.text[:MAX_RESPONSE_BYTES], dict(answer.headers)
        )

    return respond


def run_fetch(engine: Engine, rs: RunState, step: FetchStep, record: StepRecord) -> str:
    request = _render_request(engine, rs, step)
    record.detail["request"] = request
    record.detail.setdefault("attempts", [])
    return _attempt(engine, rs, step, record, request)


def _attempt(
    engine: Engine, rs: RunState, step: FetchStep, record: StepRecord, request: FetchRequest
) -> str:
    response = engine.http_responder(request)
    attempts: list[FetchResponse] = record.detail["attempts"]
    attempts.append(response)
    retryable = response.timeout or response.status >= 500
    if retryable and len(attempts) <= len(RETRY_DELAYS):

        def retry() -> None:
            rs.timer = None
            engine.resume(
                rs,
                lambda: engine.guarded(
                    rs, record, lambda: _attempt(engine, rs, step, record, request)
                ),
            )

        rs.timer = engine.clock.call_later(
            RETRY_DELAYS[len(attempts) - 1],
            retry,
            label=f"{rs.workflow.key}/{step.ref} fetch retry",
        )
        if engine.observers:
            engine.observers.step_outcome(rs.workflow, step.ref, "retried")
        return engine.park(rs, record)
    if response.status not in (200, 201, 204):
        what = "timed out" if response.timeout else f"answered {response.status}"
        raise FetchError(
            f"fetch {request.method} {request.url} {what} after {len(attempts)} "
            f"attempt(s); only 200, 201 and 204 succeed"
        )
    try:
        payload = json.loads(response.body) if response.body.strip() else {}
    except json.JSONDecodeError as exc:
        raise FetchError(f"fetch {request.url}: the response is not JSON ({exc})") from exc
    if not isinstance(payload, dict):
        raise FetchError(
            f"fetch {request.url}: the response must be a JSON object, got {type(payload).__name__}"
        )
    if step.response_path:
        rs.data = _place(rs.data, step.response_path.split("."), payload)
    else:
        rs.data = {**rs.data, **payload}
    record.outcome, record.ended_at = "executed", engine.clock.now
    rs.waiting = None
    if engine.observers:
        engine.observers.step_outcome(rs.workflow, step.ref, "succeeded")
    return NEXT


def _render_request(engine: Engine, rs: RunState, step: FetchStep) -> FetchRequest:
    context = engine.template_context(rs)

    def render(source: str, name: str) -> str:
        where = TemplateLocation(rs.workflow.key, step.ref, name)
        return engine.templates.render(source, context, where).text

    headers = _pairs(step.headers, render, "headers")
    query = _pairs(step.query_params, render, "query_params")
    url = render(step.url, "url")
    if query:
        url += ("&" if "?" in url else "?") + urlencode(query)
    body = None
    if step.body is not None and step.method.lower() in ("post", "put", "patch"):
        body = render(step.body, "body")
        headers.setdefault("Content-Type", "application/json")
    if step.signing_key:
        import hashlib  # signed fetches are rare: loaded by the first
        import hmac

        stamp = str(int(engine.clock.now.timestamp() * 1000))
        digest = hmac.new(
            step.signing_key.encode(), f"{stamp}.{body or ''}".encode(), hashlib.sha256
        ).hexdigest()
        headers["x-knock-signature"] = f"t={stamp},s={digest}"
    return FetchRequest(step.method.upper(), url, headers, body)


def _pairs(
    raw: tuple[KeyValue, ...] | str, render: Callable[[str, str], str], name: str
) -> dict[str, str]:
    if isinstance(raw, str):
        decoded = json.loads(render(raw, name) or "{}")
        return {str(k): str(v) for k, v in dict(decoded).items()}
    return {pair.key: render(pair.value, f"{name}.{pair.key}") for pair in raw}


def _place(data: dict[str, Any], path: list[str], value: Any) -> dict[str, Any]:
    out = dict(data)
    if len(path) == 1:
        out[path[0]] = value
        return out
    inner = out.get(path[0])
    out[path[0]] = _place(inner if isinstance(inner, dict) else {}, path[1:], value)
    return out
