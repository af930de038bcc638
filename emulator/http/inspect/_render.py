"""What every inspector page shares: the Jinja2 environment (autoescaping, the `when` and
`segment` filters), the page and email Content-Security-Policies, and the page renderer."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from emulator.http.inspect._inspection import Inspection
from emulator.http.inspect._shapes import iso

HERE = Path(__file__).parent
PAGE_SIZE = 50
PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; "
    "frame-ancestors 'none'"
)
# The captured HTML itself: a sandboxed document with no script, framed only by the inspector.
EMAIL_CSP = (
    "sandbox; default-src 'none'; img-src data: http: https:; style-src 'unsafe-inline' "
    "http: https:; font-src data: http: https:; frame-ancestors 'self'"
)
# The inspector's preview: links open a new tab (Mailpit does the same), remote images, styles
# and fonts load only after "Show remote content" (so opening an email tells no tracker).
NEW_TAB = '<base target="_blank">'
_EMAIL_SANDBOX = "sandbox allow-popups allow-popups-to-escape-sandbox; default-src 'none'; "
EMAIL_CSP_LOCAL = (
    _EMAIL_SANDBOX + "img-src data:; style-src 'unsafe-inline'; font-src data:; "
    "frame-ancestors 'self'"
)
EMAIL_CSP_REMOTE = (
    _EMAIL_SANDBOX + "img-src data: http: https:; style-src 'unsafe-inline' http: https:; "
    "font-src data: http: https:; frame-ancestors 'self'"
)
ADVANCE_BUTTONS = (("+1 min", 60), ("+5 min", 300), ("+1 hour", 3600), ("+1 day", 86400))

ENV = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
# one path segment: `/` and `?` in a user id are escaped (Jinja's urlencode keeps `/`)
ENV.filters["segment"] = lambda v: quote(str(v), safe="")


def _when(value: Any) -> Markup:
    """One timestamp format everywhere: `<time>` with the ISO instant, which the page's script
    shows in the reader's locale (the ISO form stays on hover and without script)."""
    text = iso(value) if isinstance(value, datetime) else str(value or "")
    if not text:
        return Markup("")
    return Markup('<time datetime="{0}" title="{0}">{0}</time>').format(text)


ENV.filters["when"] = _when


def static_mount() -> Mount:
    """`/ui/static/`: the inspector's own CSS and JS (the only scripts `PAGE_CSP` allows)."""
    return Mount("/ui/static", app=StaticFiles(directory=HERE / "static"), name="static")


def page(request: Request, inspection: Inspection, template: str, **values: Any) -> Response:
    outbox = inspection.emulator.outbox
    latest = outbox.latest()
    html = ENV.get_template(template).render(
        request_path=request.url.path,
        back=request.url.path + (f"?{request.url.query}" if request.url.query else ""),
        clock=inspection.clock_json(),
        buttons=ADVANCE_BUTTONS,
        latest_email=latest.id if latest else "",
        unread_total=inspection.counts()[1],
        **values,
    )
    return HTMLResponse(html, headers=security_headers(PAGE_CSP))


def security_headers(csp: str) -> dict[str, str]:
    """Headers for anything the inspector renders: `csp`, no sniffing, no caching."""
    return {
        "Content-Security-Policy": csp,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "Cache-Control": "no-store",
    }


def text(status: int, message: str) -> Response:
    return Response(message, status_code=status, media_type="text/plain; charset=utf-8")
