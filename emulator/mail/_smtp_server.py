"""A fake SMTP server on aiosmtpd that captures into a Mailbox or MailRouter.

aiosmtpd's Controller connects to its own port after binding to prove the server is up; with
`port=0` that probe would dial port 0. `_Controller` reads the bound port back from the
listening socket first. Each `start()` builds a fresh Controller, so the server restarts
cleanly (on the same port once one was bound). STARTTLS uses a throwaway self-signed
certificate made with `cryptography` (install it, or pass `tls_context=`); `tls_required`
refuses every command but EHLO, HELO, NOOP, QUIT and STARTTLS until the client has upgraded.
"""

from __future__ import annotations

import contextlib
import re
import ssl
from collections.abc import Iterator
from types import TracebackType
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from emulator.mail._failures import FailureRule, Where
from emulator.mail._mailbox import Mailbox
from emulator.mail._mime import unescape_8bit
from emulator.mail._router import MailRouter
from emulator.mail._smtp_protocol import DEFAULT_DATA_LIMIT, _Smtp
from emulator.mail._smtp_tls import SmtpServerError, self_signed_context

_BARE_LF_DOT = re.compile(rb"(?<!\r)\n\.\.")  # a stuffed dot at the start of a bare-LF line


class _Handler:
    """aiosmtpd handler hooks: failure rules, then capture into the routed Mailbox."""

    def __init__(self, sink: Mailbox | MailRouter, auth_required: bool = False) -> None:
        self.sink = sink
        self.auth_required = auth_required
        self.probing = False

    def take(self, where: Where, recipients: list[str]) -> FailureRule | None:
        if isinstance(self.sink, MailRouter):
            rule = self.sink.failures.take(where, recipients)
            if rule is not None:
                return rule
        return self.sink.route(recipients).failures.take(where, recipients)

    @staticmethod
    def _fail(server: SMTP, rule: FailureRule) -> str:
        if rule.disconnect:
            if server.transport is not None:
                server.transport.close()
            return "421 4.4.2 Doorstep dropped the connection (injected)"
        return f"{rule.code} {rule.message}"

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        rule = self.take("smtp.mail", [])
        if rule is not None:
            return self._fail(server, rule)
        envelope.mail_from = unescape_8bit(address)  # 8-bit bytes arrive surrogate-escaped
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        rule = self.take("smtp.rcpt", [address])
        if rule is not None:
            return self._fail(server, rule)
        envelope.rcpt_tos.append(unescape_8bit(address))
        envelope.rcpt_options.extend(options)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        recipients = list(envelope.rcpt_tos)
        rule = self.take("smtp.data", recipients)
        if rule is not None:
            return self._fail(server, rule)
        raw = envelope.original_content or envelope.content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        # aiosmtpd undoes dot-stuffing after CRLF only; smtplib also stuffs after a bare LF, and
        # Mailpit (Go's textproto) undoes both, so "\n..x" is "\n.x" here too
        if b"\n.." in raw:
            raw = _BARE_LF_DOT.sub(b"\n.", raw)
        boxes: dict[int, Mailbox] = {}
        if isinstance(self.sink, Mailbox):
            boxes[0] = self.sink
        else:
            for rcpt in recipients:
                box = self.sink.route([rcpt])
                boxes.setdefault(id(box), box)
        ids = []
        try:
            for box in boxes.values():
                ids.append(
                    box.ingest_raw(
                        raw, envelope_from=envelope.mail_from or "", envelope_to=recipients
                    )
                )
        except Exception as exc:
            for box in boxes.values():
                box.stats.count("smtp_rejected")
            return f"451 4.3.0 Doorstep could not store the message ({type(exc).__name__}: {exc})"
        for box in boxes.values():
            box.stats.accepted(len(raw))
        return f"250 2.0.0 OK queued as {ids[0] if ids else 'nothing'}"


