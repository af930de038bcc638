"""Resend's domain claims: taking over a domain another Resend account verified.

There is no other account here, so a claim always starts: it creates a placeholder domain (with
fresh DNS records) and asks for a TXT record proving ownership. No DNS is checked, so `verify`
completes the claim at once (as `POST /domains/{id}/verify` verifies a domain at once); the
domain's own records then still wait for that verify, as Resend documents.
"""

from __future__ import annotations

import secrets
import threading
from datetime import timedelta
from typing import Any

from emulator.core import Clock, IdFactory
from emulator.mail._resend_resources import Record, ResendDomains, body_of, field, pg_time
from emulator.mail._resend_validation import ResendApiError

EXPIRES_AFTER = timedelta(days=7)


class ResendDomainClaims:
    """Claims, by the placeholder domain each created."""

    def __init__(self, clock: Clock, domains: ResendDomains, *, seed: int = 0) -> None:
        self.clock, self.domains = clock, domains
        self._ids = IdFactory(seed, kind="resend_domain_claims")
        self._lock = threading.RLock()
        self.claims: dict[str, Record] = {}  # placeholder domain id -> its latest claim

    def clear(self) -> None:
        """Forget every claim."""
        with self._lock:
            self.claims.clear()

    def create(self, raw: Any) -> tuple[Record, bool]:
        """`POST /domains/claim`: the claim, and whether it is new (else an identical pending
        claim, returned unchanged)."""
        body = body_of(raw)
        name = field(body, "name", str, required=True)
        with self._lock:
            pending = next(
                (c for c in self.claims.values() if c["name"] == name and c["status"] == "pending"),
                None,
            )
            if pending is not None:
                return dict(pending), False
            options = {k: v for k, v in body.items() if k != "custom_return_path"}
            domain = self.domains.create_domain(options)
            now = self.clock.now
            claim = {
                "object": "domain_claim",
                "id": self._ids.uuid4(),
                "name": name,
                "status": "pending",
                "domain_id": domain["id"],
                "region": domain["region"],
                "record": {
                    "type": "TXT",
                    "name": name,
                    "value": "resend-domain-verification=" + secrets.token_hex(16),
                    "ttl": "Auto",
                },
                "blocked_reason": None,
                "failure_reason": None,
                "created_at": pg_time(now),
                "expires_at": pg_time(now + EXPIRES_AFTER),
            }
            self.claims[domain["id"]] = claim
        return dict(claim), True

    def get(self, domain_id: str) -> Record:
        """`GET /domains/{domain_id}/claim`."""
        with self._lock:
            claim = self.claims.get(domain_id)
        if claim is None:
            raise ResendApiError(404, "not_found", "Domain claim not found")
        return dict(claim)

    def verify(self, domain_id: str) -> Record:
        """`POST /domains/{domain_id}/claim/verify`: completed (no DNS to check here)."""
        with self._lock:
            claim = self.claims.get(domain_id)
            if claim is None:
                raise ResendApiError(404, "not_found", "Domain claim not found")
            if claim["status"] == "pending":
                claim["status"] = "completed"
            return dict(claim)
