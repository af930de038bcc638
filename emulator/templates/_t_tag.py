"""Knock's `{% t %}…{% endt %}` translatable block.

The block's text, exactly as written (`{{ … }}` included), is a key of the default-namespace
translation file of the recipient's locale (Knock's "system translation file", generated on
commit). The translated value is rendered as Liquid in the current scope, so loop variables
and assigns resolve in it. Without a translation the block renders as written and a
`missing_translation` diagnostic is recorded, as for the `t` filter.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING, TextIO

from liquid.ast import BlockNode, Node
from liquid.exceptions import LiquidSyntaxError
from liquid.parser import get_parser
from liquid.tag import Tag
from liquid.token import TOKEN_EOF, TOKEN_EXPRESSION, TOKEN_TAG, Token

from emulator.templates._diagnostics import SINK, Note, note
from emulator.templates._environment import KnockEnvironment
from emulator.templates._translate import (
    compiled_translation,
    recipient_locale,
    render_tenant,
    translate,
)

if TYPE_CHECKING:
    from liquid import BoundTemplate
    from liquid.context import RenderContext
    from liquid.stream import TokenStream

TAG_T = sys.intern("t")
TAG_ENDT = sys.intern("endt")
END_T_BLOCK = frozenset((TAG_ENDT, TOKEN_EOF))

_OPEN_END = re.compile(r"t\s*(-?)%}")  # from the tag name to the end of `{% t %}`
_CLOSE_START = re.compile(r"\{%(-?)\s*$")  # from `{%` to the `endt` name


def _translation_key(open_tag: Token, close_tag: Token) -> str:
    """The source text between `{% t %}` and `{% endt %}`, honouring `-` whitespace control."""
    source = open_tag.source
    opened = _OPEN_END.match(source, open_tag.start_index)
    opener = source.rfind("{%", 0, close_tag.start_index)
    closed = _CLOSE_START.match(source[opener : close_tag.start_index]) if opener >= 0 else None
    if opened is None or closed is None or close_tag.source is not source:
        raise LiquidSyntaxError(
            "{% t %} cannot be used inside {% liquid %}; write it as a "
            "{% t %}…{% endt %} block in the template text",
            token=open_tag,
        )
    key = source[opened.end() : opener]
    if opened.group(1):
        key = key.lstrip()
    if closed.group(1):
        key = key.rstrip()
    return key


class TranslateNode(Node):
    """A parsed `{% t %}` block: its translation key and the block to render when untranslated."""

    __slots__ = ("block", "key")

    def __init__(self, token: Token, key: str, block: BlockNode) -> None:
        super().__init__(token)
        self.key = key
        self.block = block
        self.blank = False  # a translation can print text even where the block is blank

    def __str__(self) -> str:
        return f"{{% t %}}{self.key}{{% endt %}}"

    def _lookup(self, context: RenderContext) -> tuple[BoundTemplate | None, str]:
        """The compiled translation (None when missing, after recording it) and its locale."""
        env: KnockEnvironment = context.env  # type: ignore[assignment]
        locale = recipient_locale(context)
        tenant = render_tenant(context)
        if not env.translations and not (tenant and env.tenant_translations.get(tenant)):
            # No translation files at all: Knock seeds the default locale with the block's own
            # text on commit, so the block renders as written and nothing is missing.
            return None, locale
        source, found_in = translate(env, self.key, locale, {}, literal=True, tenant=tenant)
        if source is None:
            note(
                "missing_translation",
                self.key,
                f"no translation for the {{% t %}} block {self.key!r} in locale {locale!r} "
                f"(or its fallbacks); rendered the block as written (add the key to "
                f"translations/{locale}/{locale}.json)",
                self.token.source,
                self.token.start_index,
            )
            return None, locale
        try:
            return compiled_translation(env, source), found_in
        except LiquidSyntaxError as err:
            raise LiquidSyntaxError(
                f"the {found_in!r} translation of the {{% t %}} block {self.key!r} is not valid "
                f"Liquid ({err.message}); fix its value in translations/{found_in}/{found_in}.json",
                token=self.token,
            ) from None

    def _forward(self, notes: list[Note], found_in: str) -> None:
        """Attribute what the translated value recorded to this tag's line in the template."""
        for item in notes:
            note(
                item.kind,
                item.name,
                f"{item.message} (in the {found_in!r} translation of {{% t %}} block {self.key!r})",
                self.token.source,
                self.token.start_index,
            )

    def render_to_output(self, context: RenderContext, buffer: TextIO) -> int:
        """Render the translation of the block in the current scope, or the block itself."""
        template, found_in = self._lookup(context)
        if template is None:  # the block as written; whitespace-only text is output too
            return sum(node.render(context, buffer) for node in self.block.nodes)
        notes: list[Note] = []
        token = SINK.set(notes)
        try:
            written = sum(node.render(context, buffer) for node in template.nodes)
        finally:
            SINK.reset(token)
        self._forward(notes, found_in)
        return written

    async def render_to_output_async(self, context: RenderContext, buffer: TextIO) -> int:
        """Async twin of `render_to_output`."""
        template, found_in = self._lookup(context)
        if template is None:
            written = 0
            for node in self.block.nodes:
                written += await node.render_async(context, buffer)
            return written
        notes: list[Note] = []
        token = SINK.set(notes)
        try:
            written = 0
            for node in template.nodes:
                written += await node.render_async(context, buffer)
        finally:
            SINK.reset(token)
        self._forward(notes, found_in)
        return written

    def children(
        self,
        static_context: RenderContext,
        *,
        include_partials: bool = True,
    ) -> Iterable[Node]:
        """The untranslated block (what static analysis sees)."""
        yield self.block


class TranslateTag(Tag):
    """`{% t %}…{% endt %}`: Knock's translatable block; it takes no arguments."""

    name = TAG_T
    end = TAG_ENDT
    block = True

    def parse(self, stream: TokenStream) -> Node:
        token = stream.eat(TOKEN_TAG)
        if stream.current.kind == TOKEN_EXPRESSION:
            raise LiquidSyntaxError(
                f"{{% t %}} takes no arguments (got {stream.current.value.strip()!r}); write "
                "variables inline, e.g. {% t %}Hi {{ recipient.name }}{% endt %}, or use the "
                't filter to pass them: {{ "key" | t: name: value }}',
                token=token,
            )
        block = get_parser(self.env).parse_block(stream, END_T_BLOCK)
        if not (stream.current.kind == TOKEN_TAG and stream.current.value == TAG_ENDT):
            raise LiquidSyntaxError(
                "{% t %} block was never closed; add {% endt %} after the text to translate",
                token=token,
            )
        return TranslateNode(token, _translation_key(token, stream.current), block)
