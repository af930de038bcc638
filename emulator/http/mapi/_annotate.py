"""Management API documents as Knock answers them: the stored document plus its read-only fields
(`key`, `environment`, timestamps, `sha`, ...), and with `annotate=true` the `__annotation`s the
Knock CLI reads to decide which fields to write into their own files on pull and push
(`html_body` into `email_1/html_body.html`, a layout's `html_layout` into `html_layout.html`)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

# Template fields extracted into files by default, and their file extensions (Knock's CLI
# layout: `email_1/html_body.html`, `in_app_feed_1/markdown_body.md`, `visual_blocks.json`).
_TEMPLATE_FILES = {
    "html_body": "html",
    "markdown_body": "md",
    "visual_blocks": "json",
    "json_body": "json",
}
_BLOCK_FILES = {"markdown": "md", "html": "html", "text": "txt"}
_PARTIAL_FILES = {"html": "html", "markdown": "md", "text": "txt", "json": "json"}
READONLY = {
    "workflow": ["key", "active", "valid", "environment", "created_at", "updated_at", "sha"],
    "email_layout": ["key", "environment", "created_at", "updated_at", "sha"],
    "partial": ["key", "valid", "environment", "updated_at", "sha"],
    "guide": ["key", "active", "valid", "environment", "created_at", "updated_at", "sha"],
}
DROPPED = (
    "$schema",
    "__readonly",
    "__annotation",
    "inserted_at",
    *{f for fs in READONLY.values() for f in fs},
)


def stored(document: Mapping[str, Any]) -> dict[str, Any]:
    """What is kept of a pushed document: its editable fields (read-only ones are ours), without
    the CLI's `field@` file paths (it sends the file's content in `field` beside them)."""
    kept = {k: v for k, v in document.items() if k not in DROPPED or k == "active"}
    return dict(_without_paths(kept))


def _without_paths(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {
            k: _without_paths(v)
            for k, v in value.items()
            if not (isinstance(k, str) and k.endswith("@"))
        }
    if isinstance(value, list):
        return [_without_paths(v) for v in value]
    return value


def answer(
    resource_type: str,
    key: str,
    document: Mapping[str, Any],
    *,
    environment: str,
    timestamp: str,
    annotate: bool,
) -> dict[str, Any]:
    """The resource as the Management API returns it."""
    sha = hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest()
    out: dict[str, Any] = {k: v for k, v in document.items() if k != "active"}
    out.update(key=key, environment=environment, updated_at=timestamp, sha=sha)
    if resource_type in ("workflow", "guide"):
        out.update(active=document.get("active", True), valid=True, created_at=timestamp)
    if resource_type == "workflow" and annotate:
        out["steps"] = [_annotate_step(step) for step in out.get("steps") or []]
    elif resource_type == "email_layout":
        out["created_at"] = timestamp
        if annotate:
            files = {"html_layout": "html", "text_layout": "txt"}
            out["__annotation"] = _annotation(files)
    elif resource_type == "partial":
        out["valid"] = True
        if not annotate:  # the CLI keeps a read-only inserted_at in partial.json: leave it out
            out["inserted_at"] = timestamp
        if annotate:
            ext = _PARTIAL_FILES.get(str(out.get("type")), "txt")
            out["__annotation"] = _annotation({"content": ext})
    if annotate:
        out.setdefault("__annotation", _annotation({}))
        out["__annotation"]["readonly_fields"] = READONLY[resource_type]
    return out


def _annotation(files: Mapping[str, str]) -> dict[str, Any]:
    return {
        "extractable_fields": {f: {"default": True, "file_ext": e} for f, e in files.items()},
        "readonly_fields": [],
    }


def _annotate_step(step: Any) -> Any:
    if not isinstance(step, Mapping):
        return step
    out = dict(step)
    template = out.get("template")
    if isinstance(template, Mapping):
        annotated = dict(template)
        files = {f: e for f, e in _TEMPLATE_FILES.items() if isinstance(template.get(f), str)}
        if isinstance(template.get("visual_blocks"), list):
            files["visual_blocks"] = "json"
            annotated["visual_blocks"] = [_annotate_block(b) for b in template["visual_blocks"]]
        annotated["__annotation"] = _annotation(files)
        out["template"] = annotated
    if isinstance(out.get("branches"), list):
        out["branches"] = [
            {**b, "steps": [_annotate_step(s) for s in b.get("steps") or []]}
            if isinstance(b, Mapping)
            else b
            for b in out["branches"]
        ]
    return out


def _annotate_block(block: Any) -> Any:
    if not isinstance(block, Mapping) or not isinstance(block.get("content"), str):
        return block
    ext = _BLOCK_FILES.get(str(block.get("type")), "txt")
    return {**block, "__annotation": _annotation({"content": ext})}