class _Controller(Controller):
    def __init__(self, handler: _Handler, **kwargs: Any) -> None:
        super().__init__(handler, **kwargs)
        self._doorstep = handler

    protocol: type[_Smtp] = _Smtp

    def factory(self) -> SMTP:
        return self.protocol(self.handler, **self.SMTP_kwargs)

    def _trigger_server(self) -> None:
        sockets: Any = getattr(self.server, "sockets", None)
        if sockets:
            self.port = sockets[0].getsockname()[1]
        self._doorstep.probing = True
        try:
            super()._trigger_server()  # type: ignore[no-untyped-call]
        finally:
            self._doorstep.probing = False


class SmtpServer:
    """Start with `start()` or as a context manager; `port` is the bound port."""

    def __init__(
        self,
        sink: Mailbox | MailRouter,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        data_size_limit: int = DEFAULT_DATA_LIMIT,
        credentials: tuple[str, str] | None = None,
        auth_required: bool = False,
        starttls: bool = False,
        tls_context: ssl.SSLContext | None = None,
        tls_required: bool = False,
        hostname: str = "doorstep.local",
    ) -> None:
        self.sink = sink
        self.host = host
        self.port = port
        self.data_size_limit = data_size_limit
        self.credentials = credentials
        self.auth_required = auth_required
        self.hostname = hostname
        self.tls_context = tls_context
        self.tls_required = tls_required
        if (starttls or tls_required) and tls_context is None:
            self.tls_context = self_signed_context(hostname)
        self._handler = _Handler(sink, auth_required)
        self._controller: _Controller | None = None

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        rule = self._handler.take("smtp.auth", [])
        if rule is not None:
            return AuthResult(success=False, handled=False, message=f"{rule.code} {rule.message}")
        if self.credentials is None:
            return AuthResult(success=True)
        if isinstance(data, LoginPassword):
            given = (
                data.login.decode("utf-8", "replace"),
                data.password.decode("utf-8", "replace"),
            )
            if given == self.credentials:
                return AuthResult(success=True)
        return AuthResult(success=False, handled=False)

    def start(self) -> SmtpServer:
        """Listen (port 0 picks a free one, read it from `port`); SmtpServerError when it cannot."""
        if self._controller is not None:
            return self
        kwargs: dict[str, Any] = {
            "hostname": self.host,
            "port": self.port,
            "server_hostname": self.hostname,
            "data_size_limit": self.data_size_limit,
            "authenticator": self._authenticate,
            "auth_require_tls": self.tls_required,
            "require_starttls": self.tls_required,
            "ready_timeout": 10.0,
        }
        if self.tls_context is not None:
            kwargs["tls_context"] = self.tls_context
        controller = _Controller(self._handler, **kwargs)
        try:
            controller.start()
        except Exception as exc:
            raise SmtpServerError(
                f"SMTP server could not start on {self.host}:{self.port} ({exc}); "
                "pick another port or use port=0"
            ) from exc
        self.port = controller.port
        self._controller = controller
        return self

    def stop(self) -> None:
        """Stop listening (idempotent)."""
        controller, self._controller = self._controller, None
        if controller is not None:
            controller.stop()

    def restart(self) -> SmtpServer:
        """Stop, then listen again on the same port."""
        self.stop()
        return self.start()

    @property
    def running(self) -> bool:
        """Whether the server is listening."""
        return self._controller is not None

    @property
    def address(self) -> tuple[str, int]:
        """(host, port) to connect to; SmtpServerError when stopped."""
        if self._controller is None:
            raise SmtpServerError("the SMTP server is stopped; call start() first")
        return (self.host, self.port)

    def __enter__(self) -> SmtpServer:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = f"on {self.host}:{self.port}" if self.running else "stopped"
        return f"<SmtpServer {state}>"


@contextlib.contextmanager
def running_smtp(sink: Mailbox | MailRouter, **kwargs: Any) -> Iterator[SmtpServer]:
    """`with running_smtp(mailbox) as server:` starts on port 0 and always stops."""
    server = SmtpServer(sink, **kwargs).start()
    try:
        yield server
    finally:
        server.stop()
