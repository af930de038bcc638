"""Mailpit's HTML check: email-client support of the HTML and CSS an email uses (caniemail data)."""

from emulator.http.htmlcheck._check import html_check, platforms

__all__ = [
    "html_check",
    "platforms",
]
