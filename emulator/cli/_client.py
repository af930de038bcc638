"""`doorstep serve`'s options for browser clients (enhanced security, the signing key, CORS
origins, allowed Host names) and `doorstep signing-key`."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import TextIO

from emulator.cli._args import flag, option, typed


def _origins(text: str) -> tuple[str, ...]:
    """Comma-separated CORS origins (the environment twin of repeated --cors-origin)."""
    from emulator.http import parse_origin

    return tuple(parse_origin(part) for part in text.split(",") if part.strip())


def _origin(text: str) -> str:
    from emulator.http import parse_origin

    return parse_origin(text)


def _allowed_host(text: str) -> str:
    from emulator.http import parse_allowed_host

    return parse_allowed_host(text)


def add_client_options(serve: argparse.ArgumentParser) -> None:
    """Browser clients: enhanced security, the signing key, CORS origins."""
    option(
        serve,
        "--enhanced-security",
        "DOORSTEP_ENHANCED_SECURITY",
        flag,
        False,
        "require a user token signed with the signing key on every pk_ request, like a Knock "
        "environment with enhanced security",
        nargs="?",
        const=True,
        metavar="BOOL",
    )
    option(
        serve,
        "--signing-key",
        "DOORSTEP_SIGNING_KEY_FILE",
        Path,
        None,
        "file with the RSA signing key user tokens are verified with, PEM or base64-encoded PEM "
        "(default: the KNOCK_SIGNING_KEY environment variable, as the app uses it)",
        metavar="FILE",
    )
    origins = _env_origins(serve)
    serve.add_argument(
        "--cors-origin",
        dest="cors_origins",
        action="append",
        type=typed(_origin),
        default=list(origins),
        metavar="ORIGIN",
        help="a browser origin allowed to call the Knock API besides loopback ones "
        "(http://localhost:*, http://127.0.0.1:*, http://[::1]:*), e.g. https://app.example.com "
        "or http://devbox:*; repeatable [env: DOORSTEP_CORS_ORIGINS, comma-separated]",
    )
    serve.add_argument(
        "--allowed-host",
        dest="allowed_hosts",
        action="append",
        type=typed(_allowed_host),
        default=list(_env_hosts(serve)),
        metavar="NAME",
        help="a Host name the HTTP server answers besides localhost, 127.0.0.1 and [::1] (any "
        "port); other names get 403, which stops DNS rebinding; repeatable "
        "[env: DOORSTEP_ALLOWED_HOSTS, comma-separated]",
    )


def _env_origins(parser: argparse.ArgumentParser) -> tuple[str, ...]:
    raw = os.environ.get("DOORSTEP_CORS_ORIGINS", "")
    try:
        return _origins(raw)
    except ValueError as exc:
        parser.error(f"environment variable DOORSTEP_CORS_ORIGINS={raw!r} is invalid: {exc}")


def _env_hosts(parser: argparse.ArgumentParser) -> tuple[str, ...]:
    raw = os.environ.get("DOORSTEP_ALLOWED_HOSTS", "")
    try:
        return tuple(_allowed_host(part) for part in raw.split(",") if part.strip())
    except ValueError as exc:
        parser.error(f"environment variable DOORSTEP_ALLOWED_HOSTS={raw!r} is invalid: {exc}")


def print_signing_key(out: TextIO, err: TextIO) -> int:
    """`doorstep signing-key`: the key on stdout (so `$(...)` captures it), usage on stderr."""
    from emulator import SigningKey

    print(SigningKey.generate().base64, file=out)
    print(SIGNING_KEY_USAGE, file=err)
    return 0


SIGNING_KEY_USAGE = """\
A new RSA signing key (base64-encoded PEM), for local use only. Use the same value in both:
  the app (server side): KNOCK_SIGNING_KEY=<key>   (signUserToken / emulator.sign_user_token)
  doorstep:              KNOCK_SIGNING_KEY=<key> doorstep serve --enhanced-security
                         (or from a file: doorstep serve --enhanced-security --signing-key FILE)
e.g. export KNOCK_SIGNING_KEY=$(doorstep signing-key 2>/dev/null)"""
