"""Mailpit's link check: offline rules for every link; HEAD only to allowed, vetted hosts.
The same allow-list and address rules vet fetch steps' real requests (`fetch_responder`)."""

from emulator.http.linkcheck._check import LinkChecker
from emulator.http.linkcheck._fetch import fetch_responder
from emulator.http.linkcheck._rules import parse_allow_list

__all__ = [
    "LinkChecker",
    "fetch_responder",
    "parse_allow_list",
]
