"""Resend's endpoints beyond `/emails`: domains, API keys, webhooks, segments (audiences),
contacts, topics and contact properties.

Each handler reads the JSON body and path, calls the service's resource stores
(`ResendService.domains`, `.contacts`) and returns resend-api.yml's shape; `_app.py` wraps them
in the same key, rate-limit and body checks as the email endpoints. Creates answer 201.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from emulator.http.resend._handlers import Handlers, Route
from emulator.http.resend._more_resources import import_routes, more_routes
from emulator.mail import ResendApiError, ResendService


def resource_handlers(
    service_of: Callable[[Request], ResendService],
    body_of: Callable[[Request], Any],
    page_of: Callable[[Request], tuple[int, str | None, str | None]],
) -> list[Route]:
    """(path, method, handler, success status) of every resource endpoint."""
    h = Handlers(service_of, body_of, page_of)
    share: Route = ("/emails/{email_id}/share", "POST", h.share_email, 200)
    routes = [*_account_routes(h), *_contact_routes(h), *_topic_routes(h), *_broadcast_routes(h)]
    return [share, *import_routes(h), *routes, *more_routes(h)]


def _broadcast_routes(h: Handlers) -> list[Route]:
    one = "/broadcasts/{id}"
    return [
        ("/broadcasts", "POST", h.create("broadcasts", "create"), 201),
        ("/broadcasts", "GET", h.listing("broadcasts", "list"), 200),
        (one, "GET", h.by_id("broadcasts", "get", "id"), 200),
        (one, "PATCH", h.by_id("broadcasts", "update", "id", body=True), 200),
        (one, "DELETE", h.by_id("broadcasts", "remove", "id"), 200),
        (one + "/send", "POST", h.send_broadcast, 200),
        (one + "/cancel", "POST", h.by_id("broadcasts", "cancel", "id"), 200),
        (one + "/recipients", "GET", h.paged_by_id("broadcasts", "sent_to"), 200),
        (one + "/clicked-links", "GET", h.paged_by_id("broadcasts", "clicked_links"), 200),
    ]


def _topic_routes(h: Handlers) -> list[Route]:
    topic, prop, mine = "/topics/{id}", "/contact-properties/{id}", "/contacts/{contact_id}/topics"
    return [
        ("/topics", "POST", h.create("topics", "create_topic"), 201),
        ("/topics", "GET", h.listing("topics", "list_topics"), 200),
        (topic, "GET", h.by_id("topics", "get_topic", "id"), 200),
        (topic, "PATCH", h.by_id("topics", "update_topic", "id", body=True), 200),
        (topic, "DELETE", h.by_id("topics", "remove_topic", "id"), 200),
        (mine, "GET", h.contact_topics, 200),
        (mine, "PATCH", h.by_id("topics", "update_contact_topics", "contact_id", body=True), 200),
        ("/contact-properties", "POST", h.create("topics", "create_property"), 201),
        ("/contact-properties", "GET", h.listing("topics", "list_properties"), 200),
        (prop, "GET", h.by_id("topics", "get_property", "id"), 200),
        (prop, "PATCH", h.by_id("topics", "update_property", "id", body=True), 200),
        (prop, "DELETE", h.by_id("topics", "remove_property", "id"), 200),
    ]


def _account_routes(h: Handlers) -> list[Route]:
    domain, key, hook = "/domains/{domain_id}", "/api-keys/{api_key_id}", "/webhooks/{webhook_id}"
    return [
        ("/domains", "POST", h.create("domains", "create_domain"), 201),
        ("/domains", "GET", h.listing("domains", "list_domains"), 200),
        (domain, "GET", h.by_id("domains", "get_domain", "domain_id"), 200),
        (domain, "PATCH", h.by_id("domains", "update_domain", "domain_id", body=True), 200),
        (domain, "DELETE", h.by_id("domains", "remove_domain", "domain_id"), 200),
        (domain + "/verify", "POST", h.by_id("domains", "verify_domain", "domain_id"), 200),
        ("/api-keys", "POST", h.create("domains", "create_api_key"), 201),
        ("/api-keys", "GET", h.listing("domains", "list_api_keys"), 200),
        (key, "PATCH", h.by_id("domains", "update_api_key", "api_key_id", body=True), 200),
        (key, "DELETE", h.by_id("domains", "remove_api_key", "api_key_id"), 200),
        ("/webhooks", "POST", h.create("contacts", "create_webhook"), 201),
        ("/webhooks", "GET", h.listing("contacts", "list_webhooks"), 200),
        (hook, "GET", h.by_id("contacts", "get_webhook", "webhook_id"), 200),
        (hook, "PATCH", h.by_id("contacts", "update_webhook", "webhook_id", body=True), 200),
        (hook, "DELETE", h.by_id("contacts", "remove_webhook", "webhook_id"), 200),
    ]


def _contact_routes(h: Handlers) -> list[Route]:
    contact, member = "/contacts/{id}", "/contacts/{contact_id}/segments/{segment_id}"
    in_audience = "/audiences/{audience_id}/contacts"
    segments: list[Route] = []
    for kind, base in (("audience", "/audiences"), ("segment", "/segments")):
        segments += [
            (base, "POST", h.create("contacts", "create_segment", kind), 201),
            (base, "GET", h.listing("contacts", "list_segments"), 200),
            (base + "/{id}", "GET", h.by_id("contacts", "get_segment", "id", kind), 200),
            (base + "/{id}", "DELETE", h.by_id("contacts", "remove_segment", "id", kind), 200),
        ]
    return [
        *segments,
        ("/contacts", "POST", h.create("contacts", "create_contact"), 201),
        ("/contacts", "GET", h.list_contacts, 200),
        (contact, "GET", h.by_id("contacts", "get_contact", "id"), 200),
        (contact, "PATCH", h.by_id("contacts", "update_contact", "id", body=True), 200),
        (contact, "DELETE", h.by_id("contacts", "remove_contact", "id"), 200),
        ("/segments/{audience_id}/contacts", "GET", h.list_contacts, 200),
        ("/contacts/{contact_id}/segments", "GET", h.contact_segments, 200),
        (member, "POST", h.membership(remove=False), 200),
        (member, "DELETE", h.membership(remove=True), 200),
        (in_audience, "POST", h.create_in_audience, 201),
        (in_audience, "GET", h.list_contacts, 200),
        (in_audience + "/{id}", "GET", h.by_id("contacts", "get_contact", "id"), 200),
        (
            in_audience + "/{id}",
            "PATCH",
            h.by_id("contacts", "update_contact", "id", body=True),
            200,
        ),
        (in_audience + "/{id}", "DELETE", h.by_id("contacts", "remove_contact", "id"), 200),
    ]


def receiving_handlers(
    service_of: Callable[[Request], ResendService],
    page_of: Callable[[Request], tuple[int, str | None, str | None]],
) -> list[Route]:
    """`/emails/receiving...`: mail the SMTP server took for a receiving domain."""

    def base(request: Request) -> str:
        return str(request.base_url).rstrip("/")

    async def listed(request: Request) -> dict[str, Any]:
        return service_of(request).receiving.list(*page_of(request))

    async def one(request: Request) -> dict[str, Any]:
        return service_of(request).receiving.get(str(request.path_params["email_id"]))

    async def files(request: Request) -> dict[str, Any]:
        email_id = str(request.path_params["email_id"])
        receiving = service_of(request).receiving
        return receiving.attachments(email_id, base(request), *page_of(request))

    async def file(request: Request) -> dict[str, Any]:
        params = request.path_params
        return service_of(request).receiving.attachment_json(
            str(params["email_id"]), str(params["attachment_id"]), base(request)
        )

    one_path = "/emails/receiving/{email_id}"
    return [
        ("/emails/receiving", "GET", listed, 200),
        (one_path, "GET", one, 200),
        (one_path + "/attachments", "GET", files, 200),
        (one_path + "/attachments/{attachment_id}", "GET", file, 200),
    ]


async def received_file(request: Request) -> Response:
    """A received attachment's bytes, without key or rate checks (like a sent one's)."""
    service: ResendService = request.app.state.resend
    try:
        found = service.receiving.attachment(
            str(request.path_params["email_id"]), str(request.path_params["attachment_id"])
        )
    except ResendApiError as exc:
        return JSONResponse(exc.body(), status_code=exc.status)
    return Response(found.content, media_type=found.content_type)
