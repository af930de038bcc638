"""Mail servers: one SMTP and one Resend server per session (per xdist worker), on port 0.

Isolation: each server delivers into a `MailRouter`; the function fixtures swap in a fresh
`Mailbox` with `router.scoped(...)` for the test, so no test ever sees another test's mail.
Workers are separate processes with their own servers, so nothing is shared across them.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

from pytest_plugin._options import Settings

if TYPE_CHECKING:
    from emulator import Emulator
    from emulator.http import ServerThread
    from emulator.mail import MailRouter, ResendService, SmtpServer
    from pytest_plugin._handles import KnockHandle, ResendHandle, SmtpHandle

RESEND_API_KEY = "re_doorstep_test"


@pytest.fixture(scope="session")
def doorstep_smtp_session() -> Iterator[tuple[SmtpServer, MailRouter]]:
    """The session's (worker's) SMTP server on 127.0.0.1, port 0, and its router."""
    from emulator.mail import MailRouter, SmtpServer

    router = MailRouter()
    server = SmtpServer(router, port=0).start()
    yield server, router
    server.stop()


@pytest.fixture
def smtp_server(
    request: pytest.FixtureRequest, doorstep_smtp_session: tuple[SmtpServer, MailRouter]
) -> Iterator[SmtpHandle]:
    """The shared SMTP server, capturing this test's mail into a fresh `outbox`."""
    from emulator.mail import Mailbox
    from pytest_plugin._handles import SmtpHandle

    server, router = doorstep_smtp_session
    mailbox = Mailbox(name=f"smtp:{request.node.nodeid}")
    with router.scoped(mailbox):
        yield SmtpHandle(server.host, server.port, mailbox, server)


@pytest.fixture(scope="session")
def doorstep_resend_session() -> Iterator[tuple[ServerThread, MailRouter, ResendService]]:
    """The session's (worker's) Resend-compatible API on 127.0.0.1, port 0."""
    from emulator.http import ServerThread, create_resend_app
    from emulator.mail import MailRouter, ResendService

    router = MailRouter()
    service = ResendService(router)
    server = ServerThread(create_resend_app(service)).start()
    yield server, router, service
    server.stop()


@pytest.fixture
def resend_server(
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
    doorstep_resend_session: tuple[ServerThread, MailRouter, ResendService],
) -> Iterator[ResendHandle]:
    """The shared Resend API with a fresh `outbox` for this test; `RESEND_API_URL` and, when
    the `resend` SDK is installed, `resend.api_url`/`resend.api_key` point at it meanwhile."""
    from emulator.mail import Mailbox
    from pytest_plugin._handles import ResendHandle

    server, router, service = doorstep_resend_session
    mailbox = Mailbox(name=f"resend:{request.node.nodeid}")
    monkeypatch.setenv("RESEND_API_URL", server.base_url)
    monkeypatch.setenv("RESEND_API_KEY", RESEND_API_KEY)
    sdk = _optional("resend")
    if sdk is not None:
        monkeypatch.setattr(sdk, "api_url", server.base_url, raising=False)
        monkeypatch.setattr(sdk, "api_key", RESEND_API_KEY, raising=False)
    with router.scoped(mailbox):
        yield ResendHandle(server.base_url, RESEND_API_KEY, mailbox, service, server)


def _optional(name: str) -> Any:
    import importlib

    try:
        return importlib.import_module(name)
    except ImportError:
        return None


KNOCK_API_KEY = "sk_test_doorstep"


class _CurrentApp:
    """ASGI app that forwards to the running test's Knock app (one test at a time per worker)."""

    def __init__(self) -> None:
        self.app: Any = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        app = self.app
        if app is None:
            if scope["type"] != "http":
                return
            body = b'{"code":"no_test","message":"no test is using the knock_api fixture now"}'
            await send({"type": "http.response.start", "status": 503, "headers": []})
            await send({"type": "http.response.body", "body": body})
            return
        await app(scope, receive, send)


@pytest.fixture(scope="session")
def doorstep_knock_session() -> Iterator[tuple[ServerThread, _CurrentApp]]:
    """The session's (worker's) Knock API server on 127.0.0.1, port 0."""
    from emulator.http import ServerThread

    current = _CurrentApp()
    server = ServerThread(current).start()
    yield server, current
    server.stop()


@functools.cache
def _session_signing_key() -> str:
    """A key made once per session (worker) when none is configured: RSA keys are slow to make."""
    from emulator import SigningKey

    return SigningKey.generate().base64


def _signing_key(settings: Settings) -> str:
    """The configured key, else the app's KNOCK_SIGNING_KEY, else the session's own."""
    if settings.signing_key is not None:
        return settings.signing_key
    from_env = os.environ.get("KNOCK_SIGNING_KEY")
    if from_env:
        from emulator import SigningKey, SigningKeyError

        try:
            return SigningKey.from_text(from_env, "KNOCK_SIGNING_KEY").base64
        except SigningKeyError as exc:
            pytest.fail(f"knock_api: {exc}", pytrace=False)
    return _session_signing_key()


@pytest.fixture
def knock_api(
    emulator: Emulator,
    doorstep_settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    doorstep_knock_session: tuple[ServerThread, _CurrentApp],
) -> Iterator[KnockHandle]:
    """Knock's `/v1` API over the test's `emulator`; `KNOCK_BASE_URL`, `KNOCK_API_KEY` and
    `KNOCK_SIGNING_KEY` are set meanwhile so code that builds its own `knockapi.Knock()` or
    signs user tokens finds it. With the `enhanced_security` setting every `pk_` request needs
    a user token (`knock_api.user_token("u1")`)."""
    from emulator.http import knock_app
    from pytest_plugin._handles import KnockHandle

    server, current = doorstep_knock_session
    key = _signing_key(doorstep_settings)
    monkeypatch.setenv("KNOCK_BASE_URL", server.base_url)
    monkeypatch.setenv("KNOCK_API_KEY", KNOCK_API_KEY)
    monkeypatch.setenv("KNOCK_SIGNING_KEY", key)
    enhanced = doorstep_settings.enhanced_security
    current.app = knock_app(emulator, enhanced_security=enhanced, signing_key=key)
    try:
        yield KnockHandle(
            server.base_url, KNOCK_API_KEY, emulator, signing_key=key, enhanced_security=enhanced
        )
    finally:
        current.app = None
