"""Knock's Liquid: one configured environment, Knock's filters, email assembly, diagnostics."""

from emulator.templates._context import RESERVED_NAMES, build_context
from emulator.templates._diagnostics import (
    Diagnostic,
    Rendered,
    RenderedContent,
    TemplateError,
    TemplateLocation,
)
from emulator.templates._renderer import TemplateRenderer

__all__ = [
    "RESERVED_NAMES",
    "Diagnostic",
    "Rendered",
    "RenderedContent",
    "TemplateError",
    "TemplateLocation",
    "TemplateRenderer",
    "build_context",
]
