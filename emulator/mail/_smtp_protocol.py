"""aiosmtpd's SMTP session with the per-message paths made cheap, answering exactly as it does.

`_Smtp` is the session Doorstep's SMTP server runs: a connect-stage failure (a chaos rule) is
answered before the greeting; a plain `MAIL FROM:<a@b.c>` / `RCPT TO:<a@b.c>` path is read with
one regular expression (aiosmtpd's `_getaddr` runs the stdlib's header parser and builds a
`typing.Protocol` class per command); DATA is read in bulk by `_smtp_data.read_data`. Anything
else (comments, quoted or bracketed addresses, decode_data) takes aiosmtpd's own code.
`tests/test_smtp_protocol.py` runs both on the same input.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

from aiosmtpd.smtp import MISSING, SMTP, syntax

from emulator.mail._smtp_data import read_data

DEFAULT_DATA_LIMIT = 50 * 1024 * 1024  # Mailpit rejects messages over 50 MB
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_PLAIN_PATH = re.compile(rf"<({_ATOM}(?:\.{_ATOM})*@{_ATOM}(?:\.{_ATOM})*)>[ \t]*")


class _Smtp(SMTP):
    """aiosmtpd's SMTP with a connect-stage failure hook and no 1,000-byte line limit.

    aiosmtpd splits DATA on CRLF and refuses a "line" over 1,001 bytes, so a message with bare
    LF line ends (what `smtplib.sendmail` sends for bytes with `\n`) over about 1 KB got
    `500 Line too long`. Mailpit accepts those; here a line may be as long as the whole
    message may be, and `data_size_limit` still bounds the total.
    """

    def __init__(self, handler: Any, **kwargs: Any) -> None:
        # SMTP.__init__ sizes its StreamReader's buffer from this, so it is set first
        self.line_length_limit = max(
            SMTP.line_length_limit, (kwargs.get("data_size_limit") or DEFAULT_DATA_LIMIT) + 2
        )
        super().__init__(handler, **kwargs)
        # AUTH without TLS is what a local capture server is for: aiosmtpd warns about it on
        # every connection when asked in its constructor, so the requirement is set here
        self._auth_required = handler.auth_required
        self._doorstep = handler

    async def _handle_client(self) -> None:
        if not self._doorstep.probing:
            rule = self._doorstep.take("smtp.connect", [])
            if rule is not None:
                if not rule.disconnect:
                    await self.push(f"{rule.code} {rule.message}")
                if self.transport is not None:
                    self.transport.close()
                return
        await super()._handle_client()

    def _getaddr(self, arg: str) -> tuple[str | None, str | None]:
        """aiosmtpd's MAIL/RCPT address parse, without its parser for a plain `<a@b.c>`."""
        found = _PLAIN_PATH.match(arg)
        if found is None or arg.startswith("(", found.end()):  # a comment: the parser's job
            return super()._getaddr(arg)
        address = found.group(1)
        if self.local_part_limit and address.index("@") > self.local_part_limit:
            return None, None
        return address, arg[found.end() :]

    @syntax("DATA")
    async def smtp_DATA(self, arg: str) -> None:
        """aiosmtpd's DATA: the same checks, answers and envelope, the data read in bulk."""
        if self._decode_data:  # never asked for by SmtpServer: aiosmtpd's own code
            await super().smtp_DATA(arg)
            return
        if await self.check_helo_needed() or await self.check_auth_needed("DATA"):
            return
        assert self.envelope is not None
        if not self.envelope.rcpt_tos:
            await self.push("503 Error: need RCPT command")
            return
        if arg:
            await self.push("501 Syntax: DATA")
            return
        await self.push("354 End data with <CR><LF>.<CR><LF>")
        try:
            content, refusal = await read_data(
                self._reader, self.data_size_limit or 0, self.line_length_limit
            )
        except asyncio.CancelledError:
            self._writer.close()  # the connection went during DATA
            raise
        if refusal is not None:
            await self.push(refusal)
            self._set_post_data_state()  # type: ignore[no-untyped-call]
            return
        self.envelope.content = self.envelope.original_content = content
        status = await self._call_handler_hook("DATA")
        self._set_post_data_state()  # type: ignore[no-untyped-call]
        await self.push("250 OK" if status is MISSING else status)
