"""HTTP: the Knock-compatible API, the Resend-compatible API, the inspection API and inspector,
all mountable on one Starlette app, and a background uvicorn runner for tests (port 0)."""

from ._app import create_app
from ._inspect import Inspection
from ._knock import knock_app
from ._resend import create_resend_app, email_json
from ._server import ServerError, ServerThread

__all__ = [
    "Inspection",
    "ServerError",
    "ServerThread",
    "create_app",
    "create_resend_app",
    "email_json",
    "knock_app",
]
