"""Email providers the engine's email channel delivers through.

All three build the same thing from an `OutgoingEmail`: `resend_request_body` for Resend (the
in-process provider records it, the HTTP provider sends it) and MIME for SMTP. With
`provenance_headers=True` (the default) the workflow key, run ids, step and recipient travel
as `X-Doorstep-*` headers, so mail captured over SMTP or HTTP keeps its provenance too.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from email.utils import parseaddr
from typing import TYPE_CHECKING, Any, Protocol

from emulator.mail._capture import PROVENANCE_HEADERS
from emulator.mail._mailbox import Mailbox
from emulator.mail._model import DeliveryError, OutgoingEmail, addresses
from emulator.mail._router import MailRouter

if TYPE_CHECKING:
    import ssl

    import httpx


class EmailProvider(Protocol):
    """Delivers one email for the engine; returns the provider's id, raises DeliveryError."""

    def send(self, email: OutgoingEmail) -> str:
        """Deliver `email`; returns the provider's message id or raises DeliveryError."""


def provenance_headers(email: OutgoingEmail) -> dict[str, str]:
    """`X-Doorstep-*` headers carrying the engine's provenance (only the fields that are set)."""
    out: dict[str, str] = {}
    for header, attr in PROVENANCE_HEADERS.items():
        value = getattr(email, attr)
        if value is not None:
            out["-".join(p.capitalize() for p in header.split("-"))] = str(value)
    return out


def resend_request_body(email: OutgoingEmail, *, with_provenance: bool = True) -> dict[str, Any]:
    """The JSON body of `POST /emails` for this email, exactly as the HTTP provider sends it."""
    body: dict[str, Any] = {"from": email.from_, "to": list(email.to), "subject": email.subject}
    if email.html is not None:
        body["html"] = email.html
    if email.text is not None:
        body["text"] = email.text
    for key, values in (("cc", email.cc), ("bcc", email.bcc), ("reply_to", email.reply_to)):
        if values:
            body[key] = list(values)
    headers = dict(email.headers)
    if with_provenance:
        headers.update(provenance_headers(email))
    if headers:
        body["headers"] = headers
    if email.attachments:
        body["attachments"] = [
            {
                "filename": a.filename,
                "content": base64.b64encode(a.content).decode("ascii"),
                "content_type": a.content_type,
                **({"content_id": a.content_id} if a.content_id else {}),
            }
            for a in email.attachments
        ]
    if email.tags:
        body["tags"] = [dict(t) for t in email.tags]
    return body


class InProcessProvider:
    """Straight into a Mailbox (or router): no network, same record as the Resend path."""

    def __init__(self, mailbox: Mailbox | MailRouter, *, provenance_headers: bool = True) -> None:
        self.sink = mailbox
        self.provenance_headers = provenance_headers

    def send(self, email: OutgoingEmail) -> str:
        """Capture `email` in the routed Mailbox, unless an injected `resend` rule fails it."""
        body = resend_request_body(email, with_provenance=self.provenance_headers)
        box = self.sink.route(addresses([*email.to, *email.cc, *email.bcc]))
        rule = box.failures.take("resend", addresses([*email.to, *email.cc, *email.bcc]))
        if rule is not None:
            raise DeliveryError(
                f"in-process delivery failed by injected rule: {rule.code} {rule.name}: "
                f"{rule.message}",
                permanent=not (rule.code == 429 or rule.code >= 500),
                retry_after=rule.retry_after,
                status=rule.code,
            )
        return box.ingest_outgoing(email, way_in="engine", resend_request=body)


