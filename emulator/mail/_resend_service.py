"""The state behind the fake Resend API: keys, rate limit, idempotency, and the journaled
calls that change it.

Kept apart from Starlette so the rules are testable without HTTP. The emails themselves live in
`ResendEmails` (scheduled mail waits on a virtual-clock timer; releasing an email captures it
into the routed Mailbox under the same id the API returned), every other resource in
`ResendAccount`.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from emulator.core import Clock, Recorder, journaled
from emulator.mail._mailbox import Mailbox
from emulator.mail._resend_account import ResendAccount
from emulator.mail._resend_emails import ResendEmails
from emulator.mail._resend_receiving import ResendReceiving
from emulator.mail._resend_records import AttachmentRecord, EmailRecord
from emulator.mail._resend_validation import (
    MAX_BATCH,
    ResendApiError,
    ValidEmail,
    validate_send,
)
from emulator.mail._router import MailRouter
from emulator.mail._webhooks import WebhookSender

IDEMPOTENCY_TTL = timedelta(hours=24)


@dataclass(slots=True)
class _Idempotent:
    fingerprint: str
    response: dict[str, Any] | None  # None while in flight
    expires: datetime


class ResendService:
    """Everything `POST/GET/PATCH /emails...` does, independent of the web framework."""

    _journal: Recorder | None = None  # `doorstep serve --data-dir` records changes here

    def __init__(
        self,
        sink: Mailbox | MailRouter,
        clock: Clock | None = None,
        *,
        api_keys: set[str] | None = None,
        rate_limit: int = 10,
        enforce_rate_limit: bool = False,
        webhooks: WebhookSender | None = None,
        max_body_bytes: int = 50 * 1024 * 1024,
        seed: int = 0,
    ) -> None:
        self.sink = sink
        box_clock = sink.current.clock if isinstance(sink, MailRouter) else sink.clock
        self.clock = clock or box_clock or Clock(datetime.now(UTC))
        self.api_keys = None if api_keys is None else set(api_keys)
        self.rate_limit = rate_limit
        self.enforce_rate_limit = enforce_rate_limit
        self.webhooks = webhooks
        self.max_body_bytes = max_body_bytes
        self._keys: dict[str, _Idempotent] = {}
        self._window: deque[float] = deque()
        self._lock = threading.RLock()
        self.account = ResendAccount(  # domains, webhooks, contacts, broadcasts, ...
            self.clock, seed=seed, accepted_keys=self.api_keys, send=self.send
        )
        self.emails = ResendEmails(sink, self.clock, self.account, self._event, seed=seed)
        self.receiving = ResendReceiving(sink, self.account.domains)

    def record_to(self, journal: Recorder | None) -> None:
        """Record every change in `journal` from now on (None: stop recording)."""
        self._journal = journal

    def reseed(self, seed: int) -> None:
        """Draw email and resource ids from `seed`'s streams (a journal replays an earlier
        start's calls)."""
        self.emails.reseed(seed)
        self.account.reseed(seed)

    @journaled("resend")
    def change_account(self, store: str, method: str, *args: Any, **kwargs: Any) -> Any:
        """`account.<store>.<method>(*args)`: the one way the API changes a resource beyond
        `/emails` (domains, keys, webhooks, contacts, topics, broadcasts, templates,
        suppressions), so `serve --data-dir` journals it."""
        return getattr(getattr(self.account, store), method)(*args, **kwargs)

    # -- auth and rate limit ---------------------------------------------------------
    def check_key(self, authorization: str | None) -> None:
        """Refuse a missing or malformed `Authorization: Bearer re_...` as Resend does."""
        if not authorization:
            raise ResendApiError(
                401, "missing_api_key", "Missing API key in the authorization header."
            )
        scheme, _, key = authorization.partition(" ")
        key = key.strip()
        if scheme.lower() != "bearer" or not key.startswith("re_"):
            raise ResendApiError(403, "invalid_api_key", "API key is invalid.")
        if self.api_keys is not None and key not in self.api_keys:
            raise ResendApiError(403, "invalid_api_key", "API key is invalid.")

    def rate_window(self, *, count: bool = True) -> tuple[int, int, bool]:
        """For this response: the requests left in the window, the seconds until it resets
        (the `ratelimit-remaining` and `ratelimit-reset` headers), and whether the request is
        over the limit (then `retry-after` is the reset)."""
        now = time.monotonic()
        limit = self.rate_limit
        with self._lock:
            window = self._window
            while window and now - window[0] >= 1.0:
                window.popleft()
            over = self.enforce_rate_limit and len(window) >= limit
            if count and not over:
                window.append(now)
            left = limit - len(window)
        # The window is the last second: the oldest request in it leaves within a second, so
        # the reset, rounded up to whole seconds as the header carries it, is always 1.
        return (left if left > 0 else 0), 1, over

    # -- idempotency -----------------------------------------------------------------
    def idempotency_begin(self, key: str | None, route: str, body: bytes) -> dict[str, Any] | None:
        """A cached response for a replayed key, or None to go ahead (the key is now in flight)."""
        if key is None:
            return None
        if not 1 <= len(key) <= 256:
            raise ResendApiError(
                400,
                "invalid_idempotency_key",
                "The key must be between 1-256 chars.",
            )
        fingerprint = route + ":" + hashlib.sha256(_canonical(body)).hexdigest()
        with self.clock.lock, self._lock:  # the check and the hold are one step
            now = self.clock.now
            entry = self._keys.get(key)
            if entry is not None and entry.expires > now:
                if entry.fingerprint != fingerprint:
                    raise ResendApiError(
                        409,
                        "invalid_idempotent_request",
                        "Same idempotency key used with a different request payload. Change your "
                        "idempotency key or payload.",
                    )
                if entry.response is None:
                    raise ResendApiError(
                        409,
                        "concurrent_idempotent_requests",
                        "Same idempotency key used while original request is still in progress. "
                        "Try the request again later.",
                    )
                return entry.response
            self._hold_key(key, fingerprint)
        return None

    @journaled("resend")
    def _hold_key(self, key: str, fingerprint: str) -> None:
        with self._lock:
            self._keys[key] = _Idempotent(fingerprint, None, self.clock.now + IDEMPOTENCY_TTL)

    def idempotency_end(self, key: str | None, response: dict[str, Any] | None) -> None:
        """Cache a 2xx response for the key, or forget the key after an error."""
        if key is not None:
            self._settle_key(key, response)

    @journaled("resend")
    def _settle_key(self, key: str, response: dict[str, Any] | None) -> None:
        with self._lock:
            if response is None:
                self._keys.pop(key, None)
            elif key in self._keys:
                self._keys[key].response = response

    # -- sending ---------------------------------------------------------------------
    @journaled("resend")
    def send(self, body: Any) -> dict[str, Any]:
        """`POST /emails`: validate, capture (or schedule) one email; returns `{id}`."""
        with self.clock.lock:
            now = self.clock.now
        valid = self._valid(body, now)
        self.emails.inject_failure(valid)
        return {"id": self.emails.store(body, valid, now).id}

    @journaled("resend")
    def send_batch(self, body: Any, *, permissive: bool) -> dict[str, Any]:
        """`POST /emails/batch`: up to MAX_BATCH emails, all-or-nothing unless permissive."""
        if not isinstance(body, list):
            raise ResendApiError(
                422, "validation_error", "The request body must be an array of emails."
            )
        if not body:
            raise ResendApiError(
                422, "validation_error", "The batch must contain at least 1 email."
            )
        if len(body) > MAX_BATCH:
            raise ResendApiError(
                422,
                "validation_error",
                f"Too many emails in the batch: {len(body)}; the maximum is {MAX_BATCH} per "
                "request.",
            )
        with self.clock.lock:
            now = self.clock.now
        checked: list[tuple[int, ValidEmail | ResendApiError]] = []
        for index, item in enumerate(body):
            try:
                checked.append((index, self._valid(item, now, batch=True)))
            except ResendApiError as exc:
                if not permissive:
                    raise ResendApiError(
                        exc.status, exc.name, f"{exc.message} (at index {index})"
                    ) from None
                checked.append((index, exc))
        good = [(i, v) for i, v in checked if isinstance(v, ValidEmail)]
        for _, valid in good:
            self.emails.inject_failure(valid)
        data = [{"id": self.emails.store(body[i], v, now).id} for i, v in good]
        result: dict[str, Any] = {"data": data}
        if permissive:
            result["errors"] = [
                {"index": i, "message": v.message}
                for i, v in checked
                if isinstance(v, ResendApiError)
            ]
        return result

    def _valid(self, body: Any, now: datetime, *, batch: bool = False) -> ValidEmail:
        """`body` checked as Resend checks it, a `template` first filled in from its record."""
        return validate_send(self.account.templates.expand(body), now=now, batch=batch)

    def _event(self, record: EmailRecord, kind: str) -> None:
        contacts, also = self.account.contacts, self.webhooks
        if also is not None or contacts.webhooks:  # else nobody to tell (most sends)
            contacts.email_event(kind, record, self.clock.now, also=also)

    # -- reading and changing ----------------------------------------------------------
    def get(self, email_id: str) -> EmailRecord:
        """`GET /emails/{id}`: one email record, or Resend's 404."""
        return self.emails.get(email_id)

    def list(
        self, limit: int, after: str | None, before: str | None
    ) -> tuple[list[EmailRecord], bool]:
        """`GET /emails`: records newest first, cursor-paginated like Resend."""
        return self.emails.list(limit, after, before)

    @journaled("resend")
    def reschedule(self, email_id: str, body: Any) -> EmailRecord:
        """`PATCH /emails/{id}`: move a scheduled email's `scheduled_at`."""
        return self.emails.reschedule(email_id, body)

    @journaled("resend")
    def cancel(self, email_id: str) -> EmailRecord:
        """`POST /emails/{id}/cancel`: a scheduled email is never sent."""
        return self.emails.cancel(email_id)

    @journaled("resend")
    def clear(self) -> None:
        """Forget every email, schedule and idempotency key, domain, webhook and contact (the
        emulator's reset): a scheduled email's timer is cancelled, so it is never captured."""
        self.emails.clear()
        with self._lock:
            self._keys.clear()
        self.account.clear()

    def attachment(self, email_id: str, attachment_id: str) -> AttachmentRecord:
        """One attachment of an email, or Resend's 404."""
        return self.emails.attachment(email_id, attachment_id)


def _canonical(body: bytes) -> bytes:
    try:
        return json.dumps(json.loads(body or b"null"), sort_keys=True).encode()
    except ValueError:
        return body
