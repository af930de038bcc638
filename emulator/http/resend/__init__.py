"""The Resend-compatible API (`/emails...`), answering in resend-api.yml's shapes."""

from emulator.http.resend._app import create_resend_app, email_json

__all__ = [
    "create_resend_app",
    "email_json",
]
