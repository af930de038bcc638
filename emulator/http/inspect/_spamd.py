"""Mailpit's SpamAssassin check (`GET /api/v1/message/{id}/sa-check`) against a spamd server
(`doorstep serve --spamassassin HOST:PORT`), spoken to in spamd's own protocol (SPAMC/1.5).

Without `--spamassassin` the route answers 404, as Mailpit's router does when SpamAssassin is
not configured. With it, the email is sent as a `REPORT` request and the reply's `Spam:` header
and rule table become Mailpit's `{IsSpam, Error, Score, Rules}`; when spamd cannot be reached the
answer is still 200 with `Error` set, as Mailpit answers it. Scores are floored to one decimal.
"""

from __future__ import annotations

import asyncio
import math
import re
import socket
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from emulator.http.inspect._inspection import Inspection

SPAM_SCORE = 5.0  # Mailpit's threshold
TIMEOUT = 15.0
_RULE = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s+([A-Z0-9_]+)\s+(.*)$")
_SPAM_HEADER = re.compile(r"^Spam:\s*(\w+)\s*;\s*(-?[\d.]+)\s*/\s*(-?[\d.]+)", re.I | re.M)


def _floor1(value: float) -> float:
    return math.floor(value * 10) / 10


def ask_spamd(host: str, port: int, raw: bytes, timeout: float = TIMEOUT) -> bytes:
    """One `REPORT` exchange with spamd; the whole reply."""
    request = f"REPORT SPAMC/1.5\r\nContent-length: {len(raw)}\r\n\r\n".encode() + raw
    with socket.create_connection((host, port), timeout=timeout) as conn:
        conn.sendall(request)
        conn.shutdown(socket.SHUT_WR)
        chunks = []
        while chunk := conn.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def parse_reply(reply: bytes) -> dict[str, Any]:
    """Mailpit's SpamAssassin result from spamd's reply to `REPORT`."""
    text = reply.decode("utf-8", "replace").replace("\r\n", "\n")
    head, _, report = text.partition("\n\n")
    status = head.split("\n", 1)[0]
    if not status.startswith("SPAMD/") or " 0 " not in f"{status} ":
        return {"IsSpam": False, "Error": f"spamd answered: {status}", "Score": 0, "Rules": []}
    verdict = _SPAM_HEADER.search(head)
    score = float(verdict.group(2)) if verdict else 0.0
    rules: list[dict[str, Any]] = []
    in_table = False
    for line in report.split("\n"):
        if line.startswith("----"):
            in_table = True
            continue
        found = _RULE.match(line) if in_table else None
        if found:
            rules.append(
                {
                    "Score": _floor1(float(found.group(1))),
                    "Name": found.group(2),
                    "Description": found.group(3).strip(),
                }
            )
        elif in_table and rules and line.startswith(" ") and line.strip():
            rules[-1]["Description"] += " " + line.strip()
    return {"IsSpam": score >= SPAM_SCORE, "Error": "", "Score": _floor1(score), "Rules": rules}


async def spam_check(inspection: Inspection, request: Request) -> Any:
    """GET /api/v1/message/{id}/sa-check."""
    target = inspection.spamassassin
    if target is None:
        return Response("404 page not found\n", status_code=404, media_type="text/plain")
    email = inspection.email(request.path_params["id"])
    host, port = target
    try:
        reply = await asyncio.to_thread(ask_spamd, host, port, email.raw)
    except OSError as exc:
        return {
            "IsSpam": False,
            "Error": f"cannot reach spamd at {host}:{port}: {exc}",
            "Score": 0,
            "Rules": [],
        }
    return parse_reply(reply)
