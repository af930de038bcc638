"""The environment around the workflows: variables, channels and default preferences.

In Knock these live in the dashboard, not in `knock workflow pull` output, so Doorstep reads them
from a small YAML (or JSON) file, `doorstep.yaml` by convention:

    vars:                      # `{{ vars.app_url }}`; JSON-decoded at send time, as in Knock
      app_url: https://app.example.com
    channels:                  # what a step's channel_key points at
      postmark: {type: email, from_address: billing@example.com, from_name: Acme Billing}
      twilio: {type: sms, sandbox_mode: true}
    environment_preferences:   # the lowest level of the preference merge
      channel_types: {sms: false}
    start: 2025-01-01T09:00:00Z  # where the virtual clock starts
    environments: [development, staging, production]  # `doorstep serve` (see _environments)
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from emulator.core import DefinitionError, DoorstepError, Problem
from emulator.definitions._channels import Channel, parse_channel
from emulator.definitions._environments import (
    EnvironmentConfig,
    default_environments,
    parse_environments,
)
from emulator.definitions._model import CHANNEL_TYPES
from emulator.definitions._preferences import validate_preference_set
from emulator.definitions._windows import parse_timestamp

KNOWN_KEYS = (
    "vars",
    "channels",
    "environment_preferences",
    "start",
    "tenant_translations",
    "environments",
)


@dataclass(frozen=True, slots=True)
class EmulatorConfig:
    """Everything the config file sets; each field maps onto an `Emulator` option."""

    vars: Mapping[str, Any] = field(default_factory=dict)
    channels: Mapping[str, Channel] = field(default_factory=dict)
    environment_preferences: Mapping[str, Any] | None = None
    start: datetime | None = None
    # Knock's per-tenant translations: tenant id -> {"en" or "admin.en": {key: text}}.
    tenant_translations: Mapping[str, Mapping[str, Mapping[str, Any]]] = field(default_factory=dict)
    # `doorstep serve`'s Knock environments, in promotion order (development ... production).
    environments: tuple[EnvironmentConfig, ...] = field(default_factory=default_environments)


def load_config(path: str | os.PathLike[str]) -> EmulatorConfig:
    """Read and validate a config file; every problem names the file and the key path."""
    import yaml  # an Emulator built without a config or a directory never loads it

    file = Path(path)
    try:
        raw = yaml.safe_load(file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise DefinitionError(
            Problem(
                str(file),
                "",
                f"cannot read the config file: {exc}",
                "check the path given with --config / config=",
            )
        ) from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = None if mark is None else mark.line + 1
        raise DefinitionError(
            Problem(str(file), "", f"not valid YAML: {exc}", "fix the YAML syntax", line)
        ) from exc
    return parse_config(raw or {}, str(file))


def parse_config(raw: Any, file: str = "<config>") -> EmulatorConfig:
    """Validate a config mapping (the parsed file); every problem is reported at once."""
    problems: list[Problem] = []
    if not isinstance(raw, Mapping):
        raise DefinitionError(
            Problem(
                file,
                "",
                "the config must be a mapping",
                f"use top-level keys {', '.join(KNOWN_KEYS)}",
            )
        )
    for key in raw:
        if key not in KNOWN_KEYS:
            problems.append(
                Problem(file, str(key), "unknown config key", f"use one of {', '.join(KNOWN_KEYS)}")
            )
    variables = raw.get("vars") or {}
    if not isinstance(variables, Mapping):
        problems.append(
            Problem(
                file,
                "vars",
                "must be a mapping of names to values",
                "write vars: {app_url: https://...}",
            )
        )
        variables = {}
    channels = _channels(raw.get("channels"), file, problems)
    preferences = raw.get("environment_preferences")
    if preferences is not None:
        _environment_preferences(preferences, file, problems)
    start = _start(raw.get("start"), file, problems)
    tenant_translations = _tenant_translations(raw.get("tenant_translations"), file, problems)
    environments = parse_environments(raw.get("environments"), file, problems)
    if problems:
        raise DefinitionError(problems)
    return EmulatorConfig(
        vars={str(k): v for k, v in variables.items()},  # decoded at send time (knock_var)
        channels=channels,
        environment_preferences=preferences,
        start=start,
        tenant_translations=tenant_translations,
        environments=environments,
    )


def _channels(raw: Any, file: str, problems: list[Problem]) -> dict[str, Channel]:
    channels: dict[str, Channel] = {}
    raw_channels = raw or {}
    if not isinstance(raw_channels, Mapping):
        problems.append(
            Problem(
                file,
                "channels",
                "must be a mapping of channel keys",
                "write channels: {postmark: {type: email}}",
            )
        )
        return channels
    for key, spec in raw_channels.items():
        where = f"channels.{key}"
        if not isinstance(spec, Mapping) or spec.get("type") not in CHANNEL_TYPES:
            problems.append(
                Problem(
                    file,
                    f"{where}.type",
                    "missing or unknown channel type",
                    f"set type to one of {', '.join(CHANNEL_TYPES)}",
                )
            )
            continue
        try:
            channels[str(key)] = parse_channel(str(key), spec)
        except DoorstepError as exc:
            problems.append(Problem(file, where, str(exc), "see the channel settings above"))
    return channels


def _environment_preferences(preferences: Any, file: str, problems: list[Problem]) -> None:
    try:
        validate_preference_set(preferences, "environment_preferences")
    except DefinitionError as exc:
        for p in exc.problems:
            where = (
                p.path
                if p.path.startswith("environment_preferences")
                else (f"environment_preferences.{p.path}")
            )
            problems.append(Problem(file, where, p.message, p.fix))


def _start(start: Any, file: str, problems: list[Problem]) -> datetime | None:
    if isinstance(start, str):
        try:
            start = parse_timestamp(start)
        except ValueError:
            problems.append(
                Problem(
                    file,
                    "start",
                    f"{start!r} is not an ISO-8601 timestamp",
                    "write start: 2025-01-01T09:00:00Z",
                )
            )
            return None
    elif start is not None and not isinstance(start, datetime):
        problems.append(
            Problem(
                file, "start", "must be an ISO-8601 timestamp", "write start: 2025-01-01T09:00:00Z"
            )
        )
        return None
    if isinstance(start, datetime) and start.tzinfo is None:
        start = start.replace(tzinfo=parse_timestamp("2000-01-01T00:00:00Z").tzinfo)
    return start if isinstance(start, datetime) else None


def _tenant_translations(
    raw: Any, file: str, problems: list[Problem]
) -> dict[str, dict[str, dict[str, Any]]]:
    fix = "write tenant_translations: {acme-corp: {en: {greeting: Hello from Acme}}}"
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        problems.append(Problem(file, "tenant_translations", "must be a mapping", fix))
        return {}
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for tenant, files in raw.items():
        where = f"tenant_translations.{tenant}"
        if not isinstance(files, Mapping) or not all(
            isinstance(content, Mapping) for content in files.values()
        ):
            problems.append(
                Problem(file, where, "must map locales (en, admin.en) to key/text mappings", fix)
            )
            continue
        out[str(tenant)] = {str(name): dict(content) for name, content in files.items()}
    return out
