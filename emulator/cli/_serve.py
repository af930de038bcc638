"""`doorstep serve`: one process with the SMTP server and one HTTP port for every API.

The engine stays synchronous; servers run in background threads and take `Emulator.lock`
around every engine call. In `real` clock mode a ticker thread moves the virtual clock forward
by the wall time that passed, so timers fire as real time passes; manual jumps
(`/api/clock/advance`) stay in effect, the ticker only adds elapsed time. In `manual` mode time
moves only when told.
"""

from __future__ import annotations

import signal
import sys
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any, TextIO

from emulator import (
    COMPACT_EVERY,
    Clock,
    DefinitionError,
    Definitions,
    DoorstepError,
    Emulator,
    EmulatorConfig,
    Environment,
    EnvironmentConfig,
    Environments,
    SigningKey,
    SigningKeyError,
    check_before_serving,
    load_config,
    load_definitions,
)
from emulator.cli._data_dir import (
    DEFAULT_FULL_TRACES,
    DEFAULT_MAX_RUNS,
    JOURNAL_DB,
    MAIL_DB,
    DataDir,
    open_data_dir,
)
from emulator.cli._smtp_options import SmtpOptions
from emulator.cli._ticker import RealTimeTicker
from emulator.mail import DEFAULT_RETENTION, Mailbox, ResendService

if TYPE_CHECKING:
    from emulator.http import SmtpRelay


SHUTDOWN_SECONDS = 0.7  # SIGTERM to exit stays under a second, even with a request stuck


@dataclass(frozen=True, slots=True)
class ServeOptions:
    """What `doorstep serve` was asked for, flags and environment already merged."""

    workflows: Path | None = None
    config: Path | None = None
    host: str = "127.0.0.1"
    smtp_port: int = 1025
    http_port: int = 8025
    clock: str = "real"  # real | manual
    data_dir: Path | None = None
    compact_every: int = COMPACT_EVERY  # journal entries between two snapshots; 0: on stop
    max_messages: int = DEFAULT_RETENTION
    max_runs: int = DEFAULT_MAX_RUNS  # finished runs kept; 0 keeps all
    full_traces: int = DEFAULT_FULL_TRACES  # finished runs with their full trace; 0: all
    link_check_hosts: tuple[str, ...] = ()  # the only hosts the link check may contact
    enhanced_security: bool = False  # pk_ requests need a user token signed with the key
    signing_key_file: Path | None = None  # --signing-key FILE (wins over signing_key)
    signing_key: str | None = None  # KNOCK_SIGNING_KEY's value, as the app has it
    cors_origins: tuple[str, ...] = ()  # browser origins allowed besides loopback ones
    allowed_hosts: tuple[str, ...] = ()  # Host names answered besides loopback ones
    smtp: SmtpOptions = field(default_factory=SmtpOptions)  # STARTTLS, AUTH, TLS required
    allow_fetch: tuple[str, ...] = ()  # hosts fetch steps may call (vetted like the link check)
    smtp_relay: SmtpRelay | None = None  # where Mailpit's release sends (--smtp-relay)
    spamassassin: tuple[str, int] | None = None  # spamd for Mailpit's sa-check (--spamassassin)
    enable_chaos: bool = False  # Mailpit's chaos triggers (--enable-chaos)


def bundled_workflows() -> Path:
    """The example workflows shipped with the repository (`fixtures/workflows`)."""
    return Path(__file__).resolve().parents[2] / "fixtures" / "workflows"


def bundled_config() -> Path:
    """The environment (vars, channels) the bundled workflows expect (`fixtures/doorstep.yaml`)."""
    return Path(__file__).resolve().parents[2] / "fixtures" / "doorstep.yaml"


