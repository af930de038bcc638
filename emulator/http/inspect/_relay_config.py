"""Where Mailpit's release sends and to whom it may: `--smtp-relay HOST:PORT` or Mailpit's relay
configuration file (`--smtp-relay-config FILE`, the YAML Mailpit reads).

The file takes Mailpit's keys: `host`, `port` (25), `starttls`, `tls`, `allow-insecure`, `auth`
(`none`, `plain`, `login`, `cram-md5`) with `username` and `password` (or `secret` for CRAM-MD5),
`return-path`, `override-from`, `allowed-recipients`, `blocked-recipients` (the deprecated
`recipient-allowlist` too), `preserve-message-ids` and `forward-smtp-errors`, checked as Mailpit
checks them. A key Mailpit does not know, or a value of the wrong type, is refused with the file
and line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from email.utils import parseaddr
from pathlib import Path
from typing import Any

from emulator import YamlError, compose_yaml, yaml_constructor

AUTHS = ("none", "plain", "login", "cram-md5")


@dataclass(frozen=True, slots=True)
class SmtpRelay:
    """Where released emails go, how, and who may receive them (regular expressions, searched)."""

    host: str
    port: int = 25
    allowed_recipients: str | None = None
    blocked_recipients: str | None = None
    preserve_message_ids: bool = False
    timeout: float = 15.0
    starttls: bool = False  # upgrade with STARTTLS after connecting
    tls: bool = False  # TLS from the first byte (implicit TLS, e.g. port 465)
    allow_insecure: bool = False  # do not verify the server's certificate
    auth: str = "none"  # none | plain | login | cram-md5
    username: str = ""
    password: str = ""
    secret: str = ""  # CRAM-MD5's shared secret
    return_path: str = ""  # envelope sender and Return-Path header of released copies
    override_from: str = ""  # From address of released copies (the name is kept)
    forward_smtp_errors: bool = False  # a refused recipient fails the release

    def __post_init__(self) -> None:
        for key, pattern in (
            ("allowed-recipients", self.allowed_recipients),
            ("blocked-recipients", self.blocked_recipients),
        ):
            try:
                re.compile(pattern or "")
            except re.error as exc:
                raise ValueError(f"{key} is not a regular expression ({exc})") from None

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
        if self.tls or self.starttls:
            rules.append("TLS" if self.tls else "STARTTLS")
        if self.auth != "none":
            rules.append(f"AUTH {self.auth.upper()} as {self.username}")
        if self.allowed_recipients:
            rules.append(f"only recipients matching {self.allowed_recipients}")
        if self.blocked_recipients:
            rules.append(f"never recipients matching {self.blocked_recipients}")
        if self.return_path:
            rules.append(f"return path {self.return_path}")
        if self.override_from:
            rules.append(f"from {self.override_from}")
        return f"{self.host}:{self.port}" + (f" ({'; '.join(rules)})" if rules else "")


# YAML key -> (field, type)
_KEYS: dict[str, tuple[str, type]] = {
    "host": ("host", str),
    "port": ("port", int),
    "starttls": ("starttls", bool),
    "tls": ("tls", bool),
    "allow-insecure": ("allow_insecure", bool),
    "auth": ("auth", str),
    "username": ("username", str),
    "password": ("password", str),
    "secret": ("secret", str),
    "return-path": ("return_path", str),
    "override-from": ("override_from", str),
    "allowed-recipients": ("allowed_recipients", str),
    "recipient-allowlist": ("allowed_recipients", str),  # Mailpit's deprecated name
    "blocked-recipients": ("blocked_recipients", str),
    "preserve-message-ids": ("preserve_message_ids", bool),
    "forward-smtp-errors": ("forward_smtp_errors", bool),
}
_TYPE_NAMES = {str: "a string", int: "a whole number", bool: "true or false"}
_EXAMPLES = {int: "587", bool: "true"}


class RelayConfigError(ValueError):
    """A relay configuration that cannot be used; the message names the file and line."""


def load_relay_config(path: Path) -> SmtpRelay:
    """Mailpit's relay configuration file as an SmtpRelay; RelayConfigError says what to fix."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RelayConfigError(f"{path}: cannot read the relay configuration ({exc})") from None
    try:
        values = _values(text)
    except YamlError as exc:
        raise RelayConfigError(f"{path}:{exc.line}: {exc} ({exc.fix})") from None
    if not values.get("host"):
        raise RelayConfigError(f"{path}: host not set (add e.g. `host: smtp.example.com`)")
    try:
        return checked(SmtpRelay(**values))
    except ValueError as exc:
        raise RelayConfigError(f"{path}: {exc}") from None


def _values(text: str) -> dict[str, Any]:
    nodes = compose_yaml(text)
    if not nodes:
        return {}
    root = nodes[0]
    if len(nodes) > 1 or root.tag != "tag:yaml.org,2002:map":
        raise YamlError("the relay configuration must be one mapping of keys", 1, "see Mailpit")
    constructor = yaml_constructor()
    values: dict[str, Any] = {}
    for key_node, value_node in root.value:
        key = str(key_node.value)
        line = key_node.start_mark.line + 1
        if key not in _KEYS:
            raise YamlError(
                f"unknown key {key!r} in the relay configuration",
                line,
                f"use Mailpit's keys: {', '.join(_KEYS)}",
            )
        name, kind = _KEYS[key]
        value = constructor.construct_object(value_node, deep=True)
        if kind is str and isinstance(value, int | float) and not isinstance(value, bool):
            value = str(value)  # a numeric password
        if value is None or not isinstance(value, kind) or (kind is int and value is True):
            fix = "put the value in quotes" if kind is str else f"e.g. {key}: {_EXAMPLES[kind]}"
            raise YamlError(f"{key} must be {_TYPE_NAMES[kind]}", line, fix)
        if key == "recipient-allowlist" and name in values:
            continue  # allowed-recipients wins, as in Mailpit
        values[name] = value
    constructor.dispose()
    return values


def checked(relay: SmtpRelay) -> SmtpRelay:
    """The relay as Mailpit validates it: auth names normalised and their credentials present,
    `override-from` reduced to its address, not TLS and STARTTLS together; ValueError if not."""
    auth = relay.auth.lower()
    auth = "none" if auth in ("", "none", "false") else auth
    auth = "cram-md5" if auth.startswith("cram") else auth
    if auth not in AUTHS:
        raise ValueError(f"authentication method not supported: {relay.auth} (use {AUTHS})")
    if auth in ("plain", "login") and not (relay.username and relay.password):
        raise ValueError(f"username or password not set for {auth.upper()} authentication")
    if auth == "cram-md5" and not (relay.username and relay.secret):
        raise ValueError("username or secret not set for CRAM-MD5 authentication")
    override = relay.override_from
    if override:
        override = parseaddr(override)[1]
        if "@" not in override:
            raise ValueError(f"override-from is not a valid email address: {relay.override_from}")
    if relay.starttls and relay.tls:
        raise ValueError("TLS & STARTTLS cannot be required together (choose one)")
    if not 0 < relay.port <= 65535:
        raise ValueError(f"port {relay.port} is not a TCP port (1-65535)")
    return replace(relay, auth=auth, override_from=override)
