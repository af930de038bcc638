"""Mailpit's link check: offline rules for every link; HEAD only to allowed, vetted hosts."""

from emulator.http.linkcheck._check import LinkChecker
from emulator.http.linkcheck._rules import parse_allow_list

__all__ = [
    "LinkChecker",
    "parse_allow_list",
]