def signing_key(options: ServeOptions) -> SigningKey | None:
    """The key user tokens are verified with: `--signing-key FILE`, else `KNOCK_SIGNING_KEY`;
    SigningKeyError names the source of a bad key, or says where to put a missing one."""
    if options.signing_key_file is not None:
        return SigningKey.from_file(options.signing_key_file)
    if options.signing_key:
        return SigningKey.from_text(options.signing_key, "KNOCK_SIGNING_KEY")
    if options.enhanced_security:
        raise SigningKeyError(
            "--enhanced-security needs the signing key your app signs user tokens with: set "
            "KNOCK_SIGNING_KEY (base64-encoded PEM or PEM) or pass --signing-key FILE; "
            "`doorstep signing-key` prints a new one"
        )
    return None


class Service:
    """The running servers; `start()` binds everything, `stop()` releases it."""

    def __init__(self, options: ServeOptions, out: TextIO = sys.stdout) -> None:
        from emulator.http import ServerThread, create_app

        self.options = options
        self.out = out
        self.workflows = options.workflows or bundled_workflows()
        if not self.workflows.is_dir():
            raise DoorstepError(
                f"workflow directory {self.workflows} does not exist; pass --workflows DIR "
                "(or set DOORSTEP_WORKFLOWS)"
            )
        definitions = load_definitions(self.workflows)
        for note in check_before_serving(self.workflows):  # refuses Liquid syntax errors
            print(f"Warning: {note.file}: {note.message} (fix: {note.fix})", file=out)
        self.workflow_count = len(definitions.workflows)
        self.start_time = datetime.now(UTC).replace(microsecond=0)
        config_path = options.config
        if config_path is None and options.workflows is None and bundled_config().is_file():
            config_path = bundled_config()
        self.config = load_config(config_path) if config_path is not None else None
        configs = (self.config or EmulatorConfig()).environments
        self.data: dict[str, DataDir] = {}  # per environment, with --data-dir
        self.environments = Environments(
            [self._environment(env, definitions, i == 0) for i, env in enumerate(configs)]
        )
        self.emulator = self.environments.default.emulator
        self.clock = self.emulator.clock
        self.mailbox = self.emulator.outbox
        self.resend = ResendService(self.mailbox, self.clock, seed=self.emulator.seed)
        self.smtp = options.smtp.server(self.mailbox, options.host, options.smtp_port)
        self.signing_key = signing_key(options)
        app = create_app(
            self.emulator,
            clock_mode=options.clock,
            link_check_hosts=options.link_check_hosts,
            enhanced_security=options.enhanced_security,
            signing_key=self.signing_key,
            cors_origins=options.cors_origins,
            allowed_hosts=self.allowed_hosts(),
            environments=self.environments,
            resend_service=self.resend,
            smtp_relay=options.smtp_relay,
            spamassassin=options.spamassassin,
            enable_chaos=options.enable_chaos,
        )
        self.replayed = 0  # journal entries replayed (after the snapshots): the state restored
        for env in self.environments:
            if env.name in self.data:
                resend = self.resend if env is self.environments.default else None
                self.replayed += self.data[env.name].journal.attach(env.emulator, resend)
        self.restored = any(data.journal.restored for data in self.data.values())
        self.http = ServerThread(app, options.host, options.http_port)
        self.tickers: list[RealTimeTicker] = []

    def _environment(
        self, env: EnvironmentConfig, definitions: Definitions, first: bool
    ) -> Environment:
        """One environment's emulator: its own clock, mailbox and content. The first one's
        mail is what SMTP and the Resend API capture and what `--data-dir` keeps."""
        from emulator.http import fetch_responder

        data = None
        if self.options.data_dir is not None:  # refuses a format it cannot read
            data = open_data_dir(
                self.options.data_dir,
                None if first else env.name,
                compact_every=self.options.compact_every,
            )
            self.data[env.name] = data
        generation = 0 if data is None else data.generation  # ids never repeat across restarts
        clock = Clock(data.journal.start if data and data.journal.start else self.start_time)
        mailbox = Mailbox(
            clock=clock,
            retention=self.options.max_messages,
            store=None if data is None else data.store,
            name="doorstep",
            seed=generation,
        )
        if env.workflows is not None:
            definitions = load_definitions(env.workflows)
        emulator = Emulator(
            definitions,
            clock=clock,
            mailbox=mailbox,
            config=self.config,
            seed=generation,
            http_responder=fetch_responder(self.options.allow_fetch),
        )
        emulator.retain_runs(self.options.max_runs, full_traces=self.options.full_traces)
        return Environment(env.name, emulator, frozenset(env.keys))

    def allowed_hosts(self) -> tuple[str, ...]:
        """Host names the HTTP server answers: loopback, the bound address, `--allowed-host`."""
        from emulator.http import LOOPBACK_HOSTS, parse_allowed_host

        host = self.options.host
        bound = () if host in ("0.0.0.0", "::", "") else (parse_allowed_host(host),)
        return tuple(dict.fromkeys((*LOOPBACK_HOSTS, *bound, *self.options.allowed_hosts)))

    def start(self) -> Service:
        """Start SMTP, then HTTP (SMTP is stopped again if HTTP cannot bind), then the ticker."""
        if self.options.clock == "real":
            for data in self.data.values():
                data.journal.catch_up()  # time went on while the server was down
        self.smtp.start()
        try:
            self.http.start()
        except Exception:
            self.smtp.stop()
            raise
        if self.options.clock == "real":
            self.tickers = [
                RealTimeTicker(env.emulator.clock, lock=env.emulator.lock).start()
                for env in self.environments
            ]
        return self

    def stop(self) -> None:
        """Stop the ticker and both servers, and close the mail store."""
        for ticker in self.tickers:
            ticker.stop()
        self.http.stop()
        self.smtp.stop()
        for data in self.data.values():
            data.journal.close()
        for env in self.environments:
            env.emulator.outbox.close()

    def banner(self) -> str:
        """What `doorstep serve` prints: the URLs, the clock, and the exports for the app."""
        host = self.options.host
        shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
        shown = f"[{shown}]" if ":" in shown else shown
        base = f"http://{shown}:{self.http.port}"
        lines = [
            f"Doorstep is serving {self.workflow_count} workflows from {self.workflows}",
            f"  Web inspector:  {base}/ui/",
            f"  Inspection API: {base}/api/",
            f"  Knock API:      {base}/v1",
            f"  Environments:   {self._environment_line()}",
            f"  Resend API:     {base}/emails",
            f"  SMTP:           {shown}:{self.smtp.port} ({self.options.smtp.describe()})",
            f"  Clock:          {self.options.clock} (now {self.clock.now.isoformat()}; "
            f"advance with POST {base}/api/clock/advance)",
        ]
        if self.options.data_dir is not None:
            lines.append(
                f"  Data dir:       {self.options.data_dir} ({MAIL_DB}, {JOURNAL_DB}, one pair "
                f"per environment; {'a snapshot and ' if self.restored else ''}"
                f"{self.replayed} changes replayed)"
            )
        fetch = ", ".join(self.options.allow_fetch) or "none (allow hosts with --allow-fetch HOST)"
        if self.options.smtp_relay is not None:
            lines.append(f"  Release relay:  {self.options.smtp_relay.describe()}")
        if self.options.spamassassin is not None:
            lines.append("  SpamAssassin:   spamd at {}:{}".format(*self.options.spamassassin))
        if self.options.enable_chaos:
            lines.append("  Chaos:          enabled (set triggers with PUT /api/v1/chaos)")
        lines.append(f"  Fetch steps:    {fetch}")
        if self.options.link_check_hosts:
            lines.append(f"  Link check:     {', '.join(self.options.link_check_hosts)}")
        lines.append(f"  Allowed hosts:  {', '.join(self.allowed_hosts())} (any port)")
        if host in ("0.0.0.0", "::"):
            lines.append(
                f"  Warning: listening on every interface ({host}); anyone on the network "
                "can read captured mail"
            )
        if host not in ("localhost", "127.0.0.1", "::1"):
            lines.append(
                "  Note: only the names above are answered (others get 403, against DNS "
                "rebinding); reach the server by another name with --allowed-host NAME"
            )
        lines += self._client_lines()
        lines += [
            "Export for your app (server side, then browser side):",
            f"  export KNOCK_BASE_URL={base}",
            "  export KNOCK_API_KEY=sk_test_doorstep",
            f"  export RESEND_BASE_URL={base}    # the Node resend SDK",
            f"  export RESEND_API_URL={base}     # the Python resend SDK",
            "  export RESEND_API_KEY=re_test_doorstep",
            f"  export SMTP_HOST={shown}",
            f"  export SMTP_PORT={self.smtp.port}",
            f"  export NEXT_PUBLIC_KNOCK_HOST={base}    # KnockProvider's host prop",
            "  export NEXT_PUBLIC_KNOCK_API_KEY=pk_test_doorstep",
        ]
        lines += [f"  export NEXT_PUBLIC_KNOCK_FEED_ID={key}" for key in self._feed_ids()[:1]]
        lines.append("Press Ctrl+C to stop.")
        return "\n".join(lines)

    def _environment_line(self) -> str:
        """Each environment and the keys that reach it (inspect one with ?environment=)."""
        shown = []
        for env in self.environments:
            if env.keys:
                keys = ", ".join(sorted(env.keys))
            else:
                slug = "live" if env.name == "production" else env.name
                keys = f"sk_{slug}_..." if env is not self.environments.default else "sk_test_..."
            shown.append(f"{env.name} ({keys})")
        return "; ".join(shown) + " (inspect one with ?environment=NAME)"

    def _client_lines(self) -> list[str]:
        """How browser clients (pk_ keys) are let in: security mode, CORS, in-app feeds."""
        options = self.options
        if options.enhanced_security:
            source = options.signing_key_file or "KNOCK_SIGNING_KEY"
            security = f"enhanced security (user tokens verified with {source})"
        else:
            security = "any pk_ key; user tokens optional"
        origins = ", ".join(
            ("loopback (localhost, 127.0.0.1, [::1]; any port)", *options.cors_origins)
        )
        feeds = ", ".join(self._feed_ids()) or "none (no in_app_feed channel or step)"
        return [
            f"  Browser access: {security}",
            f"  CORS origins:   {origins}",
            f"  In-app feeds:   {feeds}",
        ]

    def _feed_ids(self) -> list[str]:
        """The in-app feed channel keys (a feed id the client's `feedId` may name)."""
        keys = [c.key for c in self.emulator.channels if c.type == "in_app_feed"]
        for workflow in self.emulator.definitions.workflows.values():
            for step in workflow.iter_steps():
                if getattr(step, "channel_type", None) == "in_app_feed":
                    keys.append(getattr(step, "channel_key", None) or "in_app_feed")
        return list(dict.fromkeys(keys))


