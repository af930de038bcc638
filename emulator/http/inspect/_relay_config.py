"""`--smtp-relay`'s settings: where Mailpit's release sends and to whom it may."""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.utils import parseaddr


@dataclass(frozen=True, slots=True)
class SmtpRelay:
    """Where released emails go and who may receive them (regular expressions, searched)."""

    host: str
    port: int
    allowed_recipients: str | None = None
    blocked_recipients: str | None = None
    preserve_message_ids: bool = False
    timeout: float = 15.0

    def __post_init__(self) -> None:
        for pattern in (self.allowed_recipients, self.blocked_recipients):
            if pattern is not None:
                re.compile(pattern)  # re.error names what is wrong with it

    def refused(self, addresses: list[str]) -> str | None:
        """Why these recipients may not be released to, in Mailpit's words; None if they may."""
        allowed = self.allowed_recipients
        blocked = self.blocked_recipients
        outside = [a for a in addresses if allowed and not re.search(allowed, parseaddr(a)[1])]
        if outside:
            noun = "Address" if len(outside) == 1 else "Addresses"
            return f"Failed: {noun} do not match the allowlist: {', '.join(outside)}"
        listed = [a for a in addresses if blocked and re.search(blocked, parseaddr(a)[1])]
        if listed:
            noun = "Address" if len(listed) == 1 else "Addresses"
            return f"Failed: {noun} found on blocklist: {', '.join(listed)}"
        return None

    def describe(self) -> str:
        """One banner line."""
        rules = []
        if self.allowed_recipients:
            rules.append(f"only recipients matching {self.allowed_recipients}")
        if self.blocked_recipients:
            rules.append(f"never recipients matching {self.blocked_recipients}")
        return f"{self.host}:{self.port}" + (f" ({'; '.join(rules)})" if rules else "")
