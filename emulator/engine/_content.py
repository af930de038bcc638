"""An environment's content (workflows, email layouts, partials, translations) as Knock versions
it: saved changes are drafts, a commit makes them what API triggers run, and a commit can be
applied to another environment (promotion). Documents are Management API shapes (contents
inline); `definitions()` builds the model the engine runs from the committed ones.

Knock's commit model (docs: concepts/commits): "a commit is not a save"; saved changes apply in
the test runner (`knock workflow run`) but not to workflows triggered through the API.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from emulator.core import DefinitionError, DoorstepError
from emulator.definitions import (
    ChannelStep,
    Definitions,
    Guide,
    Layout,
    Partial,
    Source,
    Workflow,
    iter_strings,
    parse_document,
)
from emulator.engine._engine import Engine
from emulator.templates import TemplateError, TemplateLocation, TemplateRenderer

# Management API resource types -> the kind the definitions loaders use.
RESOURCE_KINDS = {
    "workflow": "workflow",
    "email_layout": "layout",
    "partial": "partial",
    "guide": "guide",
}
RESOURCE_TYPES = (*RESOURCE_KINDS, "translation")
Ref = tuple[str, str]  # (resource type, key); a translation's key is "en" or "admin.en"


@dataclass(frozen=True, slots=True)
class ContentCommit:
    """One committed change of one resource, in one environment."""

    id: str
    resource_type: str
    resource_key: str
    document: Mapping[str, Any]
    message: str
    created_at: datetime
    promoted: bool = False  # applied to the environment above


class ContentStore:
    """Committed documents, drafts and the commit log of one environment."""

    def __init__(
        self, initial: Definitions, *, now: Callable[[], datetime], new_id: Callable[[], str]
    ) -> None:
        self.initial = initial
        self._now = now
        self._new_id = new_id
        self.committed: dict[Ref, Mapping[str, Any]] = _initial_documents(initial)
        self.drafts: dict[Ref, Mapping[str, Any]] = {}
        self.commits: list[ContentCommit] = []

    def reset(self) -> None:
        """Back to the content the environment started with: no drafts, no commits."""
        self.committed = _initial_documents(self.initial)
        self.drafts.clear()
        self.commits.clear()

    def document(self, ref: Ref, *, drafts: bool = True) -> Mapping[str, Any] | None:
        """The current document (the draft if there is one and `drafts`), or None."""
        if drafts and ref in self.drafts:
            return self.drafts[ref]
        return self.committed.get(ref)

    def keys(self, resource_type: str, *, drafts: bool = True) -> list[str]:
        """Keys of this type, sorted."""
        refs = set(self.committed) | (set(self.drafts) if drafts else set())
        return sorted(key for kind, key in refs if kind == resource_type)

    def has_draft(self, ref: Ref) -> bool:
        """Whether `ref` has saved changes that are not committed."""
        return ref in self.drafts

    def save(self, ref: Ref, document: Mapping[str, Any]) -> None:
        """Save a change as a draft (the caller checks it first: `check_document`)."""
        if self.committed.get(ref) == document:
            self.drafts.pop(ref, None)  # saving what is committed leaves nothing to commit
        else:
            self.drafts[ref] = document

    def commit(
        self, message: str, only: Callable[[Ref], bool] | None = None
    ) -> list[ContentCommit]:
        """Commit the drafts (those `only` accepts); the new commits, oldest first."""
        made = []
        for ref in sorted(self.drafts):
            if only is None or only(ref):
                made.append(self._record(ref, self.drafts.pop(ref), message))
        return made

    def apply(self, commit: ContentCommit) -> ContentCommit:
        """Apply a commit from the environment below (promotion): a new commit here."""
        return self._record(
            (commit.resource_type, commit.resource_key), commit.document, commit.message
        )

    def mark_promoted(self, commit_id: str) -> None:
        """Record that a commit was applied to the environment above."""
        self.commits = [
            dataclasses.replace(c, promoted=True) if c.id == commit_id else c for c in self.commits
        ]

    def _record(self, ref: Ref, document: Mapping[str, Any], message: str) -> ContentCommit:
        commit = ContentCommit(self._new_id(), ref[0], ref[1], document, message, self._now())
        self.committed[ref] = document
        self.drafts.pop(ref, None)
        self.commits.append(commit)
        return commit

    def definitions(self, *, drafts: bool = False) -> Definitions:
        """The model of the committed content (with the drafts over it when `drafts`)."""
        tables: dict[str, dict[str, Any]] = {
            "workflow": dict(self.initial.workflows),
            "layout": dict(self.initial.layouts),
            "partial": dict(self.initial.partials),
            "guide": dict(self.initial.guides),
        }
        translations: dict[str, Mapping[str, Any]] = dict(self.initial.translations)
        documents = {**self.committed, **(self.drafts if drafts else {})}
        for (resource_type, key), document in documents.items():
            if resource_type == "translation":
                translations[key] = translation_table(document)
            else:
                kind = RESOURCE_KINDS[resource_type]
                tables[kind][key] = parse_document(kind, document, key)
        return Definitions(
            workflows=tables["workflow"],
            layouts=tables["layout"],
            partials=tables["partial"],
            guides=tables["guide"],
            translations=translations,
        )


def check_document(
    ref: Ref, document: Mapping[str, Any], renderer: TemplateRenderer
) -> list[tuple[str, str]]:
    """What is wrong with a document, as (JSON path, message) pairs; [] when it is valid.
    Covers the shape (as the loaders check it) and the Liquid syntax of every template."""
    resource_type, key = ref
    if resource_type == "translation":
        try:
            translation_table(document)
        except DoorstepError as exc:
            return [("content", str(exc))]
        return []
    try:
        value = parse_document(RESOURCE_KINDS[resource_type], document, key)
    except DefinitionError as exc:
        return [(p.path, f"{p.message} ({p.fix})" if p.fix else p.message) for p in exc.problems]
    found = []
    for path, text, where in _templates(value):
        if "{{" not in text and "{%" not in text:
            continue
        try:
            renderer.check_syntax(text, where)
        except TemplateError as exc:
            line = f" (line {exc.line})" if exc.line is not None else ""
            found.append((path, f"{exc.reason}{line}"))
    return found


def _templates(
    value: Workflow | Layout | Partial | Guide,
) -> list[tuple[str, str, TemplateLocation]]:
    """(JSON path, text, location) of every template string of a workflow, layout, partial or
    guide."""
    if isinstance(value, Layout):
        fields = {"html_layout": value.html_layout, "text_layout": value.text_layout}
        return [(k, t, TemplateLocation(value.key, "layout", k)) for k, t in fields.items()]
    if isinstance(value, Partial):
        return [("content", value.content, TemplateLocation(value.key, "partial", "content"))]
    found = []
    if isinstance(value, Guide):
        for i, guide_step in enumerate(value.steps):
            for at, text in iter_strings(guide_step.values, Source()):
                where = TemplateLocation(value.key, guide_step.ref, at.path)
                found.append((f"steps[{i}].values.{at.path}", text, where))
        return found
    for step in value.iter_steps():
        if isinstance(step, ChannelStep):
            for at, text in iter_strings(step.template, Source()):
                path = f"{step.source.path}.template.{at.path}"
                found.append((path, text, TemplateLocation(value.key, step.ref, at.path)))
    return found


def translation_table(document: Mapping[str, Any]) -> Mapping[str, Any]:
    """A translation document's key/text table (`content` is JSON text, as Knock sends it)."""
    content = document.get("content")
    try:
        table = json.loads(content) if isinstance(content, str) else content
    except ValueError as exc:
        raise DoorstepError(f"content is not valid JSON: {exc}") from None
    if not isinstance(table, Mapping):
        raise DoorstepError("content must be a JSON object of keys to text")
    return table


def _initial_documents(initial: Definitions) -> dict[Ref, Mapping[str, Any]]:
    kinds = {kind: resource_type for resource_type, kind in RESOURCE_KINDS.items()}
    found: dict[Ref, Mapping[str, Any]] = {
        (kinds[kind], key): document for (kind, key), document in initial.documents.items()
    }
    for name, table in initial.translations.items():
        namespace, _, locale = name.rpartition(".")
        found[("translation", name)] = {
            "locale_code": locale,
            "namespace": namespace or None,
            "content": json.dumps(table),
            "format": "json",
        }
    return found


def use_definitions(engine: Engine, definitions: Definitions) -> None:
    """Run `definitions` from now on: runs already started keep the workflow they started with;
    templates (layouts, partials, translations) are the new ones. Tenant translations stay."""
    tenant_translations = engine.templates.env.tenant_translations
    old = engine.templates
    engine.definitions = definitions
    engine.templates = TemplateRenderer(
        layouts=definitions.layouts,
        partials=definitions.partials,
        translations=definitions.translations,
        entities=old.env.entities,
        strict=old.strict,
        now=old.env.now,
    )
    engine.templates.env.tenant_translations = tenant_translations
