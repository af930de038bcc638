"""The python-liquid 2 environment configured the way Knock's Liquid behaves.

- Undefined variables render empty, but each use is recorded (see `_diagnostics.SINK`).
- Unknown filters pass their input through, and are recorded.
- `{% render 'partial_key', a: b %}` loads Knock partials (depth at most 5);
  `{% include %}` is refused at parse time, as the Knock CLI refuses it.
- `{% t %}…{% endt %}` renders the block's translation (`_t_tag.py`).
- Liquid keywords after a dot are properties, as in Shopify Liquid (`data.limit`, `_keywords.py`).

Knock's filters and the `{% t %}` tag import this module; `TemplateRenderer` adds them to
each environment it makes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

from liquid import BoundTemplate, Environment, Mode, Undefined
from liquid.ast import Node
from liquid.context import RenderContext
from liquid.exceptions import ContextDepthError, LiquidSyntaxError, TemplateNotFoundError
from liquid.loader import BaseLoader, TemplateSource
from liquid.tag import Tag
from liquid.token import TOKEN_TAG

from emulator.core import BoundedCache
from emulator.definitions import Partial
from emulator.templates._diagnostics import note
from emulator.templates._keywords import with_keyword_properties

if TYPE_CHECKING:
    from liquid.stream import TokenStream
    from liquid.token import Token

MAX_PARTIAL_DEPTH = 5


class EntityLookup(Protocol):
    """What the data filters read: serialized entities, or None when they do not exist."""

    def user(self, user_id: str) -> dict[str, Any] | None: ...
    def object(self, collection: str, object_id: str) -> dict[str, Any] | None: ...
    def tenant(self, tenant_id: str) -> dict[str, Any] | None: ...
    def subscriptions(self, user_id: str) -> list[dict[str, Any]]: ...


class RecordingUndefined(Undefined):
    """Renders as Knock does (empty) and records the variable when its value is used.

    Truthiness tests (`{% if data.maybe %}`) and `default` do not record: checking whether an
    optional value exists is normal; printing or looping over a missing one is the likely bug.
    """

    __slots__ = ()

    def _record(self) -> None:
        hint = self.hint or ""
        if hint.endswith(" is undefined"):
            name = hint[: -len(" is undefined")].strip("'")
            message = f"undefined variable '{name}' rendered as empty"
        elif hint:
            name = self.name
            message = f"'{name}': {hint}; rendered as empty"
        else:
            name = self.name
            message = f"undefined variable '{name}' rendered as empty"
        token = self.token
        if token is None:
            note("undefined_variable", name, message)
        else:
            note("undefined_variable", name, message, token.source, token.start_index)

    def __str__(self) -> str:
        self._record()
        return ""

    def __iter__(self) -> Iterator[Any]:
        self._record()
        return iter(())

    def __int__(self) -> int:
        self._record()
        return 0


def _passthrough(value: object, *_args: object, **_kwargs: object) -> object:
    return value


class KnockRenderContext(RenderContext):
    """A render context whose unknown filters record a diagnostic and pass input through."""

    __slots__ = ()

    def filter(self, name: str, token: Token | None) -> Callable[..., object]:
        if name not in self.env.filters:
            message = (
                f"unknown filter '{name}' ignored (Knock's filters are listed at "
                "https://docs.knock.app/template-editor/reference-liquid-helpers)"
            )
            if token is None:
                note("unknown_filter", name, message)
            else:
                note("unknown_filter", name, message, token.source, token.start_index)
            return _passthrough
        return super().filter(name, token)

    def copy(
        self,
        namespace: Mapping[str, object],
        disabled_tags: list[str] | None = None,
        carry_loop_iterations: bool = False,
        template: BoundTemplate | None = None,
        block_scope: bool = False,
    ) -> RenderContext:
        """`{% render %}` copies the context; Knock allows partials five levels deep."""
        if self._copy_depth >= MAX_PARTIAL_DEPTH:
            raise ContextDepthError(
                f"partials nested more than {MAX_PARTIAL_DEPTH} levels deep", token=None
            )
        return super().copy(
            namespace,
            disabled_tags=disabled_tags,
            carry_loop_iterations=carry_loop_iterations,
            template=template,
            block_scope=block_scope,
        )


class KnockTemplate(BoundTemplate):
    context_class = KnockRenderContext


class PartialLoader(BaseLoader):
    """Loads `{% render %}` targets from the partials mapping, parsing each one once."""

    def __init__(self, partials: Mapping[str, Partial]) -> None:
        self.partials = partials
        self._parsed: dict[str, BoundTemplate] = {}

    def get_source(
        self,
        env: Environment,
        template_name: str,
        *,
        context: RenderContext | None = None,
        **kwargs: object,
    ) -> TemplateSource:
        partial = self.partials.get(template_name)
        if partial is None:
            known = ", ".join(sorted(self.partials)) or "none are defined"
            raise TemplateNotFoundError(
                f"partial '{template_name}' does not exist (known partials: {known}); "
                "add partials/<key>/partial.json or fix the key in {% render %}",
                token=None,
            )
        return TemplateSource(partial.content, template_name, None)

    def load(
        self,
        env: Environment,
        name: str,
        *,
        globals: Mapping[str, object] | None = None,
        context: RenderContext | None = None,
        **kwargs: object,
    ) -> BoundTemplate:
        cached = self._parsed.get(name)
        if cached is None:
            source = self.get_source(env, name, context=context)
            cached = env.from_string(source.text, name=name, path=f"partial '{name}'")
            self._parsed[name] = cached
        return cached


class IncludeRefused(Tag):
    """`{% include %}` is not part of Knock's Liquid; say what to use instead."""

    name = "include"
    block = False

    def parse(self, stream: TokenStream) -> Node:
        raise LiquidSyntaxError(
            "{% include %} is not supported by Knock; use {% render 'partial_key', var: value %}",
            token=stream.eat(TOKEN_TAG),
        )


