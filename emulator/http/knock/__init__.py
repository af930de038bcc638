"""The Knock-compatible API (`/v1/...`): one module per resource, in knock-api.yml's shapes.

`authorize_client` is the one check of a client's key and user token, shared by the HTTP API
and the realtime socket."""

from emulator.http.knock._app import knock_app
from emulator.http.knock._auth import authorize_client
from emulator.http.knock._context import KnockContext
from emulator.http.knock._core import payload_too_large
from emulator.http.knock._cors import CorsPolicy, parse_origin

__all__ = [
    "CorsPolicy",
    "KnockContext",
    "authorize_client",
    "knock_app",
    "parse_origin",
    "payload_too_large",
]
