"""The Knock-compatible API (`/v1/...`): one module per resource, in knock-api.yml's shapes."""

from emulator.http.knock._app import knock_app

__all__ = [
    "knock_app",
]
