"""Resend's contact imports: a CSV file of contacts, imported at once.

`column_map` (JSON) names the CSV column of `email`, `first_name`, `last_name`, `unsubscribed`
and of each custom property (`{"column", "type"}`); without it the columns are read by those
names. `on_conflict` decides what an existing contact gets (`skip`, the default, or `upsert`);
imported contacts join `segments` and take the `topics` subscriptions. A row without a usable
email address fails; the counts say how many rows did what. Resend sends no `contact.*`
webhooks for imports, and neither does Doorstep.
"""

from __future__ import annotations

import csv
import io
import json
import threading
from collections.abc import Mapping
from typing import Any

from emulator.core import Clock, IdFactory
from emulator.mail._resend_contacts import ResendContacts
from emulator.mail._resend_resources import Record, page, pg_time
from emulator.mail._resend_topics import ResendTopics
from emulator.mail._resend_validation import ResendApiError

STATUSES = ("queued", "in_progress", "completed", "failed")
_FIELDS = ("email", "first_name", "last_name", "unsubscribed")
_TRUE = {"true", "yes", "1", "y"}


def _invalid(message: str) -> ResendApiError:
    return ResendApiError(422, "validation_error", message)


def _json_field(form: Mapping[str, str], name: str, kind: type) -> Any:
    if not form.get(name):
        return kind()
    try:
        value = json.loads(form[name])
    except ValueError:
        raise _invalid(f"The `{name}` field must be JSON-encoded.") from None
    if not isinstance(value, kind):
        raise _invalid(f"The `{name}` field must be a JSON {kind.__name__}.")
    return value


def _typed(value: str, kind: str) -> Any:
    if kind == "number":
        try:
            return float(value) if "." in value else int(value)
        except ValueError:
            return None
    if kind == "boolean":
        return value.strip().lower() in _TRUE
    return value


class ResendContactImports:
    """Import records, and the contacts they create or update."""

    def __init__(
        self, clock: Clock, contacts: ResendContacts, topics: ResendTopics, *, seed: int = 0
    ) -> None:
        self.clock, self.contacts, self.topics = clock, contacts, topics
        self._ids = IdFactory(seed, kind="resend_contact_imports")
        self._lock = threading.RLock()
        self.imports: dict[str, Record] = {}

    def clear(self) -> None:
        """Forget every import record (the contacts stay until the contacts are cleared)."""
        with self._lock:
            self.imports.clear()

    def create(self, form: Mapping[str, str]) -> Record:
        """`POST /contacts/imports`: `form` holds the multipart fields (`file` as text)."""
        if "file" not in form:
            raise ResendApiError(422, "missing_required_field", "Missing `file` field.")
        column_map = _json_field(form, "column_map", dict)
        segments, topics = _json_field(form, "segments", list), _json_field(form, "topics", list)
        on_conflict = form.get("on_conflict") or "skip"
        if on_conflict not in ("skip", "upsert"):
            raise _invalid("The `on_conflict` field must be `skip` or `upsert`.")
        try:
            rows = list(csv.DictReader(io.StringIO(form["file"], newline="")))
        except csv.Error as exc:
            raise _invalid(f"The `file` must be a CSV file ({exc}).") from None
        counts = dict.fromkeys(("total", "created", "updated", "skipped", "failed"), 0)
        counts["total"] = len(rows)
        with self._lock:
            for row in rows:
                counts[self._row(row, column_map, on_conflict, segments, topics)] += 1
            now = pg_time(self.clock.now)
            record: Record = {
                "object": "contact_import",
                "id": self._ids.uuid4(),
                "status": "completed",
                "created_at": now,
                "completed_at": now,
                "counts": counts,
            }
            self.imports[record["id"]] = record
        return {"object": "contact_import", "id": record["id"]}

    def _row(
        self,
        row: Mapping[str, str],
        column_map: Mapping[str, Any],
        on_conflict: str,
        segments: list[Any],
        topics: list[Any],
    ) -> str:
        values: dict[str, Any] = {}
        for name in _FIELDS:
            column = column_map.get(name, name)
            if isinstance(column, str) and row.get(column) not in (None, ""):
                values[name] = row[column]
        if "unsubscribed" in values:
            values["unsubscribed"] = str(values["unsubscribed"]).strip().lower() in _TRUE
        properties = {}
        for key, spec in (column_map.get("properties") or {}).items():
            column, kind = (
                (spec, "string")
                if isinstance(spec, str)
                else (spec.get("column", key), spec.get("type", "string"))
            )
            if row.get(column) not in (None, ""):
                properties[key] = _typed(row[column], kind)
        if properties:
            values["properties"] = properties
        email = values.get("email", "")
        if "@" not in email:
            return "failed"
        try:
            existing = self.contacts.contact(email)
        except ResendApiError:
            existing = None
        if existing is not None and on_conflict == "skip":
            return "skipped"
        try:
            if existing is None:
                contact_id = self.contacts.create_contact(values)["id"]
            else:
                contact_id = self.contacts.update_contact(existing["id"], values)["id"]
            for segment in segments:
                key = segment.get("id") if isinstance(segment, dict) else segment
                self.contacts.add_to_segment(contact_id, str(key))
            if topics:
                self.topics.update_contact_topics(contact_id, {"topics": topics})
        except ResendApiError:
            return "failed"
        return "created" if existing is None else "updated"

    def list(
        self, limit: int, after: str | None, before: str | None, status: str | None = None
    ) -> Record:
        """`GET /contacts/imports`: newest first, optionally one `status`."""
        if status is not None and status not in STATUSES:
            raise _invalid(f"The `status` parameter must be one of {', '.join(STATUSES)}.")
        with self._lock:
            items = [
                dict(i)
                for i in reversed(self.imports.values())
                if status is None or i["status"] == status
            ]
        return page(items, limit, after, before)

    def get(self, import_id: str) -> Record:
        """`GET /contacts/imports/{id}`."""
        with self._lock:
            record = self.imports.get(import_id)
        if record is None:
            raise ResendApiError(404, "not_found", "Contact import not found")
        return dict(record)
