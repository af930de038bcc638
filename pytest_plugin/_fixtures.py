"""The per-test fixtures: a fresh Emulator over definitions parsed once per session (or worker)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pytest_plugin._options import Settings, resolve, with_markers

if TYPE_CHECKING:
    from emulator import Clock, Definitions, Emulator, EmulatorConfig, Mailbox

SETTINGS_KEY = pytest.StashKey["Settings"]()
CACHE_KEY = pytest.StashKey["DefinitionsCache"]()


class DefinitionsCache:
    """Parsed definitions per directory; `Definitions` is immutable, so tests share one copy."""

    def __init__(self) -> None:
        self._loaded: dict[Path, Definitions | Exception] = {}
        self._configs: dict[Path, EmulatorConfig | Exception] = {}

    def config(self, path: Path) -> EmulatorConfig:
        """The parsed doorstep.yaml (frozen, shared like the definitions)."""
        found = self._configs.get(path)
        if found is None:
            from emulator import DoorstepError, load_config

            try:
                found = load_config(path)
            except DoorstepError as exc:
                found = exc
            self._configs[path] = found
        if isinstance(found, Exception):
            pytest.fail(f"Doorstep could not load the config file {path}:\n{found}", pytrace=False)
        return found

    def get(self, path: Path, origin: str) -> Definitions:
        """The definitions in `path`, parsed once per session (and, while the files and the
        code are unchanged, taken from the last session's load kept on disk: errors are never
        kept); a failing load fails the test."""
        found = self._loaded.get(path)
        if found is None:
            from emulator import DoorstepError, load_definitions

            try:
                found = load_definitions(path, cache=True)
            except DoorstepError as exc:
                found = exc
            self._loaded[path] = found
        if isinstance(found, Exception):
            pytest.fail(
                f"Doorstep could not load the workflows in {path} (from {origin}):\n{found}",
                pytrace=False,
            )
        return found


def configure(config: pytest.Config) -> None:
    """Resolve the settings once and start the session's definitions cache."""
    config.stash[SETTINGS_KEY] = resolve(config)
    config.stash[CACHE_KEY] = DefinitionsCache()


def base_settings(config: pytest.Config) -> Settings:
    """The session's settings before any `@pytest.mark.doorstep` override."""
    return config.stash[SETTINGS_KEY]


def definitions_for(config: pytest.Config, settings: Settings) -> Definitions:
    """The shared parsed definitions for these settings, or a failure naming where we looked."""
    if settings.workflows is None:
        looked = ", ".join(str(p) for p in settings.searched) or "nowhere"
        pytest.fail(
            "Doorstep found no workflows directory (looked in: "
            f"{looked}); set --doorstep-workflows, DOORSTEP_WORKFLOWS, the doorstep_workflows "
            "ini option, or @pytest.mark.doorstep(workflows=...)",
            pytrace=False,
        )
    return config.stash[CACHE_KEY].get(settings.workflows, settings.origin)


def build_emulator(
    config: pytest.Config,
    settings: Settings,
    *,
    mailbox: Mailbox | None = None,
    email_provider: Any = None,
) -> Emulator:
    """A fresh Emulator for one test from these settings, on the shared definitions."""
    from emulator import Clock, Emulator

    env = None if settings.config is None else config.stash[CACHE_KEY].config(settings.config)
    clock = Clock(settings.start or (env.start if env is not None else None))
    if mailbox is not None and mailbox.clock is None:
        mailbox.clock = clock  # mail arriving over SMTP/HTTP is stamped with virtual time too
    return Emulator(
        definitions_for(config, settings),
        clock=clock,
        vars=settings.vars,
        channels=settings.channels,
        config=env,
        strict=settings.strict,
        mailbox=mailbox,
        email_provider=email_provider,
    )


def settings_for(request: pytest.FixtureRequest) -> Settings:
    """Settings for this test: options, then `@pytest.mark.doorstep` (closest wins)."""
    settings = base_settings(request.config)
    markers = list(request.node.iter_markers("doorstep"))
    if not markers:
        return settings  # the usual case, and each test pays for it
    try:
        return with_markers(settings, markers, request.path.parent)
    except pytest.UsageError as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture
def doorstep_settings(request: pytest.FixtureRequest) -> Settings:
    """Settings for this test: options, then `@pytest.mark.doorstep` (closest wins)."""
    return settings_for(request)


@pytest.fixture
def emulator(request: pytest.FixtureRequest) -> Emulator:
    """A fresh Emulator per test; the workflow definitions are parsed once per session.

    With `email_provider` smtp or resend, email really crosses the session server and lands in
    the same per-test `outbox`. For the usual in-process mail this is a plain function that
    reads the settings without requesting `doorstep_settings`: pytest charges every test for
    each fixture it resolves and for each generator it has to finish."""
    settings = settings_for(request)
    if settings.email_provider == "inprocess":
        return build_emulator(request.config, settings)
    served: Emulator = request.getfixturevalue("doorstep_served_emulator")
    return served


@pytest.fixture
def doorstep_served_emulator(request: pytest.FixtureRequest) -> Iterator[Emulator]:
    """The `emulator` fixture's Emulator when email goes through the session's SMTP or Resend
    server (`email_provider` smtp or resend); the Resend client is closed after the test."""
    settings = settings_for(request)
    from emulator.mail import ResendHttpProvider, SmtpProvider

    if settings.email_provider == "smtp":
        smtp = request.getfixturevalue("smtp_server")
        yield build_emulator(
            request.config,
            settings,
            mailbox=smtp.outbox,
            email_provider=SmtpProvider(smtp.host, smtp.port),
        )
        return
    resend = request.getfixturevalue("resend_server")
    sender = ResendHttpProvider(resend.base_url, resend.api_key)
    yield build_emulator(request.config, settings, mailbox=resend.outbox, email_provider=sender)
    sender.close()


@pytest.fixture
def clock(emulator: Emulator) -> Clock:
    """The test's virtual clock (`advance(minutes=5)`, `advance_to(...)`, `now`)."""
    return emulator.clock


@pytest.fixture
def outbox(emulator: Emulator) -> Mailbox:
    """Every email the test's emulator sent, whatever the provider."""
    return emulator.outbox


@pytest.fixture
def frozen_clock(emulator: Emulator) -> Iterator[Clock]:
    """The virtual clock, shown to application code through freezegun while the test runs."""
    with emulator.clock.freeze():
        yield emulator.clock


@pytest.fixture
def message_snapshot(request: pytest.FixtureRequest) -> Callable[[Any], None]:
    """`message_snapshot(message_or_email)` asserts the normalised value against syrupy's
    snapshot; run `pytest --snapshot-update` to write or refresh the stored snapshots."""
    try:
        snapshot = request.getfixturevalue("snapshot")
    except pytest.FixtureLookupError:
        pytest.fail(
            "message_snapshot needs syrupy: pip install syrupy (it provides the `snapshot` "
            "fixture and the --snapshot-update flag)",
            pytrace=False,
        )
    from pytest_plugin._snapshot import checker  # its regexes compile with the first snapshot

    return checker(snapshot)
