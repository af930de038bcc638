"""Resend's domains and API keys, and the helpers every Resend resource store shares.

Plain in-memory records answered in resend-api.yml's shapes, kept apart from Starlette like
`ResendService`. Domains verify at once when asked (no DNS here). A created API key is accepted by
the service from then on.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from emulator.core import Clock, IdFactory
from emulator.mail._resend_validation import ResendApiError

_REGIONS = ("us-east-1", "eu-west-1", "sa-east-1", "ap-northeast-1")
Record = dict[str, Any]


def pg_time(when: datetime) -> str:
    """Resend's timestamp form (`2025-01-01 09:00:00.000000+00`)."""
    return when.strftime("%Y-%m-%d %H:%M:%S.%f") + "+00"


def body_of(raw: Any) -> Mapping[str, Any]:
    """The JSON body as an object, or Resend's 422."""
    if not isinstance(raw, Mapping):
        raise ResendApiError(422, "validation_error", "The request body must be a JSON object.")
    return raw


def field(body: Mapping[str, Any], name: str, kind: type, *, required: bool = False) -> Any:
    """`body[name]` when it has type `kind`; Resend's 422 when it is missing (and required) or
    of another type (`bool` is never taken for a number)."""
    if name not in body or body[name] is None:
        if required:
            raise ResendApiError(422, "missing_required_field", f"Missing `{name}` field.")
        return None
    value = body[name]
    if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
        raise ResendApiError(
            422, "validation_error", f"The `{name}` field must be a {kind.__name__}."
        )
    if isinstance(value, str) and required and not value.strip():
        raise ResendApiError(422, "validation_error", f"The `{name}` field must not be empty.")
    return value


def _choice(body: Mapping[str, Any], name: str, allowed: tuple[str, ...]) -> str | None:
    value = field(body, name, str)
    if value is not None and value not in allowed:
        raise ResendApiError(
            422, "validation_error", f"The `{name}` field must be one of {', '.join(allowed)}."
        )
    return value  # type: ignore[no-any-return]


def page(items: list[Record], limit: int, after: str | None, before: str | None) -> Record:
    """One page of `items` (newest first) as Resend lists them."""
    ids = [item["id"] for item in items]
    start = ids.index(after) + 1 if after in ids else 0
    end = ids.index(before) if before in ids else len(items)
    page = items[start:end][:limit]
    return {"object": "list", "has_more": start + limit < end, "data": page}


def found(table: dict[str, Record], key: str, what: str) -> Record:
    """`table[key]`, or Resend's 404 naming `what`."""
    record = table.get(key)
    if record is None:
        raise ResendApiError(404, "not_found", f"{what} not found")
    return record


