"""`Emulator`: the public face of the engine (see design.md section 3).

The Emulator holds an `Engine` (it is not one): the engine's step machinery and raw state stay
behind this curated surface, and every read and write the HTTP API and tests need is a method
here or in its two mixins (`_facade_recipients`: users, tenants, objects, subscriptions,
preferences, audiences; `_facade_messages`: messages and feeds).
"""

from __future__ import annotations

import json
import os
import threading
import warnings
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

# binds `emulator`: the other packages load on first use (the engine with the first Emulator)
import emulator.core
from emulator._facade_content import ContentFacade
from emulator._facade_guides import GuidesFacade
from emulator._facade_messages import MessagesFacade
from emulator._facade_recipients import RecipientsFacade
from emulator._facade_schedules import SchedulesFacade
from emulator.core import journaled

if TYPE_CHECKING:
    import emulator.definitions
    import emulator.engine
    import emulator.mail
    import emulator.stores
    from emulator.core import Clock, Recorder
    from emulator.definitions import Channel, Definitions, EmulatorConfig
    from emulator.engine import AiResponder, Responder, RunObserver, RunRetention
    from emulator.mail import EmailProvider, Mailbox
    from emulator.stores import BulkOperation, Run, TriggerResult


class Emulator(RecipientsFacade, MessagesFacade, SchedulesFacade, ContentFacade, GuidesFacade):
    """Runs Knock workflows in process, on a virtual clock, capturing every message."""

    _journal: Recorder | None = None  # `doorstep serve --data-dir` records state changes here

    def __init__(
        self,
        definitions: Definitions | None = None,
        *,
        clock: Clock | None = None,
        start: datetime | None = None,
        vars: Mapping[str, Any] | None = None,
        channels: Mapping[str, Mapping[str, Any] | Channel] | None = None,
        mailbox: Mailbox | None = None,
        email_provider: EmailProvider | None = None,
        strict: bool = False,
        seed: int = 0,
        http_responder: Responder | None = None,
        allow_hosts: Collection[str] = (),
        config: EmulatorConfig | str | os.PathLike[str] | None = None,
        require_identified_actor: bool = True,
        ai_responder: AiResponder | None = None,
    ) -> None:
        if config is not None and not isinstance(config, emulator.definitions.EmulatorConfig):
            config = emulator.definitions.load_config(config)
        if config is not None:  # explicit arguments win over the config file
            start = start or config.start
            vars = {**config.vars, **(vars or {})}
            channels = {**config.channels, **(channels or {})}
        self.clock = clock or emulator.core.Clock(start)
        self.seed = seed  # what every id stream is seeded with (`doorstep serve`: per start)
        # In-process capture keeps every email: a test must never lose mail to retention.
        self.outbox = (
            mailbox
            if mailbox is not None
            else emulator.mail.Mailbox(clock=self.clock, retention=0, seed=seed)
        )
        self._engine = engine = emulator.engine.Engine(
            definitions or emulator.definitions.Definitions(),
            clock=self.clock,
            channels=emulator.definitions.Channels(channels),
            email_provider=email_provider or emulator.mail.InProcessProvider(self.outbox),
            seed=seed,
            vars=vars,
            strict=strict,
        )
        self._reset_hooks: list[Callable[[], None]] = []
        self._retention: RunRetention | None = None
        emulator.engine.wire(engine)
        engine.require_identified_actor = require_identified_actor
        if ai_responder is not None:
            engine.ai_responder = ai_responder
        if config is not None and config.environment_preferences is not None:
            self.set_environment_preferences(config.environment_preferences)
        for tenant_id, files in (config.tenant_translations if config else {}).items():
            for name, content in files.items():
                engine.templates.env.tenant_translations.setdefault(tenant_id, {})[name] = content
        if http_responder is not None:
            engine.http_responder = http_responder
        elif allow_hosts:
            from emulator.engine.steps import http_responder as allow_listed

            engine.http_responder = allow_listed(set(allow_hosts))

    @classmethod
    def from_directory(cls, path: str | os.PathLike[str], **options: Any) -> Emulator:
        """Load workflows, layouts and partials (our YAML and/or Knock CLI layout) from `path`.

        What loaded with a problem (an empty workflow file) is reported as a DefinitionWarning,
        which pytest lists in its warnings summary."""
        from emulator.definitions import load_definitions

        definitions = load_definitions(path)
        for problem in definitions.warnings:
            warnings.warn(str(problem), emulator.core.DefinitionWarning, stacklevel=2)
        return cls(definitions, **options)

    # -- configuration -------------------------------------------------------------------
    @property
    def lock(self) -> threading.RLock:
        """The engine-wide re-entrant lock: hold it while reading or changing state from another
        thread (servers do). Every method here takes it; the clock fires timers under it."""
        return self._engine.lock

    @property
    def definitions(self) -> Definitions:
        """The loaded workflows, layouts, partials and translations."""
        return self._engine.definitions

    @property
    def vars(self) -> dict[str, Any]:
        """Knock's account `vars` templates read (`{{ vars.app_url }}`); changes apply at once."""
        return self._engine.vars

    @property
    def channels(self) -> list[Channel]:
        """The configured channels (key, type, provider settings)."""
        return list(self._engine.channels)

    def channel(self, key: str | None, channel_type: str) -> Channel:
        """The channel a step with `channel_key` (None: the type's default) sends through."""
        return self._engine.channels.resolve(key, channel_type)

    @property
    def email_provider(self) -> EmailProvider:
        """Where email messages are handed (in-process capture, SMTP, Resend); assignable."""
        return self._engine.delivery.email_provider

    @email_provider.setter
    def email_provider(self, provider: EmailProvider) -> None:
        self._engine.delivery.email_provider = provider

    @property
    def http_responder(self) -> Responder:
        """What answers fetch steps' requests (no network unless allowed); assignable."""
        return self._engine.http_responder

    @http_responder.setter
    def http_responder(self, responder: Responder) -> None:
        self._engine.http_responder = responder

    @property
    def ai_responder(self) -> AiResponder:
        """What answers AI agent steps (no model is ever called); assignable."""
        return self._engine.ai_responder

    @ai_responder.setter
    def ai_responder(self, responder: AiResponder) -> None:
        self._engine.ai_responder = responder

    @journaled("emulator")
    def set_tenant_translation(
        self,
        tenant_id: str,
        locale: str,
        content: Mapping[str, Any] | str,
        *,
        namespace: str | None = None,
    ) -> None:
        """Knock's per-tenant translations (`PUT /v1/translations/{locale}?tenant=...`): keys
        here override the base `translations/` files when a run belongs to `tenant_id`.

        `content` is a mapping, or Knock's JSON string form; it replaces this tenant's file.
        """
        if isinstance(content, str):
            try:
                content = json.loads(content)
            except ValueError as exc:
                raise emulator.core.DoorstepError(
                    f"the {locale!r} translation for tenant {tenant_id!r} is not valid JSON "
                    f"({exc}); pass a mapping or a JSON object string"
                ) from None
        if not isinstance(content, Mapping):
            raise emulator.core.DoorstepError(
                f"the {locale!r} translation for tenant {tenant_id!r} must be an object of keys "
                "to text, like {'greeting': 'Hello from Acme'}"
            )
        name = f"{namespace}.{locale}" if namespace else locale
        with self.lock:
            translations = self._engine.templates.env.tenant_translations
            translations.setdefault(tenant_id, {})[name] = dict(content)

    @journaled("emulator")
    def set_environment_preferences(self, preference_set: Mapping[str, Any] | None) -> None:
        """The environment default set (the lowest level of Knock's merge hierarchy)."""
        if preference_set is not None:
            emulator.definitions.validate_preference_set(preference_set, "environment preferences")
        with self.lock:
            stored = None if preference_set is None else dict(preference_set)
            self._engine.environment_preferences = stored

    # -- triggers ------------------------------------------------------------------------
    @journaled("emulator")
    def trigger(
        self,
        key: str,
        recipients: Sequence[Any],
        *,
        actor: Any = None,
        data: Mapping[str, Any] | None = None,
        tenant: Any = None,
        cancellation_key: str | None = None,
        settings: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> TriggerResult:
        """Start one run per recipient and execute each until it finishes or parks on a timer.

        A repeated `idempotency_key` (same parameters, within 24 hours) returns the first
        trigger's result instead of starting runs again.
        """
        with self.lock:
            result = emulator.engine.start_trigger(
                self._engine,
                key,
                recipients,
                actor=actor,
                data=data,
                tenant=tenant,
                cancellation_key=cancellation_key,
                settings=dict(settings or {}),
                idempotency_key=idempotency_key,
            )
            if self._retention is not None:
                self._retention.maybe_sweep(self._engine)
            return result

    def idempotent_result(self, idempotency_key: str) -> TriggerResult | None:
        """The result a trigger with this key returned in the last 24 hours (what a repeat
        returns again), or None: how the Knock API tells a replay from a first call."""
        with self.lock:
            seen = self._engine.idempotency.get(idempotency_key)
            if seen is None or self.clock.now - seen[1] >= emulator.engine.IDEMPOTENCY_WINDOW:
                return None
            return seen[2]

    @journaled("emulator")
    def cancel(
        self, key: str, cancellation_key: str, *, recipients: Sequence[Any] | None = None
    ) -> list[Run]:
        """Cancel parked runs (and open batch memberships) of `key` with `cancellation_key`."""
        with self.lock:
            engine = self._engine
            engine.workflow(key)
            only = None
            if recipients is not None:
                only = {
                    emulator.engine.parse_entity(
                        r, f"recipients[{i}]", engine.entities, self.clock.now
                    )
                    for i, r in enumerate(recipients)
                }
            return emulator.engine.cancel_runs(engine, key, cancellation_key, only)

    # -- time ----------------------------------------------------------------------------
    @journaled("emulator")
    def run_until_idle(self) -> int:
        """Jump from timer to timer until nothing is parked; returns how many timers fired."""
        return self.clock.run_until_idle()

    @journaled("emulator")
    def advance(self, delta: timedelta | None = None, /, **units: float) -> int:
        """Move the virtual clock (`advance(minutes=5)`), firing due timers in order; returns
        how many fired. The same as `clock.advance`."""
        return self.clock.advance(delta, **units)

    # -- runs ----------------------------------------------------------------------------
    def run_count(self) -> int:
        """How many runs are kept: `len(runs())` without reading one (the inspector's stats)."""
        with self.lock:
            return len(self._engine.runs)

    def runs(
        self,
        *,
        workflow: str | None = None,
        recipient: str | None = None,
        status: str | None = None,
    ) -> list[Run]:
        """Runs matching every given filter, in start order."""
        with self.lock:  # servers may be starting runs from their threads
            read = self._engine.compact_runs.read
            return [
                read(run)
                for run in self._engine.runs.values()
                if emulator.stores.facts(run).matches(workflow, recipient, status)
            ]

    def run(self, run_id: str) -> Run:
        """One run by id; raises UnknownRunError (a KeyError) naming the id."""
        with self.lock:
            found = self._engine.runs.get(run_id)
            if found is None:
                raise emulator.stores.UnknownRunError(
                    f"no run with id {run_id!r}; list runs with emulator.runs()"
                )
            return self._engine.compact_runs.read(found)

    # -- bulk operations -----------------------------------------------------------------
    @journaled("emulator")
    def record_bulk_operation(self, name: str, rows: int) -> BulkOperation:
        """Record a completed bulk operation over `rows` rows (the Knock API's bulk routes apply
        their work at once and report it this way); returns it with its new id."""
        with self.lock:
            return self._engine.bulk_operations.record(name, rows, self.clock.now)

    def bulk_operation(self, operation_id: str) -> BulkOperation | None:
        """A recorded bulk operation by id, or None."""
        with self.lock:
            return self._engine.bulk_operations.get(operation_id)

    def retain_runs(self, max_runs: int = 0, *, full_traces: int = 0) -> None:
        """Bound the runs kept, for long-lived servers: finished runs beyond the newest
        `max_runs` are forgotten with their messages (running and parked runs always stay), and
        finished runs older than the newest `full_traces` keep a compact record (status, path,
        step outcomes and times). 0 means no limit; checked as runs start and time moves."""
        if max_runs < 0 or full_traces < 0:
            raise emulator.core.DoorstepError(
                "max_runs and full_traces are counts: 0 (no limit) or more"
            )
        with self.lock:
            first = self._retention is None
            self._retention = emulator.engine.RunRetention(max_runs, full_traces)
            if first:
                self.clock.on_move(self._sweep_runs)

    def _sweep_runs(self, now: datetime) -> None:
        if self._retention is not None:
            self._retention.maybe_sweep(self._engine, moved=True)

    def add_run_observer(self, observer: RunObserver) -> None:
        """Tell `observer` (a `RunObserver`) what every run does from now on: steps reached,
        conditions evaluated, branches taken, step outcomes (workflow coverage uses it)."""
        with self.lock:
            observer.attached(self._engine.definitions.workflows.values())
            self._engine.observers.append(observer)

    def _reseed(self, seed: int) -> None:
        """Draw run, message and email ids from `seed`'s streams (a journal replaying the calls
        of an earlier start seeds them as that start did)."""
        with self.lock:
            self._engine.ids = emulator.core.IdFactory(seed)
            self.outbox.reseed(seed)

    # -- reset ---------------------------------------------------------------------------
    def on_reset(self, hook: Callable[[], None]) -> None:
        """Call `hook` (under the lock) whenever `reset()` runs: state kept beside the emulator,
        such as a Resend service's scheduled emails, is forgotten with it."""
        self._reset_hooks.append(hook)

    @journaled("emulator")
    def reset(self) -> None:
        """Forget everything but definitions and the clock: runs, messages, recipients,
        subscriptions, preferences, audiences, schedules, idempotency and bulk records, parked
        timers and captured mail (and whatever `on_reset` hooks hold)."""
        with self.lock:
            emulator.engine.reset_state(self._engine)
            self.outbox.clear()
            for hook in self._reset_hooks:
                hook()
