"""Renders remembered: a template field renders once per distinct values it reads.

A template that uses only tags and filters whose output depends on nothing but the values it
reads (no partials, translations, dates, data filters) makes the same text from the same values.
Static analysis lists the paths it reads (`data.invoice_id`, `total_activities`, `vars.app_url`);
the plain JSON values at those paths are the key its text (and what the render recorded:
undefined variables, ...) is kept under. A notification or digest sends the same subject and
body to many recipients, so most of them render no Liquid at all. A template whose values keep
changing (it reads `recipient.name`, `current_message.id`, a growing list) stops being
remembered after a few dozen renders without a repeat; values that are not plain JSON, or too
many of them, render in full.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import TYPE_CHECKING, Any

from emulator.core import BoundedCache

if TYPE_CHECKING:
    from liquid import BoundTemplate
    from liquid.static_analysis import TemplateAnalysis

    from emulator.templates._diagnostics import Note

# fmt: off
PURE_TAGS = frozenset({
    "if", "unless", "case", "for", "tablerow", "assign", "cycle", "increment", "decrement",
    "comment", "raw", "liquid", "echo", "break", "continue", "#",
})  # not `capture` (nor `ifchanged`): a layout's hole (`_layouts`) would be read as a value
# Output depends only on the input and arguments (not the clock, translations or entities).
PURE_FILTERS = frozenset({
    "abs", "append", "at_least", "at_most", "base64_decode", "base64_encode",
    "base64_url_safe_decode", "base64_url_safe_encode", "capitalize", "ceil", "compact",
    "concat", "default", "divided_by", "downcase", "escape", "escape_once", "escapejs", "find",
    "find_index", "first", "floor", "has", "join", "last", "lstrip", "map", "minus", "modulo",
    "newline_to_br", "plus", "prepend", "reject", "remove", "remove_first", "remove_last",
    "replace", "replace_first", "replace_last", "reverse", "round", "rstrip", "safe", "size",
    "slice", "sort", "sort_natural", "split", "squish", "strip", "strip_html",
    "strip_newlines", "sum", "times", "truncate", "truncatewords", "uniq", "upcase",
    "url_decode", "url_encode", "where", "json", "from_json", "pluralize", "titlecase", "md5",
    "sha256", "hmac_sha256", "intersect", "from_markdown", "compare_versions", "equals",
})
# fmt: on
BUILTIN_NAMES = ("now", "today")  # python-liquid's own globals: the wall clock
MAX_VALUES = 200  # more values than this render in full (keying them costs too much)
MAX_REMEMBERED = 4096
TRIAL = 64  # renders of a template before it must have repeated a quarter of the time


def is_pure(analysis: TemplateAnalysis) -> bool:
    """Whether every tag and filter a template uses depends only on the values it reads."""
    return set(analysis.tags) <= PURE_TAGS and set(analysis.filters) <= PURE_FILTERS


def shared_analysis(template: BoundTemplate, source: str) -> TemplateAnalysis:
    """`template.analyze()`, once per process for each parse tree: environments of the same
    class and tags share their parse trees (`_environment._parse`), and so their analyses (a
    fresh `Emulator`'s first renders do not analyze again)."""
    env = template.env
    key = (type(env), tuple(env.tags), source)
    found = _ANALYSES.get(key)
    if found is None:
        found = _ANALYSES.keep(key, template.analyze(include_partials=False))
    return found


MAX_ANALYSES = 10_000
_ANALYSES: BoundedCache[tuple[Any, ...], TemplateAnalysis] = BoundedCache(MAX_ANALYSES)


def read_paths(template: BoundTemplate, source: str) -> tuple[tuple[str, ...], ...] | None:
    """The paths a pure template reads from its scope (each up to its first index or nested
    variable, which reads the whole value there), or None when it is not pure."""
    analysis = shared_analysis(template, source)
    if not is_pure(analysis):
        return None
    paths: set[tuple[str, ...]] = set()
    for variables in analysis.globals.values():
        for variable in variables:
            path: list[str] = []
            for segment in variable.segments:
                if type(segment) is not str:
                    break
                path.append(segment)
            paths.add(tuple(path))
    return tuple(sorted(paths))


class _Unfit(Exception):
    """A value a key cannot hold."""


_MISSING = object()
_UNSET = ("unset",)


def values_at(paths: tuple[tuple[str, ...], ...], scope: Mapping[str, Any]) -> Hashable | None:
    """A key equal for scopes with equal plain values at `paths` (types included: `1`, `1.0`
    and `true` render differently), or None when a value is not plain JSON. A path through a
    missing key or a non-object stops there: the whole value there is the key."""
    budget = [MAX_VALUES]
    out: list[Hashable] = []
    try:
        for path in paths:
            value = scope.get(path[0], _MISSING)
            if value is _MISSING:
                if path[0] in BUILTIN_NAMES:
                    return None  # falls through to the wall clock
                out.append(_UNSET)
                continue
            for segment in path[1:]:
                if type(value) is not dict or segment not in value:
                    break
                value = value[segment]
            out.append(_frozen(value, budget))
    except _Unfit:
        return None
    return tuple(out)


def surroundings(roots: tuple[str, ...], scope: Mapping[str, Any]) -> Hashable | None:
    """`values_at` for whole top-level names."""
    return values_at(tuple((root,) for root in roots), scope)


def _frozen(value: Any, budget: list[int]) -> Hashable:
    budget[0] -= 1
    if budget[0] < 0:
        raise _Unfit
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:
        return (kind, value)
    if kind is float:
        return (kind, repr(value))  # -0.0 and 0.0 render differently
    if kind is dict:
        items = []
        for key, item in value.items():
            if type(key) is not str:
                raise _Unfit
            items.append((key, _frozen(item, budget)))
        return (dict, tuple(items))
    if kind is list or kind is tuple:
        return (kind, tuple(_frozen(v, budget) for v in value))
    raise _Unfit


class _Plan:
    """How one template is remembered: the paths it reads, and how often that paid off."""

    __slots__ = ("hits", "paths", "tries")

    def __init__(self, paths: tuple[tuple[str, ...], ...]) -> None:
        self.paths = paths
        self.tries = self.hits = 0


class RenderMemo:
    """What pure templates made, by environment flavour, source and the values they read."""

    def __init__(self) -> None:
        self._plans: BoundedCache[tuple[Hashable, str], _Plan | None] = BoundedCache(MAX_REMEMBERED)
        self._made: BoundedCache[tuple[Hashable, str, Hashable], tuple[str, list[Note]]] = (
            BoundedCache(MAX_REMEMBERED)
        )

    def key(
        self, flavour: Hashable, source: str, template: BoundTemplate, scope: Mapping[str, Any]
    ) -> tuple[Hashable, str, Hashable] | None:
        """The key `source` rendered in `scope` is remembered under, or None (render in full)."""
        plan = self._plans.get((flavour, source), _NEW)
        if plan is _NEW:
            paths = read_paths(template, source)
            plan = self._plans.keep((flavour, source), None if paths is None else _Plan(paths))
        if plan is None:
            return None
        values = values_at(plan.paths, scope)
        if values is None:
            self._tried(flavour, source, plan, hit=False)  # keying it failed: a try that missed
            return None
        return (flavour, source, values)

    def get(self, key: tuple[Hashable, str, Hashable]) -> tuple[str, list[Note]] | None:
        """What was made under `key`, or None; a template that rarely repeats is given up."""
        made = self._made.get(key)
        plan = self._plans.get((key[0], key[1]))
        if plan is not None:
            self._tried(key[0], key[1], plan, hit=made is not None)
        return made

    def _tried(self, flavour: Hashable, source: str, plan: _Plan, *, hit: bool) -> None:
        plan.tries += 1
        plan.hits += hit
        if plan.tries >= TRIAL and plan.hits * 4 < plan.tries:
            self._plans[flavour, source] = None  # its values keep changing: render in full

    def put(self, key: tuple[Hashable, str, Hashable], made: tuple[str, list[Note]]) -> None:
        self._made.keep(key, made)

    def given_up(self, flavour: Hashable, source: str) -> bool:
        """Whether `source` renders in full now (impure, or its values never repeated)."""
        return self._plans.get((flavour, source), _NEW) is None


_NEW: Any = object()
# Per process, as parse trees are (`_environment`): renderers of one flavour share renders.
MEMO = RenderMemo()
