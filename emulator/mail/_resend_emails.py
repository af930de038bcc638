"""The email records behind Resend's `/emails`: stored, released into the routed mailbox (now or
on a virtual-clock timer), read, rescheduled and cancelled.

`ResendService` wraps these in its journaled calls; this module holds no HTTP, auth or
idempotency. A recipient on the account's suppression list is dropped at release (Resend
suppresses it): an email left with no recipient is never captured, its `last_event` is
`suppressed` and `email.suppressed` goes to the webhooks.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from emulator.core import Clock, IdFactory
from emulator.mail._mailbox import Mailbox
from emulator.mail._model import OutgoingEmail, addresses
from emulator.mail._resend_account import ResendAccount
from emulator.mail._resend_metrics import email_metrics
from emulator.mail._resend_records import AttachmentRecord, EmailRecord
from emulator.mail._resend_validation import ResendApiError, ValidEmail, parse_schedule
from emulator.mail._router import MailRouter

_UUID_CHARS = frozenset("0123456789abcdef-")
Query = Mapping[str, list[str]]


class ResendEmails:
    """Every email the API accepted, newest last, and what happens to each."""

    def __init__(
        self,
        sink: Mailbox | MailRouter,
        clock: Clock,
        account: ResendAccount,
        event: Callable[[EmailRecord, str], None],
        *,
        seed: int,
    ) -> None:
        self.sink, self.clock, self.account, self._event = sink, clock, account, event
        self.records: dict[str, EmailRecord] = {}
        self.lock = threading.RLock()
        # An id space of its own: never a captured email's, a run's or a trigger's id.
        self._ids = IdFactory(seed, kind="resend_email")

    def reseed(self, seed: int) -> None:
        """Draw email ids from `seed`'s stream."""
        with self.lock:
            self._ids = IdFactory(seed, kind="resend_email")

    def inject_failure(self, valid: ValidEmail) -> None:
        """Raise the failure a test armed for these recipients (`fail_next("resend", ...)`)."""
        e = valid.email
        sink = self.sink
        if isinstance(sink, Mailbox) and not sink.failures.armed:  # the usual: nothing to do
            return
        recipients = addresses([*e.to, *e.cc, *e.bcc])
        rule = None
        if isinstance(sink, MailRouter):
            rule = sink.failures.take("resend", recipients)
        rule = rule or self._box(e).failures.take("resend", recipients)
        if rule is not None:
            raise ResendApiError(
                rule.code,
                rule.name or "application_error",
                rule.message,
                retry_after=rule.retry_after,
            )

    def _box(self, e: OutgoingEmail) -> Mailbox:
        """The Mailbox the email goes to (a router's choice by its recipients)."""
        sink = self.sink
        return sink if isinstance(sink, Mailbox) else sink.route(addresses([*e.to, *e.cc, *e.bcc]))

    def store(self, body: dict[str, Any], valid: ValidEmail, now: datetime) -> EmailRecord:
        """Keep the email and release it now, or schedule its release at `scheduled_at`."""
        with self.lock:
            record = EmailRecord(self._ids.uuid4(), body, valid, now, "queued")
            if valid.attachment_paths:
                record.attachments = tuple(
                    AttachmentRecord(
                        self._ids.uuid4(),
                        a.filename or None,
                        a.content_type,
                        a.content_id,
                        a.content,
                        path,
                    )
                    for a, path in zip(valid.email.attachments, valid.attachment_paths, strict=True)
                )
            self.records[record.id] = record
            if valid.scheduled_at is not None and valid.scheduled_at > now:
                record.last_event = "scheduled"
                record.scheduled_at = valid.scheduled_at
                record.timer = self._timer(record, valid.scheduled_at)
                self._event(record, "email.scheduled")
            else:
                self._release(record)
        return record

    def _timer(self, record: EmailRecord, when: datetime) -> Any:
        return self.clock.call_at(when, lambda: self._release(record), label=f"resend {record.id}")

    def _release(self, record: EmailRecord) -> None:
        with self.lock:
            if record.last_event not in ("queued", "scheduled"):
                return
            record.timer = None
            e = self.account.suppressions.without_suppressed(record.valid.email)
            if e is None:
                record.last_event = "suppressed"
                self._event(record, "email.suppressed")
                return
            box = self._box(e)
            box.ingest_outgoing(
                e,
                way_in="resend",
                resend_request=record.request,
                email_id=record.id,
                derive_text=True,
            )
            record.mailbox = box
            record.last_event = "sent"
            self._event(record, "email.sent")
            record.last_event = "delivered"
            self._event(record, "email.delivered")

    def get(self, email_id: str) -> EmailRecord:
        """One email record, or Resend's 422 (not a UUID) or 404."""
        if not email_id or not set(email_id.lower()) <= _UUID_CHARS or len(email_id) != 36:
            raise ResendApiError(422, "invalid_parameter", "The `id` must be a valid UUID.")
        with self.lock:
            record = self.records.get(email_id)
        if record is None:
            raise ResendApiError(404, "not_found", "Email not found")
        return record

    def list(
        self, limit: int, after: str | None, before: str | None
    ) -> tuple[list[EmailRecord], bool]:
        """Records newest first, cursor-paginated like Resend."""
        with self.lock:
            newest_first = list(reversed(self.records.values()))
        ids = [r.id for r in newest_first]
        if after is not None:
            start = ids.index(self.get(after).id) + 1
            page = newest_first[start : start + limit]
            return page, start + limit < len(newest_first)
        if before is not None:
            end = ids.index(self.get(before).id)
            page = newest_first[max(0, end - limit) : end]
            return page, end - limit > 0
        return newest_first[:limit], len(newest_first) > limit

    def _scheduled(self, record: EmailRecord, verb: str) -> None:
        if record.last_event != "scheduled":
            raise ResendApiError(
                422,
                "validation_error",
                f"Email {record.id} is `{record.last_event}`; only scheduled emails can be {verb}.",
            )

    def reschedule(self, email_id: str, body: Any) -> EmailRecord:
        """Move a scheduled email's `scheduled_at`."""
        record = self.get(email_id)
        if not isinstance(body, dict) or body.get("scheduled_at") in (None, ""):
            raise ResendApiError(422, "missing_required_field", "Missing `scheduled_at` field.")
        if not isinstance(body["scheduled_at"], str):
            raise ResendApiError(422, "validation_error", "Invalid `scheduled_at` field.")
        with self.clock.lock, self.lock:
            self._scheduled(record, "updated")
            when = parse_schedule(body["scheduled_at"], self.clock.now)
            if record.timer is not None:
                record.timer.cancel()
            record.scheduled_at = when
            record.timer = self._timer(record, when)
        return record

    def cancel(self, email_id: str) -> EmailRecord:
        """A scheduled email is never sent."""
        record = self.get(email_id)
        with self.clock.lock, self.lock:
            self._scheduled(record, "canceled")
            if record.timer is not None:
                record.timer.cancel()
            record.timer = None
            record.last_event = "canceled"
        return record

    def clear(self) -> None:
        """Forget every email; a scheduled one's timer is cancelled, so it is never captured."""
        with self.clock.lock, self.lock:
            for record in self.records.values():
                if record.timer is not None:
                    record.timer.cancel()
            self.records.clear()

    def metrics(self, query: Query) -> dict[str, Any]:
        """`GET /emails/metrics` over these emails (`query`: each parameter's values)."""
        domains = {d["name"].lower(): d["id"] for d in self.account.domains.domains.values()}

        def domain_of(sender: str) -> tuple[str | None, str]:
            name = (addresses([sender]) or [sender])[0].rpartition("@")[2].lower()
            return domains.get(name), name

        broadcasts = self.account.broadcasts
        sent_by = {
            r["id"]: (b_id, broadcasts.broadcasts.get(b_id, {}).get("name") or "")
            for b_id, recipients in broadcasts.recipients.items()
            for r in recipients
        }
        with self.lock:
            records = list(self.records.values())
        return email_metrics(
            records, query, self.clock.now, domain_of=domain_of, broadcast_of=sent_by
        )

    def attachment(self, email_id: str, attachment_id: str) -> AttachmentRecord:
        """One attachment of an email, or Resend's 404."""
        record = self.get(email_id)
        found = next((a for a in record.attachments if a.id == attachment_id), None)
        if found is None:
            raise ResendApiError(404, "not_found", "Attachment not found")
        return found
