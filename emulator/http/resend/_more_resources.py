"""Resend's endpoints for templates, suppressions, events and automations (with their runs),
request logs and OAuth grants.

Built like `_resources.py`: each route calls a resource store of `ResendService.account` through
`Handlers`, behind `_app.py`'s key, rate-limit and body checks.
"""

from __future__ import annotations

from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

from starlette.requests import Request

from emulator.http.resend._checked import raw_body
from emulator.http.resend._handlers import Handlers, Route
from emulator.mail import ResendApiError


def more_routes(h: Handlers) -> list[Route]:
    """(path, method, handler, success status) of each endpoint this module serves."""
    return [
        *_template_routes(h),
        *_suppression_routes(h),
        *_event_routes(h),
        *_automation_routes(h),
        ("/logs", "GET", h.listing("logs", "list"), 200),
        ("/logs/{log_id}", "GET", h.by_id("logs", "get", "log_id"), 200),
        *_claim_routes(h),
        ("/oauth/grants", "GET", h.listing("oauth_grants", "list"), 200),
        (
            "/oauth/grants/{oauth_grant_id}",
            "DELETE",
            h.by_id("oauth_grants", "revoke", "oauth_grant_id"),
            200,
        ),
    ]


def _template_routes(h: Handlers) -> list[Route]:
    one = "/templates/{id}"
    return [
        ("/templates", "POST", h.create("templates", "create"), 201),
        ("/templates", "GET", h.listing("templates", "list"), 200),
        (one, "GET", h.by_id("templates", "get", "id"), 200),
        (one, "PATCH", h.by_id("templates", "update", "id", body=True), 200),
        (one, "DELETE", h.by_id("templates", "remove", "id"), 200),
        (one + "/publish", "POST", h.by_id("templates", "publish", "id"), 200),
        (one + "/duplicate", "POST", h.by_id("templates", "duplicate", "id"), 200),
    ]


def _suppression_routes(h: Handlers) -> list[Route]:
    one = "/suppressions/{suppression}"

    async def listed(request: Request) -> dict[str, Any]:
        result: dict[str, Any] = h.store(request, "suppressions").list(
            *h.page_of(request), request.query_params.get("origin")
        )
        return result

    return [
        ("/suppressions", "POST", h.create("suppressions", "create"), 201),
        ("/suppressions", "GET", listed, 200),
        ("/suppressions/batch/add", "POST", h.create("suppressions", "batch_add"), 201),
        ("/suppressions/batch/remove", "POST", h.create("suppressions", "batch_remove"), 200),
        (one, "GET", h.by_id("suppressions", "get", "suppression"), 200),
        (one, "DELETE", h.by_id("suppressions", "remove", "suppression"), 200),
    ]


def _event_routes(h: Handlers) -> list[Route]:
    one = "/events/{identifier}"
    return [
        ("/events", "POST", h.create("events", "create"), 201),
        ("/events", "GET", h.listing("events", "list"), 200),
        ("/events/send", "POST", h.create("events", "send"), 202),
        (one, "GET", h.by_id("events", "get", "identifier"), 200),
        (one, "PATCH", h.by_id("events", "update", "identifier", body=True), 200),
        (one, "DELETE", h.by_id("events", "remove", "identifier"), 200),
    ]


def _automation_routes(h: Handlers) -> list[Route]:
    one = "/automations/{automation_id}"

    async def listed(request: Request) -> dict[str, Any]:
        result: dict[str, Any] = h.store(request, "automations").list(
            *h.page_of(request), request.query_params.get("status")
        )
        return result

    async def runs(request: Request) -> dict[str, Any]:
        result: dict[str, Any] = h.store(request, "automations").list_runs(
            str(request.path_params["automation_id"]),
            *h.page_of(request),
            request.query_params.get("status"),
        )
        return result

    async def run(request: Request) -> dict[str, Any]:
        params = request.path_params
        result: dict[str, Any] = h.store(request, "automations").get_run(
            str(params["automation_id"]), str(params["run_id"])
        )
        return result

    return [
        ("/automations", "POST", h.create("automations", "create"), 201),
        ("/automations", "GET", listed, 200),
        (one, "GET", h.by_id("automations", "get", "automation_id"), 200),
        (one, "PATCH", h.by_id("automations", "update", "automation_id", body=True), 200),
        (one, "DELETE", h.by_id("automations", "remove", "automation_id"), 200),
        (one + "/duplicate", "POST", h.by_id("automations", "duplicate", "automation_id"), 201),
        (one + "/stop", "POST", h.by_id("automations", "stop", "automation_id"), 200),
        (one + "/runs", "GET", runs, 200),
        (one + "/runs/{run_id}", "GET", run, 200),
    ]


def _claim_routes(h: Handlers) -> list[Route]:
    async def create(request: Request) -> dict[str, Any]:
        service = h.service_of(request)
        claim, new = service.change_account("domain_claims", "create", h.body_of(request))
        request.state.status = 201 if new else 200  # an identical pending claim: 200
        result: dict[str, Any] = claim
        return result

    one = "/domains/{domain_id}/claim"
    return [
        ("/domains/claim", "POST", create, 201),
        (one, "GET", h.by_id("domain_claims", "get", "domain_id"), 200),
        (one + "/verify", "POST", h.by_id("domain_claims", "verify", "domain_id"), 200),
    ]


def import_routes(h: Handlers) -> list[Route]:
    """`/contacts/imports...`: listed before `/contacts/{id}`, which would take `imports`."""

    async def create(request: Request) -> dict[str, Any]:
        form = multipart_form(request.headers.get("content-type", ""), raw_body(request))
        return h.change(request, "contact_imports", "create", form)

    async def listed(request: Request) -> dict[str, Any]:
        result: dict[str, Any] = h.store(request, "contact_imports").list(
            *h.page_of(request), request.query_params.get("status")
        )
        return result

    return [
        ("/contacts/imports", "POST", create, 201),
        ("/contacts/imports", "GET", listed, 200),
        ("/contacts/imports/{id}", "GET", h.by_id("contact_imports", "get", "id"), 200),
    ]


def multipart_form(content_type: str, raw: bytes) -> dict[str, str]:
    """The fields of a `multipart/form-data` body (a file as UTF-8 text), or Resend's 422."""
    if not content_type.lower().startswith("multipart/form-data"):
        raise ResendApiError(
            422, "validation_error", "Send the import as multipart/form-data with a `file`."
        )
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = BytesParser(policy=HTTP).parsebytes(head + raw)
    form: dict[str, str] = {}
    for part in message.iter_parts() if message.is_multipart() else ():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        if isinstance(name, str) and isinstance(payload, bytes):
            form[name] = payload.decode("utf-8", "replace")
    return form
