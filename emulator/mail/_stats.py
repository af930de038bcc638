"""Mailpit's runtime statistics for one Mailbox (`RuntimeStats` of `GET /api/v1/info`): SMTP
messages accepted (and their bytes) and rejected, and emails deleted (by request, by retention
or by clearing), counted since the Mailbox was made."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field


@dataclass
class MailStats:
    """Counters since start; `count` is safe from any thread."""

    smtp_accepted: int = 0
    smtp_accepted_size: int = 0  # bytes of the accepted messages
    smtp_rejected: int = 0  # messages refused after DATA (they could not be stored)
    deleted: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def count(self, name: str, amount: int = 1) -> None:
        """Add `amount` to the counter `name`."""
        with self._lock:
            setattr(self, name, getattr(self, name) + amount)

    def accepted(self, size: int) -> None:
        """Count one accepted SMTP message of `size` bytes."""
        with self._lock:
            self.smtp_accepted += 1
            self.smtp_accepted_size += size
