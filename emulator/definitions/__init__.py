"""Workflow definitions: our YAML format and the Knock CLI layout, loaded into one typed model.

`load_definitions(path)` is what `Emulator.from_directory` calls; `parse_workflow` builds one
workflow from a dict already in Knock's workflow.json shape; `parse_duration` reads a duration in
either form (`5m` or `{"unit": "minutes", "value": 5}`). The YAML format is documented in `_yaml`.
"""

from typing import TYPE_CHECKING

from emulator._lazy import lazy_exports

if TYPE_CHECKING:
    from emulator.definitions._channels import Channel, Channels
    from emulator.definitions._conditions import PREFIXES, parse_conditions
    from emulator.definitions._config import EmulatorConfig, load_config
    from emulator.definitions._durations import parse_duration
    from emulator.definitions._environments import DEFAULT_ENVIRONMENTS, EnvironmentConfig
    from emulator.definitions._fields import iter_strings
    from emulator.definitions._guide_model import Guide, GuideStep, UrlPattern, UrlRule
    from emulator.definitions._knock_dir import parse_document
    from emulator.definitions._load_cache import load_definitions
    from emulator.definitions._model import (
        TRIGGER_WORKFLOW_DEFAULTS,
        AiAgentStep,
        BatchStep,
        BranchStep,
        ChannelStep,
        Condition,
        ConditionGroup,
        Definitions,
        DelayStep,
        Duration,
        FetchStep,
        KeyValue,
        Layout,
        Partial,
        SendWindow,
        Source,
        Step,
        ThrottleStep,
        TriggerWorkflowStep,
        UpdateStep,
        WaitForEventStep,
        Workflow,
    )
    from emulator.definitions._operators import (
        COMPARISONS,
        MISSING,
        NO_ARGUMENT,
        SEES_MISSING,
        relative_offset,
    )
    from emulator.definitions._parse import parse_workflow
    from emulator.definitions._preferences import (
        PERSISTENCE_KEY,
        STRATEGY_KEY,
        merge_preference_set,
        validate_preference_set,
    )
    from emulator.definitions._repeats import (
        first_occurrence,
        next_occurrence,
        utc,
        validate_repeats,
    )
    from emulator.definitions._safe_yaml import (
        MAX_YAML_NODES,
        YamlError,
        compose_yaml,
        construct_yaml,
        yaml_constructor,
    )
    from emulator.definitions._vars import knock_var
    from emulator.definitions._windows import (
        InvalidWindowError,
        add_duration,
        lookup,
        parse_timestamp,
        resolve_window,
    )
    from emulator.definitions._yaml import not_utf8

# Each name is imported from its module on first use (PEP 562): building an `Emulator` does
# not load the parsers, YAML or the Knock directory loader until definitions are loaded.
if not TYPE_CHECKING:  # (mypy reads the imports above)
    __getattr__, __dir__ = lazy_exports(
        __name__,
        {
            "_channels": ("Channel", "Channels"),
            "_conditions": ("PREFIXES", "parse_conditions"),
            "_config": ("EmulatorConfig", "load_config"),
            "_durations": ("parse_duration",),
            "_environments": ("DEFAULT_ENVIRONMENTS", "EnvironmentConfig"),
            "_fields": ("iter_strings",),
            "_guide_model": ("Guide", "GuideStep", "UrlPattern", "UrlRule"),
            "_knock_dir": ("parse_document",),
            "_load_cache": ("load_definitions",),
            "_model": (
                "TRIGGER_WORKFLOW_DEFAULTS",
                "AiAgentStep",
                "BatchStep",
                "BranchStep",
                "ChannelStep",
                "Condition",
                "ConditionGroup",
                "Definitions",
                "DelayStep",
                "Duration",
                "FetchStep",
                "KeyValue",
                "Layout",
                "Partial",
                "SendWindow",
                "Source",
                "Step",
                "ThrottleStep",
                "TriggerWorkflowStep",
                "UpdateStep",
                "WaitForEventStep",
                "Workflow",
            ),
            "_operators": (
                "COMPARISONS",
                "MISSING",
                "NO_ARGUMENT",
                "SEES_MISSING",
                "relative_offset",
            ),
            "_parse": ("parse_workflow",),
            "_preferences": (
                "PERSISTENCE_KEY",
                "STRATEGY_KEY",
                "merge_preference_set",
                "validate_preference_set",
            ),
            "_repeats": ("first_occurrence", "next_occurrence", "utc", "validate_repeats"),
            "_safe_yaml": (
                "MAX_YAML_NODES",
                "YamlError",
                "compose_yaml",
                "construct_yaml",
                "yaml_constructor",
            ),
            "_vars": ("knock_var",),
            "_windows": (
                "InvalidWindowError",
                "add_duration",
                "lookup",
                "parse_timestamp",
                "resolve_window",
            ),
            "_yaml": ("not_utf8",),
        },
    )

__all__ = [
    "COMPARISONS",
    "DEFAULT_ENVIRONMENTS",
    "MAX_YAML_NODES",
    "MISSING",
    "NO_ARGUMENT",
    "PERSISTENCE_KEY",
    "PREFIXES",
    "SEES_MISSING",
    "STRATEGY_KEY",
    "TRIGGER_WORKFLOW_DEFAULTS",
    "AiAgentStep",
    "BatchStep",
    "BranchStep",
    "Channel",
    "ChannelStep",
    "Channels",
    "Condition",
    "ConditionGroup",
    "Definitions",
    "DelayStep",
    "Duration",
    "EmulatorConfig",
    "EnvironmentConfig",
    "FetchStep",
    "Guide",
    "GuideStep",
    "InvalidWindowError",
    "KeyValue",
    "Layout",
    "Partial",
    "SendWindow",
    "Source",
    "Step",
    "ThrottleStep",
    "TriggerWorkflowStep",
    "UpdateStep",
    "UrlPattern",
    "UrlRule",
    "WaitForEventStep",
    "Workflow",
    "YamlError",
    "add_duration",
    "compose_yaml",
    "construct_yaml",
    "first_occurrence",
    "iter_strings",
    "knock_var",
    "load_config",
    "load_definitions",
    "lookup",
    "merge_preference_set",
    "next_occurrence",
    "not_utf8",
    "parse_conditions",
    "parse_document",
    "parse_duration",
    "parse_timestamp",
    "parse_workflow",
    "relative_offset",
    "resolve_window",
    "utc",
    "validate_preference_set",
    "validate_repeats",
    "yaml_constructor",
]
