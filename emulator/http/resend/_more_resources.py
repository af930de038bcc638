"""Resend's endpoints for templates and suppressions (more to come in this module: events,
automations, logs, OAuth grants, domain claims, contact imports).

Built like `_resources.py`: each route calls a resource store of `ResendService.account` through
`Handlers`, behind `_app.py`'s key, rate-limit and body checks.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from emulator.http.resend._handlers import Handlers, Route


def more_routes(h: Handlers) -> list[Route]:
    """(path, method, handler, success status) of each templates and suppressions endpoint."""
    return [*_template_routes(h), *_suppression_routes(h)]


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