class KnockEnvironment(Environment):
    """One environment per renderer: Knock's filters, partials, translations and clock."""

    template_class = KnockTemplate
    suppress_blank_control_flow_blocks = True

    def __init__(
        self,
        *,
        partials: Mapping[str, Partial],
        translations: Mapping[str, Any] | None,
        now: Callable[[], datetime] | None,
        entities: EntityLookup | None = None,
    ) -> None:
        super().__init__(
            loader=PartialLoader(partials),
            undefined=RecordingUndefined,
            strict_filters=False,
            tolerance=Mode.STRICT,
        )
        self.translations: Mapping[str, Any] = translations or {}
        # Per-tenant translations: tenant id -> {file ("en", "admin.en"): content}.
        self.tenant_translations: dict[str, dict[str, Any]] = {}
        self.entities = entities  # for the user/object/tenant/subscriptions filters
        self.now: Callable[[], datetime] = now or (lambda: datetime.now(UTC))
        self.translation_templates: dict[str, BoundTemplate] = {}
        self.partial_sources: dict[str, str] = {p.content: key for key, p in partials.items()}
        self.add_tag(IncludeRefused)

    def setup_tags_and_filters(self, *, extra: bool = False) -> None:
        """python-liquid's built-in tags and filters, registered once per process and copied
        into every later environment (registering them is most of what a fresh `Emulator`
        costs). Tags read their environment only while parsing, and every environment of
        this class parses alike (see `_parse`)."""
        key = (type(self), extra)
        registered = _BUILTINS.get(key)
        if registered is None:
            super().setup_tags_and_filters(extra=extra)
            _BUILTINS[key] = (dict(self.tags), dict(self.filters))
        else:
            self.tags, self.filters = dict(registered[0]), dict(registered[1])

    def tokenizer(self) -> Callable[[str], Iterator[Token]]:
        """The standard lexer, with Liquid keywords after a dot read as properties (`_keywords`)."""
        return with_keyword_properties(super().tokenizer())

    def _parse(self, source: str) -> list[Node]:
        """Parse once per process: every environment with the same tags shares the parse tree
        (a second `Emulator` from the same definitions renders without re-parsing)."""
        key = (type(self), tuple(self.tags), source)
        nodes = _PARSED.get(key)
        if nodes is None:
            nodes = _PARSED.keep(key, super()._parse(source))
        return nodes


# Parse trees hold no environment state (filters, partials and the clock are looked up while
# rendering), so environments with the same tags share them; bounded.
MAX_SHARED_PARSES = 10_000
_BUILTINS: dict[tuple[type[Environment], bool], tuple[dict[str, Tag], dict[str, Any]]] = {}
_PARSED: BoundedCache[tuple[type[Environment], tuple[str, ...], str], list[Node]] = BoundedCache(
    MAX_SHARED_PARSES
)
