"""Mailpit's chaos triggers (`GET`/`PUT /api/v1/chaos`) on Doorstep's SMTP failure injection.

Each trigger becomes one failure rule on the captured mail's `FailurePlan`: `Sender` fails MAIL
FROM, `Recipient` fails RCPT TO, `Authentication` fails AUTH, each with its `ErrorCode` on
`Probability` percent of the commands. Setting the triggers replaces the rules set before; a
trigger left out goes back to 0 %, as in Mailpit. As in Mailpit, chaos is off unless asked for
(`doorstep serve --enable-chaos`, `create_app(enable_chaos=True)`): both routes then answer 400
`Chaos is not enabled`.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from emulator.http.inspect._api import json_body
from emulator.http.inspect._inspection import ApiError, Inspection
from emulator.mail import FailureRule

# trigger name -> (SMTP stage, Mailpit's default code)
TRIGGERS = {"Sender": ("mail", 451), "Recipient": ("rcpt", 451), "Authentication": ("auth", 535)}
MESSAGE = "Chaos triggered by Doorstep (Mailpit's chaos triggers)"


def _config(inspection: Inspection) -> dict[str, Any]:
    if not inspection.chaos_enabled:
        raise ApiError(400, "Chaos is not enabled")
    rules: dict[str, FailureRule] = inspection.chaos
    out: dict[str, Any] = {}
    for name, (_, code) in TRIGGERS.items():
        rule = rules.get(name)
        out[name] = {
            "ErrorCode": rule.code if rule else code,
            "Probability": round(rule.probability * 100) if rule else 0,
        }
    return out


async def get_chaos(inspection: Inspection, request: Request) -> Any:
    """GET /api/v1/chaos: the triggers as they are now."""
    return _config(inspection)


def _trigger(body: dict[str, Any], name: str) -> tuple[int, int]:
    given = body.get(name) or {}
    if not isinstance(given, dict):
        example = '{"ErrorCode": 451, "Probability": 5}'
        raise ApiError(400, f"`{name}` must be an object like {example}")
    code, probability = given.get("ErrorCode") or TRIGGERS[name][1], given.get("Probability") or 0
    if not isinstance(code, int) or not 400 <= code <= 599:
        raise ApiError(400, "error code must be between 400 and 599")
    if not isinstance(probability, int) or not 0 <= probability <= 100:
        raise ApiError(400, "probability must be between 0 and 100")
    return code, probability


async def set_chaos(inspection: Inspection, request: Request) -> Any:
    """PUT /api/v1/chaos: replace the triggers; answers the new configuration."""
    if not inspection.chaos_enabled:
        raise ApiError(400, "Chaos is not enabled")
    body = await json_body(request, required=False, empty={})
    if not isinstance(body, dict):
        raise ApiError(400, "send a JSON object of triggers (Sender, Recipient, Authentication)")
    wanted = {name: _trigger(body, name) for name in TRIGGERS}  # all checked before any change
    failures = inspection.emulator.outbox.failures
    for name, (code, probability) in wanted.items():
        old = inspection.chaos.pop(name, None)
        if old is not None:
            failures.remove(old)
        if probability:
            stage = TRIGGERS[name][0]
            inspection.chaos[name] = failures.fail_smtp(
                stage,  # type: ignore[arg-type]
                code,
                MESSAGE,
                times=None,
                probability=probability / 100,
            )
    return _config(inspection)
