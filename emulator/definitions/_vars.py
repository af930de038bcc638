"""Knock's account variables as a run reads them (its own module: a run's scope needs this and
not the config file's parser, which loads with `load_config`)."""

from __future__ import annotations

import json
from typing import Any


def knock_var(value: Any) -> Any:
    """Knock stores variables as text and JSON-decodes them at send time (`"123"` -> 123)."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value
