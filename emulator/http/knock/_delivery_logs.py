"""A message's delivery logs (`GET /v1/messages/{message_id}/delivery_logs`): Knock's request to
the provider and the provider's response, one log per delivery attempt, newest first.

Each attempt is the engine's `Message.deliveries` record (time, accepted or not, the provider's
id or its refusal's status and error). The request body is the Resend `POST /emails` body the
in-process provider recorded on the captured email (`CapturedEmail.resend_request`), or, when
that email is gone or went through another provider, the same body built again from the
message. Only email reaches a provider in the emulator: other channels have no logs.
"""

from __future__ import annotations

import re
import uuid
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response

from emulator import DeliveryAttempt, Message
from emulator.http.knock._core import KnockContext, json_response
from emulator.http.knock._messages import _message
from emulator.http.knock._query import paginate
from emulator.http.knock._serialize import iso
from emulator.mail import (
    InProcessProvider,
    Mailbox,
    ResendHttpProvider,
    SmtpProvider,
    UnknownEmailError,
    resend_request_body,
)

if TYPE_CHECKING:
    from emulator import Emulator

# Knock reports the environment the message was sent in; the emulator has one, so one stable id.
ENVIRONMENT_ID = str(uuid.uuid5(uuid.NAMESPACE_URL, "https://doorstep.invalid/environment"))
# "...rule: 429 rate_limit_exceeded: Too many" (in-process), "POST url answered 500 name: text"
# (Resend over HTTP), "SMTP host:port answered 451 text" (SMTP).
_RESEND_FAILURE = re.compile(r"(?:rule:|answered) (\d{3}) (\w*): (.*)\Z", re.DOTALL)
_SMTP_FAILURE = re.compile(r"answered (\d{3}) (.*)\Z", re.DOTALL)
_JSON = {"Content-Type": "application/json"}


def _service(emulator: Emulator) -> tuple[str, str, str]:
    """(service name, host, path) of the provider the emulator sends email through."""
    provider = emulator.email_provider
    if isinstance(provider, ResendHttpProvider):
        url = urlsplit(provider.base_url)
        return "Resend", url.netloc, f"{url.path.rstrip('/')}/emails"
    if isinstance(provider, SmtpProvider):
        return "SMTP", f"{provider.host}:{provider.port}", "/"
    return "Resend", "api.resend.com", "/emails"  # in-process: the emulated Resend


def request_body(emulator: Emulator, message: Message) -> dict[str, Any]:
    """The Resend body recorded on the captured email, else the same body built again."""
    provider = emulator.email_provider
    sink = provider.sink if isinstance(provider, InProcessProvider) else None
    if isinstance(sink, Mailbox) and message.provider_id is not None:
        try:
            captured = sink.get(message.provider_id)
        except UnknownEmailError:
            captured = None  # deleted or evicted since: build it again
        if captured is not None and captured.resend_request is not None:
            return dict(captured.resend_request)
    outgoing = emulator.outgoing_email(message.id)
    provenance = bool(getattr(provider, "provenance_headers", True))
    return resend_request_body(outgoing, with_provenance=provenance)


def _response(attempt: DeliveryAttempt, service: str) -> dict[str, Any]:
    if attempt.ok:
        status = 250 if service == "SMTP" else 200
        return {"status": status, "headers": _JSON, "body": {"id": attempt.provider_id}}
    error = attempt.error or ""
    if service == "SMTP":
        found = _SMTP_FAILURE.search(error)
        if found:
            return {"status": int(found[1]), "headers": None, "body": found[2]}
    else:
        found = _RESEND_FAILURE.search(error)
        if found:
            status = int(found[1])
            body = {"statusCode": status, "name": found[2], "message": found[3]}
            return {"status": status, "headers": _JSON, "body": body}
    if attempt.status is not None:
        return {"status": attempt.status, "headers": None, "body": error}
    return {"headers": None, "body": error}  # no response at all (the connection failed)


def delivery_logs(emulator: Emulator, message: Message) -> list[dict[str, Any]]:
    """MessageDeliveryLog JSON per attempt, newest first."""
    if message.channel_type != "email":
        return []
    tried = list(enumerate(message.deliveries, start=1))
    if not tried:
        return []
    service, host, path = _service(emulator)
    headers = dict(_JSON)
    provider = emulator.email_provider
    if isinstance(provider, ResendHttpProvider) and provider.idempotency:
        headers["Idempotency-Key"] = message.id
    request = {
        "method": "POST",
        "host": host,
        "path": path,
        "query": None,
        "headers": headers,
        "body": request_body(emulator, message),
    }
    return [
        {
            "__typename": "MessageDeliveryLog",
            "id": f"{message.id}-attempt-{number}",
            "environment_id": ENVIRONMENT_ID,
            "service_name": service,
            "inserted_at": iso(attempt.at),
            "request": request,
            "response": _response(attempt, service),
        }
        for number, attempt in reversed(tried)
    ]


def list_delivery_logs(ctx: KnockContext, request: Request, body: dict[str, Any]) -> Response:
    message = _message(ctx, request.path_params["message_id"])
    logs = delivery_logs(ctx.emulator, message)
    page, info = paginate(logs, lambda log: str(log["id"]), request.query_params)
    return json_response({"items": page, "page_info": info})
