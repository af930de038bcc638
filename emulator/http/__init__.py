"""HTTP: the Knock-compatible API, the Resend-compatible API, the inspection API and inspector,
all mountable on one Starlette app, and a background uvicorn runner for tests (port 0)."""

from emulator.http._app import create_app
from emulator.http._guard import LOOPBACK_HOSTS, RequestGuard, parse_allowed_host
from emulator.http._server import ServerError, ServerThread
from emulator.http.inspect import Inspection, RelayConfigError, SmtpRelay, load_relay_config
from emulator.http.knock import authorize_client, knock_app, parse_origin
from emulator.http.linkcheck import fetch_responder, parse_allow_list
from emulator.http.resend import create_resend_app, email_json

__all__ = [
    "LOOPBACK_HOSTS",
    "Inspection",
    "RelayConfigError",
    "RequestGuard",
    "ServerError",
    "ServerThread",
    "SmtpRelay",
    "authorize_client",
    "create_app",
    "create_resend_app",
    "email_json",
    "fetch_responder",
    "knock_app",
    "load_relay_config",
    "parse_allow_list",
    "parse_allowed_host",
    "parse_origin",
]
