"""Knock translations: the `t` filter (`{{ "key" | t }}`, `"ns:key"`, `count:` plurals).

`translations` maps Knock's file names without `.json`: `"en"` is the default namespace of
`translations/en/en.json`, `"admin.en"` the namespace `admin` (`translations/en/admin.en.json`).
The `{% t %}` block tag (`_t_tag.py`) looks its literal text up here too (`literal=True`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from liquid import BoundTemplate, Undefined
from liquid.filter import with_context

from emulator.templates._diagnostics import note
from emulator.templates._environment import KnockEnvironment

DEFAULT_LOCALE = "en"


def _candidates(locale: str) -> list[str]:
    """lang-REGION → lang → the default locale."""
    out = [locale]
    if "-" in locale:
        out.append(locale.split("-")[0])
    if DEFAULT_LOCALE not in out:
        out.append(DEFAULT_LOCALE)
    return out


def _lookup(table: Any, path: str) -> Any:
    node = table
    for part in path.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def translate(
    env: KnockEnvironment,
    key: str,
    locale: str,
    args: Mapping[str, Any],
    *,
    literal: bool = False,
    tenant: str | None = None,
) -> tuple[str | None, str]:
    """The translation source for `key` in `locale` (or None) and the locale it came from.

    `literal` keys (the text of a `{% t %}` block) are one flat key of the default namespace:
    their `:` and `.` are prose, not a namespace or a nested path. With a `tenant`, Knock's
    documented priority applies (template-editor/translations.mdx, "Locale prioritization"):
    the tenant's lang-REGION, lang and default-locale strings, then the base files' lang-REGION,
    lang and default locale.
    """
    namespace, _, path = ("", "", key) if literal else key.rpartition(":")
    scoped = env.tenant_translations.get(tenant) if tenant else None
    sources = (scoped, env.translations) if scoped else (env.translations,)
    for source in sources:
        for candidate in _candidates(locale):
            file = f"{namespace}.{candidate}" if namespace else candidate
            value = _value(source.get(file), key, path, literal, args)
            if isinstance(value, str):
                return value, candidate
    return None, locale


def _value(table: Any, key: str, path: str, literal: bool, args: Mapping[str, Any]) -> Any:
    value = (table.get(key) if isinstance(table, Mapping) else None) if literal else None
    if not literal:
        value = _lookup(table, path)
    if isinstance(value, Mapping) and "count" in args:
        count = args["count"]
        plural = "one" if count == 1 else ("zero" if count == 0 else "other")
        value = value.get(plural, value.get("other"))
    return value


def render_tenant(context: Any) -> str | None:
    """The id of the tenant the render in progress belongs to, if any."""
    tenant = context.resolve("tenant", default=None)
    if isinstance(tenant, Mapping) and isinstance(tenant.get("id"), str):
        return str(tenant["id"])
    return None


def recipient_locale(context: Any) -> str:
    """`recipient.locale` of the render in progress, else the default locale."""
    recipient = context.resolve("recipient", default=None)
    if isinstance(recipient, Mapping) and isinstance(recipient.get("locale"), str):
        return str(recipient["locale"])
    return DEFAULT_LOCALE


def compiled_translation(env: KnockEnvironment, source: str) -> BoundTemplate:
    """A translation value parsed as Liquid, once per environment."""
    template = env.translation_templates.get(source)
    if template is None:
        template = env.from_string(source)
        env.translation_templates[source] = template
    return template


@with_context
def t_filter(value: object, *, context: Any, **args: Any) -> object:
    """Look up `value` as a translation key and render the translation with `args`."""
    if isinstance(value, Undefined) or value is None:
        return ""
    env: KnockEnvironment = context.env
    locale = recipient_locale(context)
    key = str(value)
    source, _found_in = translate(env, key, locale, args, tenant=render_tenant(context))
    if source is None:
        note(
            "missing_translation",
            key,
            f"no translation for {key!r} in locale {locale!r} (or its fallbacks); rendered the key",
        )
        return key
    template = compiled_translation(env, source)
    scope = {**context.globals, **args} if isinstance(context.globals, Mapping) else dict(args)
    return template.render(scope)
