"""The Mailbox's reading index: Mailpit's list, counts, tags and search at a cost per page or per
match, however many emails are kept.

The Mailbox tells the index of every email added (`added`, one list append: the id joins an
append-only log) and removed (`removed`, `cleared`). What a listing needs is built on first use
and then kept up to date: the tag counts (each email's tags counted once; retagging and
deleting adjust them), and per search field one lower-cased string of every email's values
(`SEARCH_FIELDS`), which `str.find` scans in C, so a search term costs per match. Emails added
since are indexed on the next read; removed ones stay in the strings until the log is compacted
(when it holds twice the emails kept) and are skipped meanwhile. Every method runs under the
Mailbox's lock with every kept email parsed: `with mailbox.reading() as index:` sees to both.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter
from itertools import islice
from typing import cast

from emulator.mail._capture import _Raw
from emulator.mail._fields import SEARCH_FIELDS, default_tags
from emulator.mail._flags import MailFlags
from emulator.mail._model import CapturedEmail

_SEP = "\x00"  # between values and emails in a field's string; a needle holding it scans


class _FieldText:
    """One search field's values of every logged email: `text[starts[i]:]` is log entry i's."""

    __slots__ = ("done", "starts", "text")

    def __init__(self) -> None:
        self.text = ""
        self.starts: list[int] = []
        self.done = 0  # log entries indexed


class MailIndex:
    """Counts, tags and search postings of one Mailbox (see the module docstring)."""

    def __init__(
        self,
        emails: dict[str, CapturedEmail | _Raw],
        flags: MailFlags,
    ) -> None:
        self._emails = emails
        self._flags = flags
        self._log: list[str] = list(emails)  # ids in arrival order, removed ones included
        self._tags: dict[str, list[str]] | None = None  # email id -> tags counted
        self._tag_counts: Counter[str] = Counter()
        self._tags_done = 0  # log entries whose tags are counted
        self._fields: dict[str, _FieldText] = {}
        flags.on_tags = self._retagged

    # -- told by the Mailbox (under its lock) ---------------------------------------------
    def added(self, email_id: str) -> None:
        """An email joined the Mailbox."""
        self._log.append(email_id)
        if len(self._log) > 2 * len(self._emails) + 1024:
            self._compact()

    def removed(self, ids: list[str]) -> None:
        """These emails left the Mailbox (deleted, evicted)."""
        if self._tags is not None:
            for email_id in ids:
                self._uncount(email_id)

    def cleared(self) -> None:
        """Every email left the Mailbox."""
        self._log = []
        self._fields = {}
        self._tags_done = 0
        if self._tags is not None:
            self._tags, self._tag_counts = {}, Counter()

    def _compact(self) -> None:
        self._log = list(self._emails)
        self._fields = {}  # rebuilt on the next search
        self._tags_done = 0  # recounting skips the emails counted already

    # -- reads ---------------------------------------------------------------------------------
    def newest(self, start: int = 0, limit: int | None = None) -> list[CapturedEmail]:
        """Kept emails newest first, from `start`, at most `limit` (None: all)."""
        stop = None if limit is None else start + limit
        newest = islice(reversed(self._emails.values()), start, stop)
        return cast("list[CapturedEmail]", list(newest))

    def unread(self) -> int:
        """How many kept emails nobody has read."""
        return len(self._emails) - self._flags.read_count

    def tags_of(self, email: CapturedEmail) -> list[str]:
        """The email's tags: as last set by hand (`MailFlags`), else its own (`default_tags`)."""
        chosen = self._flags.tags(email.id)
        return chosen if chosen is not None else default_tags(email)

    def tag_counts(self) -> dict[str, int]:
        """Every tag in use and how many kept emails carry it."""
        if self._tags is None:
            self._tags, self._tags_done = {}, 0
        counted, emails = self._tags, self._emails
        for email_id in self._log[self._tags_done :]:
            email = emails.get(email_id)
            if email is not None and email_id not in counted:
                self._count(cast(CapturedEmail, email))
        self._tags_done = len(self._log)
        return {tag: n for tag, n in self._tag_counts.items() if n > 0}

    def matching(self, field: str, needle: str) -> list[CapturedEmail] | None:
        """Kept emails, newest first, with `needle` (lower-case) inside one of the values of
        search field `field` (a key of `SEARCH_FIELDS`); None when the index cannot answer
        (an empty needle, or one holding the separator): scan the emails instead."""
        if not needle or _SEP in needle or field not in SEARCH_FIELDS:
            return None
        found = self._field(field)
        text, starts, log, emails = found.text, found.starts, self._log, self._emails
        hits: dict[str, CapturedEmail] = {}
        at = text.find(needle)
        while at >= 0:
            entry = bisect_right(starts, at) - 1
            email = emails.get(log[entry])
            if email is not None:  # an id logged twice (deleted, captured again) counts last
                hits.pop(email.id, None)
                hits[email.id] = cast(CapturedEmail, email)
            nxt = entry + 1
            at = text.find(needle, starts[nxt]) if nxt < len(starts) else -1
        return list(reversed(hits.values()))

    # -- upkeep ----------------------------------------------------------------------------------
    def _field(self, field: str) -> _FieldText:
        found = self._fields.get(field)
        if found is None:
            found = self._fields[field] = _FieldText()
        fields, emails, log = SEARCH_FIELDS[field], self._emails, self._log
        if found.done < len(log):
            pieces, offset = [], len(found.text)
            for email_id in log[found.done :]:
                email = emails.get(email_id)
                values = () if email is None else fields(cast(CapturedEmail, email))
                piece = _SEP + _SEP.join((v or "").lower() for v in values)
                found.starts.append(offset)
                offset += len(piece)
                pieces.append(piece)
            found.text += "".join(pieces)
            found.done = len(log)
        return found

    def _count(self, email: CapturedEmail) -> None:
        assert self._tags is not None
        tags = self.tags_of(email)
        self._tags[email.id] = tags
        self._tag_counts.update(tags)

    def _uncount(self, email_id: str) -> None:
        assert self._tags is not None
        gone = self._tags.pop(email_id, None)
        if gone:
            self._tag_counts.subtract(gone)

    def _retagged(self, email_id: str) -> None:
        if self._tags is not None and email_id in self._tags:
            self._uncount(email_id)
            self._count(cast(CapturedEmail, self._emails[email_id]))
