"""Knock's Liquid filters (https://docs.knock.app/template-editor/reference-liquid-helpers)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._environment import KnockEnvironment


def register_knock_filters(env: KnockEnvironment) -> None:
    """Add Knock's filters to `env` (standard Shopify filters are already registered)."""
