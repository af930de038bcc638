"""The Resend-compatible API (`/emails...`), answering in resend-api.yml's shapes."""

from emulator.http.resend._app import (
    create_resend_app,
    email_json,
    is_resend_path,
    payload_too_large,
)

__all__ = [
    "create_resend_app",
    "email_json",
    "is_resend_path",
    "payload_too_large",
]
