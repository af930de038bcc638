"""What the server fixtures hand a test (imported with the first such fixture: each frozen
dataclass costs ~0.5 ms to build, which every session would pay at start-up)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from emulator import Emulator
    from emulator.http import ServerThread
    from emulator.mail import Mailbox, ResendService, SmtpServer

KNOCK_PUBLIC_KEY = "pk_test_doorstep"


@dataclass(frozen=True)
class SmtpHandle:
    """What a test needs to point its code at the server: `host`, `port` and its `outbox`."""

    host: str
    port: int
    outbox: Mailbox
    server: SmtpServer

    @property
    def address(self) -> tuple[str, int]:
        """(host, port) for smtplib or the app under test."""
        return (self.host, self.port)


@dataclass(frozen=True)
class ResendHandle:
    """`base_url` and `api_key` for the `resend` SDK or httpx, and the test's `outbox`."""

    base_url: str
    api_key: str
    outbox: Mailbox
    service: ResendService
    server: ServerThread


@dataclass(frozen=True)
class KnockHandle:
    """The Knock API over this test's emulator: `base_url`, `api_key`, `client()`; for browser
    clients `public_key`, `signing_key` (base64-encoded PEM) and `user_token(user_id)`."""

    base_url: str
    api_key: str
    emulator: Emulator
    public_key: str = KNOCK_PUBLIC_KEY
    signing_key: str | None = None
    enhanced_security: bool = False

    def client(self) -> Any:
        """An official `knockapi.Knock` client pointed at the emulator (no retries)."""
        from knockapi import Knock

        return Knock(api_key=self.api_key, base_url=self.base_url, max_retries=0)

    def user_token(self, user_id: str, expires_in: int = 3600) -> str:
        """A user token for `user_id` signed with this API's key (`X-Knock-User-Token`)."""
        from emulator import sign_user_token

        return sign_user_token(user_id, self.signing_key, expires_in=expires_in)
