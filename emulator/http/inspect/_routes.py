"""Every `/api/...` route of the inspection API: our own and Mailpit's, one table."""

from __future__ import annotations

from functools import partial

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from emulator.http.inspect._api import ROUTES, Handler, respond
from emulator.http.inspect._inspection import Inspection
from emulator.http.inspect._mailpit_api import MAILPIT_ROUTES


def inspect_routes(inspection: Inspection) -> list[Route]:
    """Every `/api/...` route over `inspection`; `_app.create_app` puts them in the one app.

    One Route per path, dispatching by method, so a 405 names every allowed method in `Allow`
    (Starlette's 405 only knows the methods of the first route whose path matched).
    """
    by_path: dict[str, dict[str, Handler]] = {}
    for path, handler, method in (*ROUTES, *MAILPIT_ROUTES):
        by_path.setdefault(path, {})[method] = handler
    return [
        Route(path, partial(_dispatch, handlers, inspection), methods=list(handlers))
        for path, handlers in by_path.items()
    ]


async def _dispatch(
    handlers: dict[str, Handler], inspection: Inspection, request: Request
) -> Response:
    """Run the handler for the request's method (HEAD is answered as GET)."""
    method = "GET" if request.method == "HEAD" else request.method
    return await respond(handlers[method], inspection, request)
