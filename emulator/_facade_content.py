"""The `Emulator`'s content as Knock versions it: drafts, commits, and the definitions it runs.

`Emulator.content` is the environment's `ContentStore` (created on first use from the
definitions the emulator started with); `use_definitions` swaps what triggers run;
`trigger_draft` runs the saved-but-uncommitted version, as Knock's test runner does.
`Emulator.reset()` takes the content back to what the emulator started with. The Management API
changes content only through the methods marked `@journaled` here, so `serve --data-dir` keeps it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol, cast

# binds `emulator`: the other packages load on first use (the engine with the first Emulator)
import emulator.core
from emulator.core import journaled

if TYPE_CHECKING:
    import emulator.engine
    from emulator.core import Recorder
    from emulator.definitions import Definitions
    from emulator.engine import ContentCommit, ContentStore, Engine
    from emulator.stores import TriggerResult

    class _Host(Protocol):  # for mypy only: a Protocol class costs more to make than a plain one
        """What the mixin uses of `Emulator` itself."""

        def on_reset(self, hook: Callable[[], None]) -> None: ...

        def trigger(self, key: str, recipients: Sequence[Any], **options: Any) -> TriggerResult: ...


class ContentFacade:
    """Mixed into `Emulator`; every method takes the engine's lock."""

    _engine: Engine
    _journal: Recorder | None
    _content: ContentStore | None = None
    _content_changed = False  # the committed content differs from the loaded files

    @property
    def content(self) -> ContentStore:
        """This environment's workflows, layouts, partials and translations: committed
        documents, drafts and commits (Management API shapes)."""
        with self._engine.lock:
            if self._content is None:
                engine = self._engine
                self._content = (
                    emulator.engine.ContentStore(  # ids from the engine's stream as it is reseeded
                        engine.definitions,
                        now=lambda: engine.clock.now,
                        new_id=lambda: engine.ids.uuid4(),
                    )
                )
                cast("_Host", self).on_reset(self._reset_content)
            return self._content

    def check_content(
        self, resource_type: str, key: str, document: Mapping[str, Any]
    ) -> list[tuple[str, str]]:
        """What is wrong with a Management API document (`workflow`, `email_layout`, `partial`,
        `translation`), as (JSON path, message) pairs: its shape and its Liquid syntax."""
        with self._engine.lock:
            return emulator.engine.check_document(
                (resource_type, key), document, self._engine.templates
            )

    def use_definitions(self, definitions: Definitions) -> None:
        """Run `definitions` from now on (runs already started keep their workflow)."""
        with self._engine.lock:
            emulator.engine.use_definitions(self._engine, definitions)

    def use_committed_content(self) -> None:
        """Run what `content` has committed (after a commit or a promotion)."""
        with self._engine.lock:
            self.use_definitions(self.content.definitions())

    @journaled("emulator")
    def save_content(
        self,
        resource_type: str,
        key: str,
        document: Mapping[str, Any],
        *,
        commit_message: str | None = None,
    ) -> None:
        """Save a Management API document as a draft (check it first: `check_content`); with
        `commit_message`, commit it at once and run it."""
        with self._engine.lock:
            ref = (resource_type, key)
            self.content.save(ref, document)
            if commit_message is not None:
                self.commit_content(commit_message, resource_type=resource_type, key=key)

    @journaled("emulator")
    def commit_content(
        self, message: str, *, resource_type: str | None = None, key: str | None = None
    ) -> list[ContentCommit]:
        """Commit the drafts (of one type, or one resource) and run what is committed; the new
        commits, oldest first."""

        def wanted(ref: tuple[str, str]) -> bool:
            return resource_type in (None, ref[0]) and key in (None, ref[1])

        with self._engine.lock:
            made = self.content.commit(message, only=wanted)
            self._run_committed()
            return made

    @journaled("emulator")
    def set_workflow_active(self, key: str, active: bool) -> Mapping[str, Any] | None:
        """Turn a committed workflow on or off at once (not versioned); its current document,
        or None when no workflow `key` is committed (nothing changes)."""
        with self._engine.lock:
            content, ref = self.content, ("workflow", key)
            document = content.document(ref, drafts=False)
            if document is None:
                return None
            content.committed[ref] = {**document, "active": active}
            if ref in content.drafts:
                content.drafts[ref] = {**content.drafts[ref], "active": active}
            self._run_committed()
            return content.document(ref)

    @journaled("emulator")
    def apply_commit(
        self, resource_type: str, key: str, document: Mapping[str, Any], message: str
    ) -> ContentCommit:
        """Promotion: make a commit of the environment below's change here, and run it."""
        with self._engine.lock:
            now = self._engine.clock.now
            made = self.content.apply(
                emulator.engine.ContentCommit("", resource_type, key, document, message, now)
            )
            self._run_committed()
            return made

    @journaled("emulator")
    def mark_promoted(self, commit_id: str) -> None:
        """Promotion: record that a commit of this environment was applied above."""
        with self._engine.lock:
            self.content.mark_promoted(commit_id)

    def _run_committed(self) -> None:
        self._content_changed = True
        self.use_committed_content()

    @journaled("emulator")
    def trigger_draft(self, key: str, recipients: Sequence[Any], **options: Any) -> TriggerResult:
        """Trigger the draft (saved, uncommitted) version of the content, as Knock's test
        runner does; API triggers (`trigger`) keep running the committed version."""
        with self._engine.lock:
            committed = self._engine.definitions
            self.use_definitions(self.content.definitions(drafts=True))
            try:
                return cast("_Host", self).trigger(key, recipients, **options)
            finally:
                self.use_definitions(committed)

    def _reset_content(self) -> None:
        if self._content is not None:
            self._content.reset()
            self._content_changed = False
            emulator.engine.use_definitions(self._engine, self._content.initial)
