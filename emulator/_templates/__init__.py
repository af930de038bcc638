"""Knock's Liquid: one configured environment, Knock's filters, email assembly, diagnostics."""

from ._context import build_context
from ._diagnostics import (
    Diagnostic,
    Rendered,
    RenderedContent,
    TemplateError,
    TemplateLocation,
)
from ._renderer import TemplateRenderer

__all__ = [
    "Diagnostic",
    "Rendered",
    "RenderedContent",
    "TemplateError",
    "TemplateLocation",
    "TemplateRenderer",
    "build_context",
]