class ResendDomains:
    """The records behind Resend's domain and API key endpoints."""

    def __init__(self, clock: Clock, *, seed: int = 0, accepted_keys: set[str] | None) -> None:
        self.clock = clock
        self._ids = IdFactory(seed, kind="resend_domains")
        self._accepted = accepted_keys  # the service's keys (None: any `re_` key is accepted)
        self._lock = threading.RLock()
        self.domains: dict[str, Record] = {}
        self.api_keys: dict[str, Record] = {}

    def clear(self) -> None:
        """Forget every domain and API key record (keys already accepted stay accepted)."""
        with self._lock:
            self.domains.clear()
            self.api_keys.clear()

    # -- domains -----------------------------------------------------------------------
    def create_domain(self, raw: Any) -> Record:
        """`POST /domains`: a domain whose DNS records wait for `verify`."""
        body = body_of(raw)
        name = field(body, "name", str, required=True)
        region = _choice(body, "region", _REGIONS) or "us-east-1"
        _choice(body, "tls", ("opportunistic", "enforced"))
        caps = self._capabilities(body.get("capabilities"))
        with self._lock:
            if any(d["name"] == name for d in self.domains.values()):
                raise ResendApiError(403, "validation_error", f"The domain {name} is registered.")
            domain = {
                "object": "domain",
                "id": self._ids.uuid4(),
                "name": name,
                "status": "not_started",
                "created_at": pg_time(self.clock.now),
                "region": region,
                "open_tracking": bool(field(body, "open_tracking", bool)),
                "click_tracking": bool(field(body, "click_tracking", bool)),
                "capabilities": caps,
                "records": _dns_records(name, region),
            }
            subdomain = field(body, "tracking_subdomain", str)
            if subdomain is not None:
                domain["tracking_subdomain"] = subdomain
            self.domains[domain["id"]] = domain
        return {k: v for k, v in domain.items() if k != "object"}

    @staticmethod
    def _capabilities(raw: Any) -> dict[str, str]:
        caps = {"sending": "enabled", "receiving": "disabled"}
        if raw is None:
            return caps
        body = body_of(raw)
        for name in caps:
            caps[name] = _choice(body, name, ("enabled", "disabled")) or caps[name]
        return caps

    def list_domains(self, limit: int, after: str | None, before: str | None) -> Record:
        """`GET /domains`: newest first, without their DNS records."""
        with self._lock:
            items = [
                {k: v for k, v in d.items() if k not in ("object", "records", "tracking_subdomain")}
                for d in reversed(self.domains.values())
            ]
        return page(items, limit, after, before)

    def get_domain(self, domain_id: str) -> Record:
        """`GET /domains/{id}`."""
        with self._lock:
            return dict(found(self.domains, domain_id, "Domain"))

    def update_domain(self, domain_id: str, raw: Any) -> Record:
        """`PATCH /domains/{id}`: tracking, TLS and capabilities."""
        body = body_of(raw)
        with self._lock:
            domain = found(self.domains, domain_id, "Domain")
            for flag in ("open_tracking", "click_tracking"):
                value = field(body, flag, bool)
                if value is not None:
                    domain[flag] = value
            _choice(body, "tls", ("opportunistic", "enforced"))
            if body.get("capabilities") is not None:
                domain["capabilities"] = self._capabilities(body["capabilities"])
            subdomain = field(body, "tracking_subdomain", str)
            if subdomain is not None:
                domain["tracking_subdomain"] = subdomain
        return {"object": "domain", "id": domain_id}

    def verify_domain(self, domain_id: str) -> Record:
        """`POST /domains/{id}/verify`: no DNS to check here, so the domain is verified."""
        with self._lock:
            domain = found(self.domains, domain_id, "Domain")
            domain["status"] = "verified"
            for record in domain["records"]:
                record["status"] = "verified"
        return {"object": "domain", "id": domain_id}

    def remove_domain(self, domain_id: str) -> Record:
        """`DELETE /domains/{id}`."""
        with self._lock:
            found(self.domains, domain_id, "Domain")
            del self.domains[domain_id]
        return {"object": "domain", "id": domain_id, "deleted": True}

    # -- API keys ----------------------------------------------------------------------
    def create_api_key(self, raw: Any) -> Record:
        """`POST /api-keys`: the token is shown once and accepted from now on."""
        body = body_of(raw)
        name = field(body, "name", str, required=True)
        _choice(body, "permission", ("full_access", "sending_access"))
        domain_id = field(body, "domain_id", str)
        with self._lock:
            if domain_id is not None:
                found(self.domains, domain_id, "Domain")
            key_id, token = self._ids.uuid4(), "re_" + secrets.token_urlsafe(24)
            self.api_keys[key_id] = {
                "id": key_id,
                "name": name,
                "created_at": pg_time(self.clock.now),
                "last_used_at": None,
            }
        if self._accepted is not None:
            self._accepted.add(token)
        return {"id": key_id, "token": token}

    def list_api_keys(self, limit: int, after: str | None, before: str | None) -> Record:
        """`GET /api-keys`: newest first."""
        with self._lock:
            items = [dict(k) for k in reversed(self.api_keys.values())]
        return page(items, limit, after, before)

    def update_api_key(self, key_id: str, raw: Any) -> Record:
        """`PATCH /api-keys/{id}`: rename."""
        name = field(body_of(raw), "name", str, required=True)
        with self._lock:
            found(self.api_keys, key_id, "API key")["name"] = name
        return {"object": "api_key", "id": key_id}

    def remove_api_key(self, key_id: str) -> Record:
        """`DELETE /api-keys/{id}`."""
        with self._lock:
            found(self.api_keys, key_id, "API key")
            del self.api_keys[key_id]
        return {"object": "api_key", "id": key_id, "deleted": True}


def _dns_records(name: str, region: str) -> list[Record]:
    """The SPF (MX and TXT) and DKIM records Resend asks a domain to publish."""
    mail_from = f"send.{name}"
    return [
        {
            "record": "SPF",
            "name": mail_from,
            "type": "MX",
            "ttl": "Auto",
            "status": "not_started",
            "value": f"feedback-smtp.{region}.amazonses.com",
            "priority": 10,
        },
        {
            "record": "SPF",
            "name": mail_from,
            "type": "TXT",
            "ttl": "Auto",
            "status": "not_started",
            "value": '"v=spf1 include:amazonses.com ~all"',
        },
        {
            "record": "DKIM",
            "name": f"resend._domainkey.{name}",
            "type": "TXT",
            "ttl": "Auto",
            "status": "not_started",
            "value": "p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDdoorstep",
        },
    ]
