"""Shared test settings."""

from __future__ import annotations

import os

from hypothesis import settings

# Hypothesis: the `ci` profile (loaded when CI is set) draws the same bounded examples every run,
# so a CI failure reproduces and the slowest property tests cost the same each time.
settings.register_profile("ci", derandomize=True, max_examples=50, deadline=None)
if os.environ.get("CI"):
    settings.load_profile("ci")
