"""HTTP servers: a background uvicorn runner and the Resend-compatible API."""

from ._resend import create_resend_app, email_json
from ._server import ServerError, ServerThread

__all__ = ["ServerError", "ServerThread", "create_resend_app", "email_json"]
