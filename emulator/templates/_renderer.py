"""`TemplateRenderer`: compile once, render many, and report what could not be resolved.

python-liquid (with babel, pytz and asyncio, which it imports) loads on the first render: an
`Emulator` that renders nothing, and importing one, do not pay for it. So do the channel
renderers (email assembly, visual blocks, `html`), with the first channel step rendered.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Mapping
from datetime import datetime
from functools import cached_property
from io import StringIO
from typing import TYPE_CHECKING, Any, TypeGuard

from emulator.definitions import Layout, Partial
from emulator.templates._diagnostics import (
    SINK,
    Diagnostic,
    Note,
    Rendered,
    RenderedContent,
    TemplateError,
    TemplateLocation,
    line_of,
)
from emulator.templates._layouts import (
    MARKER,
    SHELLS,
    footer_links,
    layout_surroundings,
)
from emulator.templates._memo import MEMO

if TYPE_CHECKING:
    from liquid import BoundTemplate
    from liquid.exceptions import LiquidError

    from emulator.templates._environment import EntityLookup, KnockEnvironment

_FIX_SYNTAX = "correct the Liquid syntax at that position"


# Tags that leave variables behind; without them a template assigns nothing.
_ASSIGNS = re.compile(r"\{%-?\s*(?:assign|capture|increment|decrement|liquid)\b")


class TemplateRenderer:
    """Renders Knock templates with one configured python-liquid environment.

    `now` is the clock `{{ "now" | date: ... }}` reads; pass the emulator's virtual clock.
    """

    def __init__(
        self,
        *,
        layouts: Mapping[str, Layout] | None = None,
        partials: Mapping[str, Partial] | None = None,
        strict: bool = False,
        translations: Mapping[str, Any] | None = None,
        now: Callable[[], datetime] | None = None,
        entities: EntityLookup | None = None,
    ) -> None:
        self.layouts: Mapping[str, Layout] = layouts or {}
        self.partials: Mapping[str, Partial] = partials or {}
        self.strict = strict
        self._environment_args = (translations, now, entities)
        self._compiled: dict[str, BoundTemplate] = {}

    @cached_property
    def env(self) -> KnockEnvironment:
        """The Liquid environment, built on first use: an `Emulator` that renders nothing
        never builds one (its tags refer back to it, so it is freed by the cyclic collector)."""
        from emulator.templates._environment import KnockEnvironment
        from emulator.templates._filters import register_knock_filters
        from emulator.templates._t_tag import TranslateTag

        translations, now, entities = self._environment_args
        env = KnockEnvironment(
            partials=self.partials, translations=translations, now=now, entities=entities
        )
        env.add_tag(TranslateTag)
        register_knock_filters(env)
        return env

    @cached_property
    def _flavour(self) -> Hashable:
        """What a pure render's output depends on besides its source and values: environments
        of the same class and tags render alike (`_memo`, `_layouts` share renders by it)."""
        env = self.env
        return (type(env), tuple(env.tags))

    # -- public API -------------------------------------------------------------------------------
    def check_syntax(self, source: str, where: TemplateLocation) -> None:
        """Parse `source`; raise `TemplateError` naming line and column if it is not valid."""
        self._compile(source, where)

    def render(self, source: str, context: Mapping[str, Any], where: TemplateLocation) -> Rendered:
        """Render one template field; undefined variables render empty and are recorded."""
        found: list[Diagnostic] = []
        text = self.render_into(source, context, where, found)
        return Rendered(text, tuple(found))

    def render_channel(
        self,
        channel_type: str,
        template: Mapping[str, Any],
        overrides: Mapping[str, Any],
        context: Mapping[str, Any],
        *,
        workflow: str,
        step: str,
    ) -> RenderedContent:
        """Render every field of a channel step's template into Knock's message content."""
        from emulator.templates._channels import render_channel  # (see the module docstring)

        return render_channel(self, channel_type, template, overrides, context, workflow, step)

    # -- building blocks shared by the channel renderers ------------------------------------------
    def render_into(
        self,
        source: str,
        context: Mapping[str, Any],
        where: TemplateLocation,
        found: list[Diagnostic],
    ) -> str:
        """Render and append diagnostics to `found`; strict mode raises on the first one."""
        if "{" not in source:
            return source  # plain text: nothing for Liquid to do (most static fields)
        template = self._compile(source, where)
        key = MEMO.key(self._flavour, source, template, context)
        made = None if key is None else MEMO.get(key)
        if made is None:
            made = self._render_noting(template, source, context, where)
            if key is not None:
                MEMO.put(key, made)
        text, notes = made
        if notes:
            self._collect(notes, source, where, found)
        return text

    def render_layout(
        self,
        layout: Layout,
        part: str,
        scope: Mapping[str, Any],
        content: str,
        where: TemplateLocation,
        found: list[Diagnostic],
    ) -> str:
        """Render `layout`'s `part` (`html_layout`, `text_layout`) around `content` (its
        `{{ content }}`), with its `footer_links`: once per distinct surroundings when the
        layout allows it (`_layouts`), else in full."""
        source: str = getattr(layout, part)
        links = footer_links(layout)
        template = self._compile(source, where)
        around = layout_surroundings(self._flavour, source, template, scope)
        if around is None:
            full = {**scope, "footer_links": links, "content": content}
            return self.render_into(source, full, where, found)
        key = (self._flavour, source, layout.footer_links, around)
        shell = SHELLS.get(key)
        if shell is None:
            marked = {**scope, "footer_links": links, "content": MARKER}
            shell = SHELLS.keep(key, self._render_noting(template, source, marked, where))
        text, notes = shell
        if notes:
            self._collect(notes, source, where, found)
        return text.replace(MARKER, content)

    def _render_noting(
        self,
        template: BoundTemplate,
        source: str,
        context: Mapping[str, Any],
        where: TemplateLocation,
    ) -> tuple[str, list[Note]]:
        """The rendered text and what the render noted (before it is tied to `where`)."""
        sink: list[Note] = []
        token = SINK.set(sink)
        try:
            return template.render(context), sink
        except Exception as err:
            if not _is_liquid_error(err):
                raise
            raise self._error(err, source, where) from None
        finally:
            SINK.reset(token)

    def render_scoped(
        self,
        source: str,
        context: Mapping[str, Any],
        where: TemplateLocation,
        found: list[Diagnostic],
    ) -> tuple[str, dict[str, Any]]:
        """Like `render_into`, and also return the variables the template assigned.

        Email assembly needs them: `pre_content` assigns are in scope for the body and layout.
        """
        if not _ASSIGNS.search(source):  # nothing can be assigned: the cheaper plain render
            return self.render_into(source, context, where, found), {}
        template = self._compile(source, where)
        ctx = template.context_class(template, globals=template.make_globals(context))
        buffer = StringIO()
        sink: list[Note] = []
        token = SINK.set(sink)
        try:
            template.render_with_context(ctx, buffer)
        except Exception as err:
            if not _is_liquid_error(err):
                raise
            raise self._error(err, source, where) from None
        finally:
            SINK.reset(token)
        if sink:
            self._collect(sink, source, where, found)
        return buffer.getvalue(), dict(ctx.locals)

    def _compile(self, source: str, where: TemplateLocation) -> BoundTemplate:
        template = self._compiled.get(source)
        if template is None:
            try:
                template = self.env.from_string(source)
            except Exception as err:
                if not _is_liquid_error(err):
                    raise
                raise self._error(err, source, where) from None
            self._compiled[source] = template
        return template

    def _collect(
        self, sink: list[Note], source: str, where: TemplateLocation, found: list[Diagnostic]
    ) -> None:
        seen = {(d.kind, d.name, d.line, d.location) for d in found}
        for item in sink:
            line: int | None = None
            message = item.message
            if item.source is not None and item.index >= 0:
                line, _column = line_of(item.source, item.index)
                if item.source != source:
                    partial = self.env.partial_sources.get(item.source, "?")
                    message = f"{message} (in partial '{partial}', line {line})"
                    line = None
            key = (item.kind, item.name, line, where)
            if key in seen:
                continue
            seen.add(key)
            diagnostic = Diagnostic(item.kind, item.name, where, line, message)
            if self.strict:
                raise TemplateError(
                    f"strict mode: {message}",
                    where,
                    line=line,
                    fix=_strict_fix(item.kind, item.name),
                )
            found.append(diagnostic)

    def _error(self, err: LiquidError, source: str, where: TemplateLocation) -> TemplateError:
        from liquid.exceptions import ContextDepthError, LiquidSyntaxError

        from emulator.templates._environment import MAX_PARTIAL_DEPTH

        message = str(err.message or type(err).__name__)
        token = err.token
        line = column = None
        if token is not None and token.start_index >= 0 and token.source:
            index = token.start_index
            if token.kind == "tag":  # point at the `{%` that opens the tag, not at its name
                opener = token.source.rfind("{%", 0, index + 2)
                index = opener if opener >= 0 else index
            line, column = line_of(token.source, index)
            if token.source != source:
                partial = self.env.partial_sources.get(token.source, "?")
                message = f"{message} (in partial '{partial}', line {line}, column {column})"
                line = column = None
        elif isinstance(err, LiquidSyntaxError):
            line, column = self._locate_syntax_error(source, message)
        if isinstance(err, ContextDepthError):
            message = (
                f"partials nested more than {MAX_PARTIAL_DEPTH} levels deep "
                "(Knock's limit; a partial probably renders itself)"
            )
        kind = "syntax error" if isinstance(err, LiquidSyntaxError) else "render error"
        fix = _FIX_SYNTAX if isinstance(err, LiquidSyntaxError) else "fix the template or its data"
        return TemplateError(f"{kind}: {message}", where, line=line, column=column, fix=fix)

    def _locate_syntax_error(self, source: str, message: str) -> tuple[int, int]:
        """Position of an error python-liquid reports without one (an unclosed block, ...).

        Each output/tag markup is parsed alone; the first one failing with the same message is
        the culprit. Otherwise the error is at the end of the template (an unclosed block).
        """
        for token in self.env.tokenizer()(source):
            if token.kind not in ("output", "tag") or token.start_index < 0:
                continue
            end = source.find("}}" if token.kind == "output" else "%}", token.start_index)
            opener = "{{" if token.kind == "output" else "{%"
            start = source.rfind(opener, 0, token.start_index + 2)
            if end < 0 or start < 0:
                continue
            try:
                self.env.from_string(source[start : end + 2])
            except Exception as err:
                if not _is_liquid_error(err):
                    raise
                if str(err.message) == message:
                    return line_of(source, start)
        return line_of(source, len(source))


def _is_liquid_error(err: Exception) -> TypeGuard[LiquidError]:
    """Whether python-liquid raised `err` (it is loaded: only a built environment raises)."""
    from liquid.exceptions import LiquidError

    return isinstance(err, LiquidError)


def _strict_fix(kind: str, name: str) -> str:
    """How to fix a strict-mode failure, by what went wrong."""
    if kind == "missing_translation":
        return "add the key to translations/<locale>/<locale>.json, or render without strict mode"
    if kind == "unknown_filter":
        return "use one of Knock's filters (docs: template-editor/reference-liquid-helpers)"
    if name.startswith("vars."):
        return (
            f"set `{name.removeprefix('vars.')}` under `vars:` in doorstep.yaml (Emulator(config="
            "...), the plugin's doorstep_config / doorstep_vars), or use `| default: ...`"
        )
    return (
        "define the value in the trigger data / recipient, use `| default: ...`, or render "
        "without strict mode"
    )
