"""`Handlers`: makes the route handlers of Resend's resource endpoints (`_resources.py`,
`_more_resources.py`) from the service, body and page readers of `_app.py`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request

from emulator.http.resend._checked import raw_body
from emulator.mail import ResendApiError, ResendService

Handler = Callable[[Request], Awaitable[dict[str, Any]]]
Route = tuple[str, str, Handler, int]


@dataclass(frozen=True, slots=True)
class Handlers:
    """Makes handlers that read a request through `_app.py`'s service, body and page readers."""

    service_of: Callable[[Request], ResendService]
    body_of: Callable[[Request], Any]
    page_of: Callable[[Request], tuple[int, str | None, str | None]]

    def store(self, request: Request, name: str) -> Any:
        """A resource store, to read from (changes go through `change`)."""
        return getattr(self.service_of(request).account, name)

    def change(
        self, request: Request, store: str, method: str, *args: Any, **kwargs: Any
    ) -> dict[str, Any]:
        """Call a store's method that changes something, through the service (journaled)."""
        service = self.service_of(request)
        result: dict[str, Any] = service.change_account(store, method, *args, **kwargs)
        return result

    def listing(self, store: str, method: str) -> Handler:
        async def handler(request: Request) -> dict[str, Any]:
            result: dict[str, Any] = getattr(self.store(request, store), method)(
                *self.page_of(request)
            )
            return result

        return handler

    def create(self, store: str, method: str, *extra: str) -> Handler:
        async def handler(request: Request) -> dict[str, Any]:
            return self.change(request, store, method, self.body_of(request), *extra)

        return handler

    def by_id(self, store: str, method: str, name: str, *extra: str, body: bool = False) -> Handler:
        async def handler(request: Request) -> dict[str, Any]:
            args: tuple[Any, ...] = (str(request.path_params[name]),)
            if body:
                args += (self.body_of(request),)
            if method == "get" or method.startswith("get_"):  # a read
                result: dict[str, Any] = getattr(self.store(request, store), method)(*args, *extra)
                return result
            return self.change(request, store, method, *args, *extra)

        return handler

    async def list_contacts(self, request: Request) -> dict[str, Any]:
        segment = request.path_params.get("audience_id") or request.query_params.get("segment_id")
        result: dict[str, Any] = self.store(request, "contacts").list_contacts(
            *self.page_of(request), segment
        )
        return result

    async def create_in_audience(self, request: Request) -> dict[str, Any]:
        audience = str(request.path_params["audience_id"])
        return self.change(request, "contacts", "create_contact", self.body_of(request), audience)

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
        raw = raw_body(request)
        body = self.body_of(request) if raw.strip() else {}
        if not isinstance(body, dict) or not isinstance(body.get("expires_in", ""), str):
            raise ResendApiError(
                422, "validation_error", "The `expires_in` field must be a string."
            )
        email_id = self.service_of(request).get(str(request.path_params["email_id"])).id
        url = f"{str(request.base_url).rstrip('/')}/ui/email/{email_id}"
        return {"object": "email", "id": email_id, "url": url}

    async def send_broadcast(self, request: Request) -> dict[str, Any]:
        raw = raw_body(request)
        body = self.body_of(request) if raw.strip() else {}  # no body: send now
        return self.change(request, "broadcasts", "send", str(request.path_params["id"]), body)

    async def contact_topics(self, request: Request) -> dict[str, Any]:
        result: dict[str, Any] = self.store(request, "topics").contact_topics(
            str(request.path_params["contact_id"]), *self.page_of(request)
        )
        return result

    def membership(self, *, remove: bool) -> Handler:
        async def handler(request: Request) -> dict[str, Any]:
            key, segment = request.path_params["contact_id"], request.path_params["segment_id"]
            return self.change(
                request, "contacts", "add_to_segment", str(key), str(segment), remove=remove
            )

        return handler
