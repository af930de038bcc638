"""The typed guide model: what `guides/<key>/guide.json` (as `knock guide pull` writes it) holds.

Field names follow Knock's Management API (`Guide`, `GuideStep`, `GuideActivationUrlPattern`)
and its public guides API (`activation_url_rules`), so a user who knows guide.json knows these.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from emulator.definitions._values import ConditionGroup, Source, source_field


@dataclass(frozen=True, slots=True)
class GuideStep:
    """One step of a guide: its message type (`schema_key` and variant) and the authored
    `values`, which may use Liquid (`{{ recipient.name }}`, `{{ data.plan }}`)."""

    ref: str
    schema_key: str
    schema_semver: str = "0.0.1"
    schema_variant_key: str = "default"
    values: Mapping[str, Any] = field(default_factory=dict)
    name: str | None = None


@dataclass(frozen=True, slots=True)
class UrlRule:
    """An activation rule on the page's pathname: `contains` or `equal_to` `argument`."""

    directive: str  # allow | block
    operator: str  # contains | equal_to
    argument: str
    variable: str = "pathname"


@dataclass(frozen=True, slots=True)
class UrlPattern:
    """An activation URL pattern (`/dashboard/*`, optionally a `search` such as `role=admin`)."""

    directive: str  # allow | block
    pathname: str | None = None
    search: str | None = None


@dataclass(frozen=True, slots=True)
class Guide:
    """A guide: content steps, who may see it (audience and property conditions) and where it
    activates (URL rules or patterns, which Knock's client SDKs evaluate in the browser)."""

    key: str
    name: str
    channel_key: str
    steps: tuple[GuideStep, ...]
    type: str = ""
    semver: str = "0.0.1"
    description: str | None = None
    tags: tuple[str, ...] = ()
    active: bool = True
    active_from: datetime | None = None
    active_until: datetime | None = None
    target_audience_key: str | None = None
    target_property_conditions: ConditionGroup | None = None
    activation_url_rules: tuple[UrlRule, ...] = ()
    activation_url_patterns: tuple[UrlPattern, ...] = ()
    bypass_global_group_limit: bool = False
    source: Source = source_field()
