"""The inspection API (`/api/...`, Mailpit's `/api/v1`), live events and the web inspector."""

from emulator.http.inspect._api import error_response
from emulator.http.inspect._events import events_route
from emulator.http.inspect._inspection import Inspection
from emulator.http.inspect._pages import inspector_routes
from emulator.http.inspect._relay_config import RelayConfigError, SmtpRelay, load_relay_config
from emulator.http.inspect._render import static_mount
from emulator.http.inspect._routes import inspect_routes
from emulator.http.inspect._shapes import iso, jsonable
from emulator.http.inspect._view import view_routes

__all__ = [
    "Inspection",
    "RelayConfigError",
    "SmtpRelay",
    "error_response",
    "events_route",
    "inspect_routes",
    "inspector_routes",
    "iso",
    "jsonable",
    "load_relay_config",
    "static_mount",
    "view_routes",
]
