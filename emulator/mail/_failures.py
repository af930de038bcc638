"""Scoped failure injection: rules live on a Mailbox or a MailRouter, never in a global.

A rule fires for the next `times` matching requests (None: until removed). `recipient` is an
fnmatch pattern (case-insensitive) tested against every recipient of the request; a rule
without one matches everything that reaches the plan's owner. SMTP rules name the stage
(`connect`, `auth`, `mail`, `rcpt`, `data`) and either a reply code or a disconnect; Resend rules
give the HTTP status, error name and optional `retry-after`. A rule with `probability` below 1
fires on that share of the matching requests (Mailpit's chaos triggers); a miss costs no firing.
"""

from __future__ import annotations

import fnmatch
import random
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from emulator.core import DoorstepError

SmtpStage = Literal["connect", "auth", "mail", "rcpt", "data"]
Where = Literal["smtp.connect", "smtp.auth", "smtp.mail", "smtp.rcpt", "smtp.data", "resend"]
_SMTP_STAGES = ("connect", "auth", "mail", "rcpt", "data")
_RESEND_NAMES = {
    422: ("validation_error", "Failure injected by Doorstep: the request was refused."),
    429: ("rate_limit_exceeded", "Too many requests. You can only make 2 requests per second."),
    500: ("application_error", "An unexpected error occurred (injected by Doorstep)."),
    503: ("service_unavailable", "The service is unavailable (injected by Doorstep)."),
}


class FailureRuleError(DoorstepError, ValueError):
    """A failure rule that cannot work as written."""


@dataclass(slots=True)
class FailureRule:
    """One injected failure; `remaining` counts down (None: fires forever)."""

    where: Where
    code: int
    message: str
    remaining: int | None = 1
    recipient: str | None = None
    disconnect: bool = False
    name: str | None = None
    retry_after: float | None = None
    fired: int = 0
    probability: float = 1.0  # the share of matching requests it fires on

    def matches(self, where: Where, recipients: Iterable[str]) -> bool:
        """Whether this rule, with firings left, applies at `where` to mail for `recipients`."""
        if self.where != where or self.remaining == 0:
            return False
        if self.recipient is None:
            return True
        pattern = self.recipient.lower()
        return any(fnmatch.fnmatchcase(r.lower(), pattern) for r in recipients)


class FailurePlan:
    """Thread-safe set of rules owned by one Mailbox or MailRouter."""

    def __init__(self, seed: int | None = None) -> None:
        self._rules: list[FailureRule] = []
        self._lock = threading.Lock()
        self._seed = seed
        self._random: random.Random | None = None  # seeded on first use: most plans stay empty

    @property
    def armed(self) -> bool:
        """Whether any rule is armed (read without the lock: hot paths skip the rest when not)."""
        return bool(self._rules)

    def fail_smtp(
        self,
        stage: SmtpStage,
        code: int = 451,
        message: str | None = None,
        *,
        times: int | None = 1,
        recipient: str | None = None,
        disconnect: bool = False,
        probability: float = 1.0,
    ) -> FailureRule:
        """Answer the next `times` SMTP commands at `stage` with `code` (or drop the line);
        with `probability` below 1, only that share of them (chosen at random)."""
        if stage not in _SMTP_STAGES:
            raise FailureRuleError(
                f"unknown SMTP stage {stage!r}; use one of {', '.join(_SMTP_STAGES)}"
            )
        if not disconnect and not 400 <= code <= 599:
            raise FailureRuleError(
                f"SMTP failure code {code} is not an error; use 4xx (transient) or 5xx (permanent)"
            )
        if not 0 <= probability <= 1:
            raise FailureRuleError(f"probability {probability} must be between 0 and 1")
        if stage in ("connect", "auth") and recipient is not None:
            raise FailureRuleError(
                f"a {stage}-stage rule cannot match a recipient (none is known yet); "
                "drop `recipient=` or use stage='rcpt'"
            )
        text = message or ("Doorstep injected failure" if code < 500 else "Doorstep rejected")
        where: Where = f"smtp.{stage}"  # type: ignore[assignment]
        rule = FailureRule(where, code, text, times, recipient, disconnect=disconnect)
        rule.probability = probability
        return self._add(rule)

    def fail_resend(
        self,
        status: int = 429,
        message: str | None = None,
        *,
        name: str | None = None,
        times: int | None = 1,
        recipient: str | None = None,
        retry_after: float | None = None,
    ) -> FailureRule:
        """Answer the next `times` Resend sends with an HTTP error shaped like Resend's."""
        if not 400 <= status <= 599:
            raise FailureRuleError(f"Resend failure status {status} is not an error (use 4xx/5xx)")
        default_name, default_message = _RESEND_NAMES.get(
            status, ("application_error", f"Injected HTTP {status} from Doorstep.")
        )
        if status == 429 and retry_after is None:
            retry_after = 1.0
        return self._add(
            FailureRule(
                "resend",
                status,
                message or default_message,
                times,
                recipient,
                name=name or default_name,
                retry_after=retry_after,
            )
        )

    def _add(self, rule: FailureRule) -> FailureRule:
        if rule.remaining is not None and rule.remaining < 1:
            raise FailureRuleError(f"times={rule.remaining} must be at least 1, or None (forever)")
        with self._lock:
            self._rules.append(rule)
        return rule

    def _draw(self) -> float:
        if self._random is None:
            self._random = random.Random(self._seed)
        return self._random.random()

    def take(self, where: Where, recipients: Iterable[str] = ()) -> FailureRule | None:
        """The first live rule matching, consumed atomically (its count goes down by one)."""
        if not self._rules:  # nothing armed: the hot paths skip the lock
            return None
        targets = list(recipients)
        with self._lock:
            for rule in self._rules:
                if rule.matches(where, targets):
                    if rule.probability < 1 and self._draw() >= rule.probability:
                        continue
                    if rule.remaining is not None:
                        rule.remaining -= 1
                    rule.fired += 1
                    return rule
        return None

    @property
    def rules(self) -> list[FailureRule]:
        """The armed rules, in the order they were added."""
        with self._lock:
            return list(self._rules)

    def remove(self, rule: FailureRule) -> None:
        """Disarm one rule (no error when it is already gone)."""
        with self._lock:
            self._rules = [r for r in self._rules if r is not rule]

    def clear(self) -> None:
        """Disarm every rule."""
        with self._lock:
            self._rules.clear()

    def __bool__(self) -> bool:
        return bool(self._rules)