def serve(options: ServeOptions, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    """Run until SIGINT or SIGTERM; returns the process exit code."""
    try:
        service = Service(options, out).start()
    except DefinitionError as exc:
        print(f"doorstep serve: cannot load workflows:\n{exc}", file=err)
        return 2
    except DoorstepError as exc:
        print(f"doorstep serve: {exc}", file=err)
        return 2
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous: list[tuple[signal.Signals, Any]] = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        previous.append((sig, signal.signal(sig, on_signal)))
    try:
        print(service.banner(), file=out, flush=True)
        while not stop.wait(0.2):
            pass
    finally:
        print("doorstep: shutting down", file=out, flush=True)
        stopped = _stop_within(service, SHUTDOWN_SECONDS)
        for sig, handler in previous:
            signal.signal(sig, handler)
    if not stopped:
        print(
            f"doorstep: a request was still running after {SHUTDOWN_SECONDS}s; "
            "exiting without waiting for it",
            file=out,
            flush=True,
        )
    print("doorstep: stopped", file=out, flush=True)
    return 0


def _stop_within(service: Service, seconds: float) -> bool:
    """Stop the servers from a daemon thread, waiting at most `seconds`: a request stuck on
    the engine lock (or a timer that never ends) must not keep SIGTERM from stopping us.
    Every server thread is a daemon, so the process can exit while they finish."""
    stopper = threading.Thread(target=service.stop, name="doorstep-shutdown", daemon=True)
    stopper.start()
    stopper.join(seconds)
    return not stopper.is_alive()
