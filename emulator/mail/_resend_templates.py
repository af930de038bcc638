"""Resend's templates: drafts, published versions, and sending with `template` in `POST /emails`.

As Resend documents (dashboard/templates): a template starts as a draft and only its published
version sends; editing a published template makes a new draft (`has_unpublished_versions`) while
the published version keeps sending until the next publish. Variables are written `{{{KEY}}}`,
each declared (at most 50, not a reserved name) with an optional `fallback_value`; a send fills
them from `template.variables`, else the fallback, and refuses one left with neither.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from typing import Any

from emulator.core import Clock, IdFactory
from emulator.mail._resend_resources import Record, body_of, field, found, page, pg_time
from emulator.mail._resend_validation import ResendApiError

_CONTENT = ("name", "alias", "from", "subject", "html", "text")
_TYPES = ("string", "number", "boolean", "object", "list")
_RESERVED = frozenset({"FIRST_NAME", "LAST_NAME", "EMAIL", "UNSUBSCRIBE_URL", "contact", "this"})
_VARIABLE = re.compile(r"\{\{\{\s*([A-Za-z_][\w.]*)\s*(?:\|([^}]*))?\}\}\}")
_LISTED = ("id", "name", "status", "published_at", "created_at", "updated_at", "alias")
_NULLABLE = ("reply_to", "published_at")
MAX_VARIABLES = 50


def _shown(record: Record, keys: Any = None) -> Record:
    """`record` as the API answers it: a field that is unset and not nullable is left out."""
    return {
        k: v
        for k, v in record.items()
        if (keys is None or k in keys) and (v is not None or k in _NULLABLE)
    }


def _invalid(message: str) -> ResendApiError:
    return ResendApiError(422, "validation_error", message)


class ResendTemplates:
    """Template records (found by id or alias) and the published version each sends."""

    def __init__(self, clock: Clock, *, seed: int = 0) -> None:
        self.clock = clock
        self._ids = IdFactory(seed, kind="resend_templates")
        self._lock = threading.RLock()
        self.templates: dict[str, Record] = {}
        self.published: dict[str, Record] = {}  # template id -> the version that sends

    def clear(self) -> None:
        """Forget every template."""
        with self._lock:
            self.templates.clear()
            self.published.clear()

    def _variables(self, raw: Any) -> list[Record]:
        if not isinstance(raw, list) or len(raw) > MAX_VARIABLES:
            raise _invalid(f"The `variables` field must be a list of at most {MAX_VARIABLES}.")
        now, out = pg_time(self.clock.now), []
        for index, item in enumerate(raw):
            body = body_of(item)
            key = field(body, "key", str, required=True)
            kind = field(body, "type", str, required=True)
            if kind not in _TYPES:
                raise _invalid(f"variables[{index}].type must be one of {', '.join(_TYPES)}.")
            if key in _RESERVED:
                raise _invalid(f"The variable name `{key}` is reserved and cannot be used.")
            out.append(
                {
                    "id": self._ids.uuid4(),
                    "key": key,
                    "type": kind,
                    "fallback_value": body.get("fallback_value"),
                    "created_at": now,
                    "updated_at": now,
                }
            )
        return out

    def _apply(self, body: Mapping[str, Any], record: Record) -> None:
        for name in _CONTENT:
            value = field(body, name, str)
            if value is not None:
                record[name] = value
        reply_to = field(body, "reply_to", list)
        if reply_to is not None:
            record["reply_to"] = [str(r) for r in reply_to]
        if body.get("variables") is not None:
            record["variables"] = self._variables(body["variables"])
        declared = {v["key"] for v in record["variables"]}
        for name in ("subject", "html", "text"):
            for match in _VARIABLE.finditer(record.get(name) or ""):
                if match.group(1) not in declared | _RESERVED:
                    raise _invalid(
                        f"Variable '{match.group(1)}' is used in the template but not defined "
                        "in the variables list"
                    )
        alias = record.get("alias")
        if alias and any(
            t["alias"] == alias for t in self.templates.values() if t["id"] != record["id"]
        ):
            raise ResendApiError(409, "invalid_parameter", f"The alias `{alias}` is in use.")

    def create(self, raw: Any) -> Record:
        """`POST /templates`: a draft."""
        body = body_of(raw)
        field(body, "name", str, required=True)
        field(body, "html", str, required=True)
        now = pg_time(self.clock.now)
        with self._lock:
            record: Record = {
                "object": "template",
                "id": self._ids.uuid4(),
                "current_version_id": self._ids.uuid4(),
                "alias": None,
                "from": None,
                "subject": None,
                "reply_to": None,
                "text": None,
                "variables": [],
                "created_at": now,
                "updated_at": now,
                "status": "draft",
                "published_at": None,
                "has_unpublished_versions": False,
            }
            self._apply(body, record)
            self.templates[record["id"]] = record
        return {"object": "template", "id": record["id"]}

    def _find(self, key: str) -> Record:
        record = self.templates.get(key) or next(
            (t for t in self.templates.values() if key and t["alias"] == key), None
        )
        return found({key: record} if record else {}, key, "Template")

    def get(self, key: str) -> Record:
        """`GET /templates/{id or alias}`."""
        with self._lock:
            return _shown(self._find(key))

    def list(self, limit: int, after: str | None, before: str | None) -> Record:
        """`GET /templates`: newest first."""
        with self._lock:
            items = [_shown(t, _LISTED) for t in reversed(self.templates.values())]
        return page(items, limit, after, before)

    def update(self, key: str, raw: Any) -> Record:
        """`PATCH /templates/{id or alias}`: the draft changes; a published version stays."""
        body = body_of(raw)
        with self._lock:
            record = self._find(key)
            changed = dict(record)
            self._apply(body, changed)
            changed["current_version_id"] = self._ids.uuid4()
            changed["updated_at"] = pg_time(self.clock.now)
            changed["has_unpublished_versions"] = record["status"] == "published"
            record.update(changed)
        return {"object": "template", "id": record["id"]}

    def remove(self, key: str) -> Record:
        """`DELETE /templates/{id or alias}`."""
        with self._lock:
            record = self._find(key)
            del self.templates[record["id"]]
            self.published.pop(record["id"], None)
        return {"object": "template", "id": record["id"], "deleted": True}

    def publish(self, key: str) -> Record:
        """`POST /templates/{id or alias}/publish`: this version sends from now on."""
        with self._lock:
            record = self._find(key)
            now = pg_time(self.clock.now)
            record.update(status="published", published_at=now, updated_at=now)
            record["has_unpublished_versions"] = False
            self.published[record["id"]] = dict(record)
        return {"object": "template", "id": record["id"]}

    def duplicate(self, key: str) -> Record:
        """`POST /templates/{id or alias}/duplicate`: a draft copy (without the alias)."""
        with self._lock:
            source = self._find(key)
            now = pg_time(self.clock.now)
            copy = dict(source) | {
                "id": self._ids.uuid4(),
                "current_version_id": self._ids.uuid4(),
                "name": f"{source['name']} (Copy)",
                "alias": None,
                "status": "draft",
                "published_at": None,
                "has_unpublished_versions": False,
                "created_at": now,
                "updated_at": now,
            }
            self.templates[copy["id"]] = copy
        return {"object": "template", "id": copy["id"]}

    # -- sending -----------------------------------------------------------------------
    def expand(self, body: Any) -> Any:
        """A `SendEmailRequest` with `template` turned into its published version's fields
        (the request's own `from`, `subject` and `reply_to` win); any other body unchanged."""
        if not isinstance(body, dict) or body.get("template") is None:
            return body
        if body.get("html") is not None or body.get("text") is not None:
            raise _invalid("The `template` field cannot be used together with `html` or `text`.")
        spec = body_of(body["template"])
        key = field(spec, "id", str, required=True)
        values = field(spec, "variables", dict) or {}
        with self._lock:
            record = self._find(key)
            version = self.published.get(record["id"])
        if version is None:
            raise _invalid(f"The template `{key}` is not published yet; publish it first.")
        fill = _filler(version["variables"], values)
        out = {k: v for k, v in body.items() if k != "template"}
        for name in ("from", "subject", "reply_to"):
            if out.get(name) in (None, "", []) and version.get(name):
                out[name] = version[name]
        out["subject"] = fill(out.get("subject"))
        out["html"] = fill(version["html"])
        if version.get("text"):
            out["text"] = fill(version["text"])
        return out


def _filler(variables: list[Record], values: Mapping[str, Any]) -> Any:
    def value(match: re.Match[str]) -> str:
        key = match.group(1)
        if key in values and values[key] is not None:
            return str(values[key])
        declared = next((v for v in variables if v["key"] == key), None)
        if declared is not None and declared.get("fallback_value") is not None:
            return str(declared["fallback_value"])
        if match.group(2) is not None:
            return match.group(2).strip()
        if key in _RESERVED:
            return match.group(0)
        raise _invalid(
            f"Missing value for the template variable `{key}`, which has no fallback_value: "
            "pass it in `template.variables`."
        )

    def fill(text: str | None) -> str | None:
        return None if text is None else _VARIABLE.sub(value, text)

    return fill
