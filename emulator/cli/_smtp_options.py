"""`doorstep serve`'s SMTP security options (STARTTLS, AUTH, TLS required, Mailpit's
`--smtp-tls-cert`/`--smtp-auth*`/`--smtp-require-tls` in Doorstep's spelling) and
`--allow-fetch HOST`, the hosts fetch steps may call. Mailpit's release, SpamAssassin and chaos
options are in `_mailpit_options`."""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from emulator.cli._args import flag, option, typed
from emulator.mail import Mailbox, tls_context_from_files

if TYPE_CHECKING:
    from emulator.mail import SmtpServer

ANY = "any"  # --smtp-auth with no value: any user name and password are accepted


def _credentials(text: str) -> str:
    """`any`, or `USER:PASSWORD` (the password may contain colons)."""
    if text == ANY:
        return text
    user, colon, password = text.partition(":")
    if not colon or not user or not password:
        raise ValueError(f"{text!r} is not USER:PASSWORD (or leave the value out to accept any)")
    return text


@dataclass(frozen=True, slots=True)
class SmtpOptions:
    """How the SMTP server is secured: STARTTLS, its certificate, AUTH, TLS required."""

    tls: bool = False  # offer STARTTLS
    tls_cert: Path | None = None  # PEM certificate (chain); None: a throwaway self-signed one
    tls_key: Path | None = None  # its PEM private key (None: inside tls_cert)
    auth: str | None = None  # None: no AUTH needed; "any"; or "USER:PASSWORD"
    tls_required: bool = False  # every command but EHLO/NOOP/QUIT/STARTTLS waits for TLS

    @property
    def starttls(self) -> bool:
        """Whether STARTTLS is offered (asked for, a certificate given, or TLS required)."""
        return self.tls or self.tls_cert is not None or self.tls_required

    def server(self, mailbox: Mailbox, host: str, port: int) -> SmtpServer:
        """The SMTP server these options describe (not started); SmtpServerError for a bad
        certificate or key file."""
        from emulator.mail import SmtpServer  # loads aiosmtpd, so only when serving

        context = None
        if self.tls_cert is not None:
            context = tls_context_from_files(self.tls_cert, self.tls_key)
        credentials = None
        if self.auth is not None and self.auth != ANY:
            user, _, password = self.auth.partition(":")
            credentials = (user, password)
        return SmtpServer(
            mailbox,
            host,
            port,
            starttls=self.starttls,
            tls_context=context,
            tls_required=self.tls_required,
            credentials=credentials,
            auth_required=self.auth is not None,
        )

    def describe(self) -> str:
        """One banner line: what a client must do."""
        if self.tls_cert is not None:
            tls = f"STARTTLS with {self.tls_cert}"
        elif self.starttls:
            tls = "STARTTLS (self-signed certificate: clients must not verify it)"
        else:
            tls = "no TLS"
        if self.tls_required:
            tls += ", required"
        if self.auth is None:
            auth = "no AUTH needed"
        elif self.auth == ANY:
            auth = "AUTH required (any user and password)"
        else:
            auth = f"AUTH required (user {self.auth.partition(':')[0]})"
        return f"{tls}; {auth}"


def add_smtp_options(serve: argparse.ArgumentParser) -> None:
    """The SMTP security options and `--allow-fetch`, each with its environment twin."""
    _add_tls_options(serve)
    option(
        serve,
        "--smtp-auth",
        "DOORSTEP_SMTP_AUTH",
        _credentials,
        None,
        "require SMTP AUTH (PLAIN or LOGIN) before MAIL: with no value any user and password "
        "are accepted, with USER:PASSWORD only that pair",
        nargs="?",
        const=ANY,
        metavar="USER:PASSWORD",
    )
    serve.add_argument(
        "--allow-fetch",
        dest="allow_fetch",
        action="append",
        type=typed(_fetch_host),
        default=list(_env_fetch_hosts(serve)),
        metavar="HOST",
        help="a host fetch steps may send real requests to: host, host:port, *.domain or "
        "[ipv6]:port; names must resolve to public addresses (localhost to loopback), a private "
        "address must be named itself, e.g. 127.0.0.1:8000; repeatable "
        "[env: DOORSTEP_ALLOW_FETCH, comma-separated]",
    )


def _add_tls_options(serve: argparse.ArgumentParser) -> None:
    option(
        serve,
        "--smtp-tls",
        "DOORSTEP_SMTP_TLS",
        flag,
        False,
        "offer STARTTLS on the SMTP port, with a throwaway self-signed certificate unless "
        "--smtp-tls-cert is given",
        nargs="?",
        const=True,
        metavar="BOOL",
    )
    option(
        serve,
        "--smtp-tls-cert",
        "DOORSTEP_SMTP_TLS_CERT",
        Path,
        None,
        "PEM certificate (chain) for STARTTLS; implies --smtp-tls",
        metavar="FILE",
    )
    option(
        serve,
        "--smtp-tls-key",
        "DOORSTEP_SMTP_TLS_KEY",
        Path,
        None,
        "PEM private key of --smtp-tls-cert (default: read from the certificate file)",
        metavar="FILE",
    )
    option(
        serve,
        "--smtp-tls-required",
        "DOORSTEP_SMTP_TLS_REQUIRED",
        flag,
        False,
        "refuse MAIL and AUTH until the client has issued STARTTLS; implies --smtp-tls",
        nargs="?",
        const=True,
        metavar="BOOL",
    )


def _fetch_host(text: str) -> str:
    from emulator.http import parse_allow_list

    rules = parse_allow_list(text)
    if len(rules) != 1:
        raise ValueError(f"{text!r}: give one host per --allow-fetch (repeat the option)")
    return str(rules[0])


def _env_fetch_hosts(parser: argparse.ArgumentParser) -> tuple[str, ...]:
    from emulator.http import parse_allow_list

    raw = os.environ.get("DOORSTEP_ALLOW_FETCH", "")
    try:
        return tuple(str(rule) for rule in parse_allow_list(raw))
    except ValueError as exc:
        parser.error(f"environment variable DOORSTEP_ALLOW_FETCH={raw!r} is invalid: {exc}")
