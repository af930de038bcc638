"""The `Emulator`'s content as Knock versions it: drafts, commits, and the definitions it runs.

`Emulator.content` is the environment's `ContentStore` (created on first use from the
definitions the emulator started with); `use_definitions` swaps what triggers run;
`trigger_draft` runs the saved-but-uncommitted version, as Knock's test runner does.
`Emulator.reset()` takes the content back to what the emulator started with.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol, cast

from emulator.definitions import Definitions
from emulator.engine import ContentStore, Engine, check_document, use_definitions
from emulator.stores import TriggerResult


class _Host(Protocol):
    """What the mixin uses of `Emulator` itself."""

    def on_reset(self, hook: Callable[[], None]) -> None: ...

    def trigger(self, key: str, recipients: Sequence[Any], **options: Any) -> TriggerResult: ...


class ContentFacade:
    """Mixed into `Emulator`; every method takes the engine's lock."""

    _engine: Engine
    _content: ContentStore | None = None

    @property
    def content(self) -> ContentStore:
        """This environment's workflows, layouts, partials and translations: committed
        documents, drafts and commits (Management API shapes)."""
        with self._engine.lock:
            if self._content is None:
                engine = self._engine
                self._content = ContentStore(
                    engine.definitions, now=lambda: engine.clock.now, new_id=engine.ids.uuid4
                )
                cast(_Host, self).on_reset(self._reset_content)
            return self._content

    def check_content(
        self, resource_type: str, key: str, document: Mapping[str, Any]
    ) -> list[tuple[str, str]]:
        """What is wrong with a Management API document (`workflow`, `email_layout`, `partial`,
        `translation`), as (JSON path, message) pairs: its shape and its Liquid syntax."""
        with self._engine.lock:
            return check_document((resource_type, key), document, self._engine.templates)

    def use_definitions(self, definitions: Definitions) -> None:
        """Run `definitions` from now on (runs already started keep their workflow)."""
        with self._engine.lock:
            use_definitions(self._engine, definitions)

    def use_committed_content(self) -> None:
        """Run what `content` has committed (after a commit or a promotion)."""
        with self._engine.lock:
            self.use_definitions(self.content.definitions())

    def trigger_draft(self, key: str, recipients: Sequence[Any], **options: Any) -> TriggerResult:
        """Trigger the draft (saved, uncommitted) version of the content, as Knock's test
        runner does; API triggers (`trigger`) keep running the committed version."""
        with self._engine.lock:
            committed = self._engine.definitions
            self.use_definitions(self.content.definitions(drafts=True))
            try:
                return cast(_Host, self).trigger(key, recipients, **options)
            finally:
                self.use_definitions(committed)

    def _reset_content(self) -> None:
        if self._content is not None:
            self._content.reset()
            use_definitions(self._engine, self._content.initial)
