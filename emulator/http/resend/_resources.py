"""Resend's endpoints beyond `/emails`: domains, API keys, webhooks, segments (audiences),
contacts, topics and contact properties.

Each handler reads the JSON body and path, calls the service's resource stores
(`ResendService.domains`, `.contacts`) and returns resend-api.yml's shape; `_app.py` wraps them
in the same key, rate-limit and body checks as the email endpoints. Creates answer 201.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from emulator.mail import ResendApiError, ResendService

Handler = Callable[[Request], Awaitable[dict[str, Any]]]
Route = tuple[str, str, Handler, int]


@dataclass(frozen=True, slots=True)
class _Handlers:
    """Makes handlers that read a request through `_app.py`'s service, body and page readers."""

    service_of: Callable[[Request], ResendService]
    body_of: Callable[[Request], Any]
    page_of: Callable[[Request], tuple[int, str | None, str | None]]

    def store(self, request: Request, name: str) -> Any:
        return getattr(self.service_of(request).account, name)

    def listing(self, store: str, method: str) -> Handler:
        async def handler(request: Request) -> dict[str, Any]:
            result: dict[str, Any] = getattr(self.store(request, store), method)(
                *self.page_of(request)
            )
            return result

        return handler

    def create(self, store: str, method: str, *extra: str) -> Handler:
        async def handler(request: Request) -> dict[str, Any]:
            result: dict[str, Any] = getattr(self.store(request, store), method)(
                self.body_of(request), *extra
            )
            return result

        return handler

    def by_id(self, store: str, method: str, name: str, *extra: str, body: bool = False) -> Handler:
        async def handler(request: Request) -> dict[str, Any]:
            args: tuple[Any, ...] = (str(request.path_params[name]),)
            if body:
                args += (self.body_of(request),)
            result: dict[str, Any] = getattr(self.store(request, store), method)(*args, *extra)
            return result

        return handler

    async def list_contacts(self, request: Request) -> dict[str, Any]:
        segment = request.path_params.get("audience_id") or request.query_params.get("segment_id")
        result: dict[str, Any] = self.store(request, "contacts").list_contacts(
            *self.page_of(request), segment
        )
        return result

    async def create_in_audience(self, request: Request) -> dict[str, Any]:
        result: dict[str, Any] = self.store(request, "contacts").create_contact(
            self.body_of(request), str(request.path_params["audience_id"])
        )
        return result

    async def contact_segments(self, request: Request) -> dict[str, Any]:
        result: dict[str, Any] = self.store(request, "contacts").contact_segments(
            str(request.path_params["contact_id"]), *self.page_of(request)
        )
        return result

    def paged_by_id(self, store: str, method: str) -> Handler:
        async def handler(request: Request) -> dict[str, Any]:
            result: dict[str, Any] = getattr(self.store(request, store), method)(
                str(request.path_params["id"]), *self.page_of(request)
            )
            return result

        return handler

    async def share_email(self, request: Request) -> dict[str, Any]:
        """`POST /emails/{id}/share`: a link to the email in Doorstep's inspector (`/ui/email/`);
        `expires_in` is accepted, and the link does not expire."""
        raw: bytes = request.state.raw
        body = self.body_of(request) if raw.strip() else {}
        if not isinstance(body, dict) or not isinstance(body.get("expires_in", ""), str):
            raise ResendApiError(
                422, "validation_error", "The `expires_in` field must be a string."
            )
        email_id = self.service_of(request).get(str(request.path_params["email_id"])).id
        url = f"{str(request.base_url).rstrip('/')}/ui/email/{email_id}"
        return {"object": "email", "id": email_id, "url": url}

    async def send_broadcast(self, request: Request) -> dict[str, Any]:
        raw: bytes = request.state.raw
        body = self.body_of(request) if raw.strip() else {}  # no body: send now
        result: dict[str, Any] = self.store(request, "broadcasts").send(
            str(request.path_params["id"]), body
        )
        return result

    async def contact_topics(self, request: Request) -> dict[str, Any]:
        result: dict[str, Any] = self.store(request, "topics").contact_topics(
            str(request.path_params["contact_id"]), *self.page_of(request)
        )
        return result

    def membership(self, *, remove: bool) -> Handler:
        async def handler(request: Request) -> dict[str, Any]:
            key, segment = request.path_params["contact_id"], request.path_params["segment_id"]
            result: dict[str, Any] = self.store(request, "contacts").add_to_segment(
                str(key), str(segment), remove=remove
            )
            return result

        return handler


def resource_handlers(
    service_of: Callable[[Request], ResendService],
    body_of: Callable[[Request], Any],
    page_of: Callable[[Request], tuple[int, str | None, str | None]],
) -> list[Route]:
    """(path, method, handler, success status) of every resource endpoint."""
    h = _Handlers(service_of, body_of, page_of)
    share: Route = ("/emails/{email_id}/share", "POST", h.share_email, 200)
    routes = [*_account_routes(h), *_contact_routes(h), *_topic_routes(h), *_broadcast_routes(h)]
    return [share, *routes]


def _broadcast_routes(h: _Handlers) -> list[Route]:
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


def _topic_routes(h: _Handlers) -> list[Route]:
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


def _account_routes(h: _Handlers) -> list[Route]:
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


def _contact_routes(h: _Handlers) -> list[Route]:
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
