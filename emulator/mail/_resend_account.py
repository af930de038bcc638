"""Every Resend resource beyond `/emails`, held together for `ResendService` and its reset."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from emulator.core import Clock, IdFactory
from emulator.mail._resend_automations import ResendAutomations
from emulator.mail._resend_broadcasts import ResendBroadcasts
from emulator.mail._resend_claims import ResendDomainClaims
from emulator.mail._resend_contacts import ResendContacts
from emulator.mail._resend_events import ResendEvents
from emulator.mail._resend_imports import ResendContactImports
from emulator.mail._resend_logs import ResendLogs, ResendOAuthGrants
from emulator.mail._resend_resources import ResendDomains
from emulator.mail._resend_suppressions import ResendSuppressions
from emulator.mail._resend_templates import ResendTemplates
from emulator.mail._resend_topics import ResendTopics

_STORES = (
    "domains", "contacts", "topics", "broadcasts", "templates", "suppressions", "events",
    "automations", "logs", "oauth_grants", "domain_claims", "contact_imports",
)  # fmt: skip


class ResendAccount:
    """Domains and API keys, webhooks, segments and contacts, topics and contact properties,
    broadcasts (sent with `send`, the service's `POST /emails`), templates, suppressions,
    events and the automations they start, the request log, OAuth grants, domain claims,
    contact imports."""

    def __init__(
        self,
        clock: Clock,
        *,
        seed: int,
        accepted_keys: set[str] | None,
        send: Callable[[dict[str, Any]], dict[str, Any]],
    ) -> None:
        self.domains = ResendDomains(clock, seed=seed, accepted_keys=accepted_keys)
        self.contacts = ResendContacts(clock, seed=seed)
        self.topics = ResendTopics(clock, self.contacts, seed=seed)
        self.broadcasts = ResendBroadcasts(clock, self.contacts, self.topics, send, seed=seed)
        self.templates = ResendTemplates(clock, seed=seed)
        self.suppressions = ResendSuppressions(clock, seed=seed)
        self.events = ResendEvents(clock, self.contacts, seed=seed)
        self.automations = ResendAutomations(clock, self.contacts, self.events, send, seed=seed)
        self.logs = ResendLogs(clock, seed=seed)
        self.oauth_grants = ResendOAuthGrants(clock, seed=seed)
        self.domain_claims = ResendDomainClaims(clock, self.domains, seed=seed)
        self.contact_imports = ResendContactImports(clock, self.contacts, self.topics, seed=seed)

    def reseed(self, seed: int) -> None:
        """Draw each store's ids from `seed`'s stream (a journal replays an earlier start)."""
        for name in _STORES:
            getattr(self, name)._ids = IdFactory(seed, kind=f"resend_{name}")
        self.automations.runs._ids = IdFactory(seed, kind="resend_automation_runs")

    def clear(self) -> None:
        """Forget every record; scheduled broadcasts never go out, running automations stop."""
        self.automations.clear()
        self.logs.clear()
        self.oauth_grants.clear()
        self.domain_claims.clear()
        self.contact_imports.clear()
        self.events.clear()
        self.broadcasts.clear()
        self.templates.clear()
        self.suppressions.clear()
        self.topics.clear()
        self.contacts.clear()
        self.domains.clear()
