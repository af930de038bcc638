"""TLS contexts for the SMTP server's STARTTLS: a throwaway self-signed certificate, or the
operator's certificate and key files (`doorstep serve --smtp-tls-cert/--smtp-tls-key`)."""

from __future__ import annotations

import ssl
import tempfile
from pathlib import Path

from emulator.core import DoorstepError


class SmtpServerError(DoorstepError):
    """The SMTP server could not start or was used while stopped."""


def self_signed_context(hostname: str = "doorstep.local") -> ssl.SSLContext:
    """A server SSLContext with a fresh self-signed certificate (needs `cryptography`)."""
    try:
        from emulator.mail._tls import self_signed_pem
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise SmtpServerError(
            "STARTTLS needs a certificate: pip install cryptography, or pass tls_context="
        ) from exc
    cert, key = self_signed_pem(hostname)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    with tempfile.TemporaryDirectory() as tmp:
        cert_path, key_path = Path(tmp) / "cert.pem", Path(tmp) / "key.pem"
        cert_path.write_bytes(cert)
        key_path.write_bytes(key)
        context.load_cert_chain(cert_path, key_path)
    return context


def tls_context_from_files(cert: Path, key: Path | None = None) -> ssl.SSLContext:
    """A server SSLContext from PEM files (`key` None: the key is in `cert`); SmtpServerError
    names the file that is missing or unreadable and what it must hold."""
    for path, what in ((cert, "certificate"), (key, "private key")):
        if path is not None and not path.is_file():
            raise SmtpServerError(f"TLS {what} file {path} does not exist")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    try:
        context.load_cert_chain(cert, key)
    except (ssl.SSLError, OSError) as exc:
        shown = f"{cert} and {key}" if key is not None else str(cert)
        raise SmtpServerError(
            f"cannot load the TLS certificate and key from {shown} ({exc}); give a PEM "
            "certificate (chain) and its unencrypted PEM private key"
        ) from None
    return context
