"""Plugin settings: command line > environment > ini > default, then the closest marker.

Each setting has three spellings, for `workflows` they are `--doorstep-workflows`,
`DOORSTEP_WORKFLOWS` and the `doorstep_workflows` ini key; likewise `start` (virtual start time,
ISO 8601 with a zone), `strict` (on by default), `vars`, `channels` and `email_provider`
(`inprocess`, `smtp` or `resend`). `pytest --help` lists them under "Doorstep".

Paths given on the command line or in the environment are relative to the directory pytest was
started from; ini paths are relative to the rootdir. Without any setting the workflows directory
is searched for under the rootdir in this order: `fixtures/workflows`, `workflows`, `knock`.
`vars` and `channels` take a YAML/JSON file path or an inline `{...}` mapping. `config` names a
`doorstep.yaml` (vars, channels, environment preferences, start; see `emulator.load_config`);
without it `doorstep.yaml` then `fixtures/doorstep.yaml` under the rootdir are used if present.
Explicit `vars`/`channels`/`start` settings win over the config file's.
`enhanced_security` (off by default) makes the `knock_api` fixture require a signed user token
on every `pk_` request; `signing_key` is the key it verifies them with (a PEM or base64-encoded
PEM, or a file holding one; default: `KNOCK_SIGNING_KEY`, else a key made for the session).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple

import pytest

SEARCH = ("fixtures/workflows", "workflows", "knock")
CONFIG_SEARCH = ("doorstep.yaml", "fixtures/doorstep.yaml")
PROVIDERS = ("inprocess", "smtp", "resend")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}
MARKER_KEYS = frozenset(
    {
        "workflows",
        "config",
        "start",
        "strict",
        "vars",
        "channels",
        "email_provider",
        "enhanced_security",
        "signing_key",
    }
)
MARKER_HELP = (
    "doorstep(workflows=None, config=None, start=None, strict=None, vars=None, channels=None, "
    "email_provider=None, enhanced_security=None, signing_key=None): per-test Doorstep "
    "settings; the closest marker (function, class, module) wins for each key"
)
_KEY_STARTS = ("-----BEGIN", "LS0tLS1CRUdJTi")  # a PEM, or a PEM base64-encoded on one line


class Setting(NamedTuple):
    """One configurable value and its three spellings (a NamedTuple: a frozen dataclass costs
    every session ~0.5 ms to build)."""

    name: str
    help: str

    @property
    def flag(self) -> str:
        """The command-line spelling, `--doorstep-...`."""
        return "--doorstep-" + self.name.replace("_", "-")

    @property
    def env(self) -> str:
        """The environment spelling, `DOORSTEP_...`."""
        return "DOORSTEP_" + self.name.upper()

    @property
    def ini(self) -> str:
        """The ini spelling, `doorstep_...`."""
        return "doorstep_" + self.name


SETTINGS = (
    Setting(
        "workflows", "workflows directory (default: search fixtures/workflows, workflows, knock)"
    ),
    Setting(
        "config",
        "doorstep.yaml with vars, channels, environment preferences (default: doorstep.yaml or "
        "fixtures/doorstep.yaml under the rootdir, if present)",
    ),
    Setting("start", "virtual start time, ISO 8601 with a zone (default 2025-01-01T09:00:00Z)"),
    Setting("strict", "strict templates: on (default) or off; undefined variables fail the test"),
    Setting("vars", "template `vars`: a YAML/JSON file or an inline {...} mapping"),
    Setting("channels", "channel configuration: a YAML/JSON file or an inline {...} mapping"),
    Setting("email_provider", "how the emulator sends email: inprocess (default), smtp, resend"),
    Setting(
        "enhanced_security",
        "knock_api requires a signed user token on every pk_ request: on or off (default)",
    ),
    Setting(
        "signing_key",
        "the RSA key knock_api verifies user tokens with: PEM, base64-encoded PEM, or a file "
        "holding one (default: KNOCK_SIGNING_KEY, else a key made for the session)",
    ),
)


@dataclass(frozen=True)
class Settings:
    """Resolved settings for one test; `origin` says where the workflows directory came from."""

    workflows: Path | None = None
    origin: str = "default search"
    config: Path | None = None
    start: datetime | None = None
    strict: bool = True
    vars: Mapping[str, Any] = field(default_factory=dict)
    channels: Mapping[str, Any] = field(default_factory=dict)
    email_provider: str = "inprocess"
    searched: tuple[Path, ...] = ()
    enhanced_security: bool = False
    signing_key: str | None = None  # base64-encoded PEM, validated


def add_options(parser: pytest.Parser) -> None:
    """Every setting as a command-line option and an ini value."""
    group = parser.getgroup("doorstep", "Doorstep workflow emulator")
    for setting in SETTINGS:
        group.addoption(
            setting.flag, dest=f"doorstep_{setting.name}", default=None, help=setting.help
        )
        parser.addini(setting.ini, setting.help, default=None)


def resolve(config: pytest.Config) -> Settings:
    """Read every setting from the command line, the environment or the ini file, in that order."""
    cwd = Path(config.invocation_params.dir)
    root = Path(config.rootpath)
    raw: dict[str, tuple[str, str, Path]] = {}
    for setting in SETTINGS:
        found = _lookup(config, setting, cwd, root)
        if found is not None:
            raw[setting.name] = found
    settings = Settings()
    if "workflows" in raw:
        text, origin, base = raw["workflows"]
        path = (base / text).resolve()
        if not path.is_dir():
            raise pytest.UsageError(
                f"{origin}={text!r}: no such directory ({path}); point it at the folder holding "
                "your workflow YAML files or Knock CLI export"
            )
        settings = replace(settings, workflows=path, origin=origin)
    else:
        candidates = tuple(root / name for name in SEARCH)
        found_dir = next((c for c in candidates if c.is_dir()), None)
        settings = replace(settings, workflows=found_dir, searched=candidates)
    if "config" in raw:
        text, origin, base = raw["config"]
        settings = replace(settings, config=_config_file(base / text, origin, text))
    else:
        found_file = next((root / n for n in CONFIG_SEARCH if (root / n).is_file()), None)
        settings = replace(settings, config=found_file)
    if "start" in raw:
        settings = replace(settings, start=parse_start(raw["start"][0], raw["start"][1]))
    if "strict" in raw:
        settings = replace(settings, strict=parse_bool(raw["strict"][0], raw["strict"][1]))
    if "vars" in raw:
        settings = replace(settings, vars=parse_mapping(*raw["vars"]))
    if "channels" in raw:
        settings = replace(settings, channels=parse_mapping(*raw["channels"]))
    if "email_provider" in raw:
        text, origin, _ = raw["email_provider"]
        settings = replace(settings, email_provider=parse_provider(text, origin))
    if "enhanced_security" in raw:
        text, origin, _ = raw["enhanced_security"]
        settings = replace(settings, enhanced_security=parse_bool(text, origin))
    if "signing_key" in raw:
        settings = replace(settings, signing_key=parse_signing_key(*raw["signing_key"]))
    return settings


def _lookup(
    config: pytest.Config, setting: Setting, cwd: Path, root: Path
) -> tuple[str, str, Path] | None:
    value = config.getoption(f"doorstep_{setting.name}")
    if value is not None:
        return str(value), setting.flag, cwd
    env = os.environ.get(setting.env)
    if env:
        return env, setting.env, cwd
    ini = config.getini(setting.ini)
    if ini:
        base = Path(config.inipath).parent if config.inipath else root
        return str(ini).strip(), f"{setting.ini} (ini)", base
    return None


def with_markers(settings: Settings, markers: Iterable[pytest.Mark], base: Path) -> Settings:
    """Apply `@pytest.mark.doorstep(...)` keywords, closest marker first (it wins per key)."""
    seen: set[str] = set()
    for mark in markers:
        if mark.args:
            raise pytest.UsageError(
                f"@pytest.mark.doorstep takes keywords only, got positional {mark.args!r}; "
                "write doorstep(workflows='...')"
            )
        unknown = set(mark.kwargs) - MARKER_KEYS
        if unknown:
            raise pytest.UsageError(
                f"@pytest.mark.doorstep: unknown keyword(s) {sorted(unknown)}; "
                f"use {', '.join(sorted(MARKER_KEYS))}"
            )
        for key, value in mark.kwargs.items():
            if key in seen:
                continue
            seen.add(key)
            settings = _apply(settings, key, value, base)
    return settings


def _apply(settings: Settings, key: str, value: Any, base: Path) -> Settings:
    where = f"@pytest.mark.doorstep({key}=...)"
    if key == "workflows":
        path = (base / Path(value)).resolve()
        if not path.is_dir():
            raise pytest.UsageError(
                f"{where}: no such directory {path}; marker paths are relative to the test file"
            )
        return replace(settings, workflows=path, origin=where)
    if key == "config":
        return replace(settings, config=_config_file(base / Path(value), where, str(value)))
    if key == "start":
        start = value if isinstance(value, datetime) else parse_start(str(value), where)
        if start.tzinfo is None:
            raise pytest.UsageError(f"{where}: {start!r} has no time zone; add tzinfo=UTC")
        return replace(settings, start=start)
    if key == "strict":
        return replace(
            settings, strict=value if isinstance(value, bool) else parse_bool(value, where)
        )
    if key in ("vars", "channels"):
        if not isinstance(value, Mapping):
            raise pytest.UsageError(f"{where}: expected a dict, got {type(value).__name__}")
        if key == "vars":
            return replace(settings, vars=dict(value))
        return replace(settings, channels=dict(value))
    if key == "enhanced_security":
        enhanced = value if isinstance(value, bool) else parse_bool(value, where)
        return replace(settings, enhanced_security=enhanced)
    if key == "signing_key":
        text = getattr(value, "base64", value)  # a SigningKey, or its text, or a file
        return replace(settings, signing_key=parse_signing_key(str(text), where, base))
    return replace(settings, email_provider=parse_provider(str(value), where))


def parse_signing_key(text: str, origin: str, base: Path) -> str:
    """The key as base64-encoded PEM, from its text or a file relative to `base`;
    UsageError naming `origin` otherwise."""
    from emulator import SigningKey, SigningKeyError

    stripped = text.strip()
    try:
        if stripped.startswith(_KEY_STARTS):
            return SigningKey.from_text(stripped, origin).base64
        return SigningKey.from_file(base / stripped).base64
    except SigningKeyError as exc:
        raise pytest.UsageError(f"{origin}: {exc}") from None


def _config_file(path: Path, origin: str, text: str) -> Path:
    resolved = path.resolve()
    if not resolved.is_file():
        raise pytest.UsageError(
            f"{origin}={text!r}: no such file ({resolved}); point it at a doorstep.yaml"
        )
    return resolved


def parse_start(text: str, origin: str) -> datetime:
    """An ISO 8601 time with a zone; UsageError naming `origin` otherwise."""
    try:
        when = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise pytest.UsageError(
            f"{origin}={text!r} is not an ISO 8601 time; write e.g. 2025-01-01T09:00:00Z"
        ) from None
    if when.tzinfo is None:
        raise pytest.UsageError(
            f"{origin}={text!r} has no time zone; add one, e.g. {text}Z or {text}+00:00"
        )
    return when


def parse_bool(text: object, origin: str) -> bool:
    """on/off, true/false, 1/0, yes/no; UsageError naming `origin` otherwise."""
    lowered = str(text).strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise pytest.UsageError(f"{origin}={text!r}: use on/off (or true/false, 1/0, yes/no)")


def parse_provider(text: str, origin: str) -> str:
    """One of `PROVIDERS`, lower-cased; UsageError naming `origin` otherwise."""
    lowered = text.strip().lower()
    if lowered not in PROVIDERS:
        raise pytest.UsageError(f"{origin}={text!r}: use one of {', '.join(PROVIDERS)}")
    return lowered


def parse_mapping(text: str, origin: str, base: Path) -> dict[str, Any]:
    """A mapping given inline (`{...}`) or as a YAML/JSON file relative to `base`."""
    import yaml

    stripped = text.strip()
    if stripped.startswith("{"):
        source, content = "inline value", stripped
    else:
        path = base / stripped
        try:
            content = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise pytest.UsageError(
                f"{origin}={text!r}: cannot read {path} ({exc.strerror}); give a YAML/JSON file "
                "or an inline {...} mapping"
            ) from None
        source = str(path)
    try:
        data = yaml.safe_load(content)
    except yaml.YAMLError as exc:
        raise pytest.UsageError(f"{origin}: {source} is not valid YAML/JSON: {exc}") from None
    if not isinstance(data, dict):
        raise pytest.UsageError(
            f"{origin}: {source} must hold a mapping (key: value), got {type(data).__name__}"
        )
    return data