class ResendHttpProvider:
    """`POST {base_url}/emails` with httpx; 429/5xx are transient, other 4xx permanent."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        client: httpx.Client | None = None,
        *,
        timeout: float = 30.0,
        provenance_headers: bool = True,
        idempotency: bool = True,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        if client is None:
            import httpx  # on first use: `import emulator` stays light

            client = httpx.Client(timeout=timeout)
        self.client = client
        self.provenance_headers = provenance_headers
        self.idempotency = idempotency

    def send(self, email: OutgoingEmail) -> str:
        """POST the email; the message id travels as `Idempotency-Key` when enabled."""
        body = resend_request_body(email, with_provenance=self.provenance_headers)
        headers = {"Authorization": f"Bearer {self.api_key}", "User-Agent": "doorstep-engine"}
        if self.idempotency and email.message_id:
            headers["Idempotency-Key"] = email.message_id
        url = f"{self.base_url}/emails"
        import httpx

        try:
            response = self.client.post(url, json=body, headers=headers)
        except httpx.HTTPError as exc:
            raise DeliveryError(
                f"POST {url} failed before a response ({type(exc).__name__}: {exc}); "
                "is the Resend server running and the base URL right?",
                permanent=False,
            ) from exc
        try:
            payload = response.json()
        except ValueError:
            payload = None
        if response.status_code == 200 and isinstance(payload, dict) and "id" in payload:
            return str(payload["id"])
        name = payload.get("name") if isinstance(payload, dict) else None
        message = payload.get("message") if isinstance(payload, dict) else response.text[:200]
        status = response.status_code
        transient = status == 429 or status >= 500 or status < 400
        raise DeliveryError(
            f"POST {url} answered {status} {name or ''}: {message}",
            permanent=not transient,
            retry_after=_retry_after(response.headers) if transient else None,
            status=status,
        )

    def close(self) -> None:
        """Close the httpx client (also one passed in)."""
        self.client.close()


def _retry_after(headers: httpx.Headers) -> float | None:
    for name in ("retry-after", "ratelimit-reset"):
        value = headers.get(name)
        if value is not None:
            try:
                return max(0.0, float(value))
            except ValueError:
                continue
    return None


class SmtpProvider:
    """smtplib to any SMTP server (ours, a real Mailpit, a relay); 4xx transient, 5xx permanent."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        username: str | None = None,
        password: str | None = None,
        starttls: bool = False,
        tls_context: ssl.SSLContext | None = None,
        timeout: float = 30.0,
        provenance_headers: bool = True,
    ) -> None:
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.starttls = starttls
        self.tls_context = tls_context
        self.timeout = timeout
        self.provenance_headers = provenance_headers

    def send(self, email: OutgoingEmail) -> str:
        """Send MIME over one SMTP connection (STARTTLS and AUTH when configured)."""
        import smtplib  # with ssl, uuid and the MIME builder: loaded by the first SMTP send
        import uuid

        from emulator.mail._mime import build_mime

        if self.provenance_headers:
            extra = provenance_headers(email)
            if extra:
                email = _with_headers(email, extra)
        message_id = f"<{uuid.uuid4()}@doorstep.local>"
        raw = build_mime(email, when=datetime.now(UTC), message_id=message_id)
        sender = parseaddr(email.from_)[1] or email.from_
        recipients = addresses([*email.to, *email.cc, *email.bcc])
        where = f"SMTP {self.host}:{self.port}"
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as client:
                if self.starttls:
                    client.starttls(context=self.tls_context)
                if self.username is not None:
                    client.login(self.username, self.password or "")
                refused = client.sendmail(sender, recipients, raw)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            raise DeliveryError(
                f"{where} refused every recipient: {exc.recipients}",
                permanent=all(c >= 500 for c in codes),
                status=max(codes) if codes else None,
            ) from exc
        except smtplib.SMTPResponseException as exc:
            text = (
                exc.smtp_error.decode("utf-8", "replace")
                if isinstance(exc.smtp_error, bytes)
                else str(exc.smtp_error)
            )
            raise DeliveryError(
                f"{where} answered {exc.smtp_code} {text}",
                permanent=exc.smtp_code >= 500,
                status=exc.smtp_code,
            ) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(
                f"{where} failed ({type(exc).__name__}: {exc}); "
                "is the server up and the port right?",
                permanent=False,
            ) from exc
        if refused:
            raise DeliveryError(
                f"{where} accepted the message but refused some recipients: {refused}",
                permanent=all(code >= 500 for code, _ in refused.values()),
                status=max(code for code, _ in refused.values()),
            )
        return message_id.strip("<>")


def _with_headers(email: OutgoingEmail, extra: dict[str, str]) -> OutgoingEmail:
    from dataclasses import replace

    return replace(email, headers={**email.headers, **extra})
