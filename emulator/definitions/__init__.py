"""Workflow definitions: our YAML format and the Knock CLI layout, loaded into one typed model.

`load_definitions(path)` is what `Emulator.from_directory` calls; `parse_workflow` builds one
workflow from a dict already in Knock's workflow.json shape; `parse_duration` reads a duration in
either form (`5m` or `{"unit": "minutes", "value": 5}`). The YAML format is documented in `_yaml`.
"""

from emulator.definitions._durations import parse_duration
from emulator.definitions._load import load_definitions
from emulator.definitions._parse import parse_workflow

__all__ = ["load_definitions", "parse_duration", "parse_workflow"]
