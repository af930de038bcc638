"""Knock's Liquid: one configured environment, Knock's filters, email assembly, diagnostics."""

from typing import TYPE_CHECKING

from emulator._lazy import lazy_exports

if TYPE_CHECKING:
    from emulator.templates._context import RESERVED_NAMES, build_context
    from emulator.templates._diagnostics import (
        Diagnostic,
        Rendered,
        RenderedContent,
        TemplateError,
        TemplateLocation,
    )
    from emulator.templates._renderer import TemplateRenderer

# Each name is imported from its module on first use (PEP 562).
if not TYPE_CHECKING:  # (mypy reads the imports above)
    __getattr__, __dir__ = lazy_exports(
        __name__,
        {
            "_context": ("RESERVED_NAMES", "build_context"),
            "_diagnostics": (
                "Diagnostic",
                "Rendered",
                "RenderedContent",
                "TemplateError",
                "TemplateLocation",
            ),
            "_renderer": ("TemplateRenderer",),
        },
    )

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
