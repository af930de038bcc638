"""`doorstep serve`'s Mailpit options: the release relay (`--smtp-relay-config FILE`, Mailpit's
relay YAML, and `--smtp-relay HOST:PORT` with its recipient patterns, which win over the file),
SpamAssassin (`--spamassassin`) and chaos triggers (`--enable-chaos`), each with its
environment twin."""

from __future__ import annotations

import argparse
import re
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from emulator.cli._args import flag, option

if TYPE_CHECKING:
    from emulator.http import SmtpRelay


def host_port(text: str) -> tuple[str, int]:
    """`HOST:PORT` (`[v6]:PORT`), e.g. for --smtp-relay and --spamassassin."""
    host, colon, port = text.strip().rpartition(":")
    host = host.strip("[]")
    if not colon or not host or not port.isdigit() or not 0 < int(port) <= 65535:
        raise ValueError(f"{text!r} is not HOST:PORT, e.g. smtp.example.com:587 or 127.0.0.1:783")
    return host, int(port)


def _pattern(text: str) -> str:
    try:
        re.compile(text)
    except re.error as exc:
        raise ValueError(f"{text!r} is not a regular expression ({exc})") from None
    return text


def _relay_config(text: str) -> SmtpRelay:
    from emulator.http import load_relay_config

    return load_relay_config(Path(text))


def add_mailpit_options(serve: argparse.ArgumentParser) -> None:
    """Mailpit's release relay, SpamAssassin and chaos, each with its environment twin."""
    option(
        serve,
        "--smtp-relay-config",
        "DOORSTEP_SMTP_RELAY_CONFIG",
        _relay_config,
        None,
        "Mailpit's relay configuration file (YAML: host, port, starttls, tls, allow-insecure, "
        "auth, username, password, secret, return-path, override-from, allowed-recipients, "
        "blocked-recipients, preserve-message-ids, forward-smtp-errors) for release",
        metavar="FILE",
    )
    option(
        serve,
        "--smtp-relay",
        "DOORSTEP_SMTP_RELAY",
        host_port,
        None,
        "SMTP server that Mailpit's release (POST /api/v1/message/{ID}/release) and the "
        "inspector's Release send captured emails on to; wins over the host and port of "
        "--smtp-relay-config (default: release is off)",
        metavar="HOST:PORT",
    )
    option(
        serve,
        "--smtp-relay-allowed-recipients",
        "DOORSTEP_SMTP_RELAY_ALLOWED_RECIPIENTS",
        _pattern,
        None,
        "release only to addresses this regular expression finds, e.g. @example\\.com$ "
        "(Mailpit's allowed-recipients)",
        metavar="REGEX",
    )
    option(
        serve,
        "--smtp-relay-blocked-recipients",
        "DOORSTEP_SMTP_RELAY_BLOCKED_RECIPIENTS",
        _pattern,
        None,
        "never release to addresses this regular expression finds (Mailpit's blocked-recipients)",
        metavar="REGEX",
    )
    _add_spamassassin_and_chaos(serve)


def _add_spamassassin_and_chaos(serve: argparse.ArgumentParser) -> None:
    option(
        serve,
        "--spamassassin",
        "DOORSTEP_SPAMASSASSIN",
        host_port,
        None,
        "spamd server for Mailpit's SpamAssassin check (GET /api/v1/message/{ID}/sa-check; "
        "default: off, the route answers 404 as Mailpit's does)",
        metavar="HOST:PORT",
    )
    option(
        serve,
        "--enable-chaos",
        "DOORSTEP_ENABLE_CHAOS",
        flag,
        False,
        "turn on Mailpit's chaos triggers (GET/PUT /api/v1/chaos), which make SMTP commands "
        "fail on purpose; off, as in Mailpit, the routes answer 400 `Chaos is not enabled`",
        nargs="?",
        const=True,
        metavar="BOOL",
    )


def relay_from_args(args: argparse.Namespace) -> SmtpRelay | None:
    """The relay configuration file, overridden by `--smtp-relay` and the recipient patterns
    given as flags; None when release is off."""
    from emulator.http import SmtpRelay

    relay: SmtpRelay | None = args.smtp_relay_config
    if args.smtp_relay is not None:
        host, port = args.smtp_relay
        relay = SmtpRelay(host, port) if relay is None else replace(relay, host=host, port=port)
    if relay is None:
        return None
    patterns = {
        "allowed_recipients": args.smtp_relay_allowed_recipients,
        "blocked_recipients": args.smtp_relay_blocked_recipients,
    }
    return replace(relay, **{k: v for k, v in patterns.items() if v is not None})
