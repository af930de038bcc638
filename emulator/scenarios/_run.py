"""Run a Scenario against a fresh Emulator, recording a human timeline and every failure."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from emulator import Definitions, DoorstepError, Emulator, TriggerResult
from emulator.scenarios._describe import describe_message, describe_step
from emulator.scenarios._expect import Expectations
from emulator.scenarios._load import parse_duration
from emulator.scenarios._model import ENGAGEMENTS, Action, Scenario

EmulatorFactory = Callable[[Scenario], Emulator]


@dataclass
class ScenarioResult:
    """What happened: `passed`, `failures` (file:line first), `timeline` and the emulator."""

    scenario: Scenario
    emulator: Emulator | None
    failures: list[str] = field(default_factory=list)
    timeline: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures

    def report(self) -> str:
        """Failures, then the timeline: what a person needs to see why a scenario failed."""
        head = f"scenario {self.scenario.name!r} ({self.scenario.where})"
        if self.passed:
            lines = [f"{head}: passed"]
        else:
            lines = [f"{head}: {len(self.failures)} failure(s)", *self.failures]
        return "\n".join([*lines, "", "timeline:", *(f"  {t}" for t in self.timeline)])


def scenario_emulator(
    scenario: Scenario,
    definitions: Definitions | None = None,
    *,
    start: datetime | None = None,
    strict: bool = True,
    vars: Mapping[str, Any] | None = None,
    channels: Mapping[str, Any] | None = None,
) -> Emulator:
    """An Emulator for `scenario`: its own settings win over the defaults given here.

    Without `definitions` the scenario's `workflows:` directory is loaded."""
    if definitions is None or scenario.workflows is not None:
        if scenario.workflows is None:
            raise DoorstepError(
                f"{scenario.where}: the scenario names no workflows; add `workflows: <dir>` "
                "(relative to the scenario file) or pass the directory to the runner"
            )
        from emulator import load_definitions

        definitions = load_definitions(scenario.workflows)
    return Emulator(
        definitions,
        start=scenario.start or start,
        strict=strict if scenario.strict is None else scenario.strict,
        vars={**(vars or {}), **(scenario.vars or {})},
        channels={**(channels or {}), **(scenario.channels or {})},
        config=scenario.config,
    )


def run_scenario(
    scenario: Scenario, *, emulator_factory: EmulatorFactory | None = None
) -> ScenarioResult:
    """Play every step in order; an action that raises stops the run, expectations do not."""
    result = ScenarioResult(scenario, None)
    try:
        emu = (emulator_factory or scenario_emulator)(scenario)
    except DoorstepError as exc:
        result.failures.append(f"{scenario.where}: cannot build the emulator: {exc}")
        return result
    result.emulator = emu
    player = _Player(emu, result)
    try:
        for user in scenario.users:
            emu.identify(user["id"], **{k: v for k, v in user.items() if k != "id"})
        for tenant in scenario.tenants:
            emu.set_tenant(tenant["id"], **{k: v for k, v in tenant.items() if k != "id"})
    except DoorstepError as exc:
        result.failures.append(f"{scenario.where}: users/tenants: {exc}")
        return result
    for action in scenario.actions:
        try:
            player.play(action)
        except DoorstepError as exc:
            kind = type(exc).__name__
            result.failures.append(
                f"{action.where}: step {action.index + 1} ({action.summary()}) raised {kind}: {exc}"
            )
            player.note_changes()
            break
    return result


class _Player:
    def __init__(self, emu: Emulator, result: ScenarioResult) -> None:
        self.emu = emu
        self.result = result
        self.triggers: dict[str, TriggerResult] = {}
        self.last: TriggerResult | None = None
        self.run_state: dict[str, tuple[str, int]] = {}
        self.message_count = 0

    def log(self, text: str) -> None:
        self.result.timeline.append(f"{self.emu.clock.now:%Y-%m-%d %H:%M:%S}  {text}")

    def play(self, action: Action) -> None:
        args, kind = action.args, action.kind
        value = args[kind]
        emu = self.emu
        if kind == "trigger":
            result = emu.trigger(
                value,
                [_recipient(r) for r in args["recipients"]],
                actor=args.get("actor"),
                data=args.get("data"),
                tenant=args.get("tenant"),
                cancellation_key=args.get("cancellation_key"),
            )
            self.last = result
            if "as" in args:
                self.triggers[str(args["as"])] = result
            named = f" as {args['as']!r}" if "as" in args else ""
            self.log(f"trigger {value}{named} for {[r.recipient_id for r in result.runs]}")
        elif kind == "advance":
            delta = parse_duration(value)
            assert delta is not None  # validated by the loader
            fired = emu.clock.advance(delta)
            self.log(f"advance {value} ({fired} timer(s) fired)")
        elif kind == "advance_to":
            when = (
                value
                if isinstance(value, datetime)
                else datetime.fromisoformat(str(value).replace("Z", "+00:00"))
            )
            fired = emu.clock.advance_to(when)
            self.log(f"advance to {when.isoformat()} ({fired} timer(s) fired)")
        elif kind == "run_until_idle":
            fired = emu.run_until_idle()
            self.log(f"run until idle ({fired} timer(s) fired)")
        elif kind == "cancel":
            cancelled = emu.cancel(
                value,
                args["cancellation_key"],
                recipients=[_recipient(r) for r in args["recipients"]]
                if "recipients" in args
                else None,
            )
            self.log(f"cancel {value} key {args['cancellation_key']!r}: {len(cancelled)} run(s)")
        elif kind == "identify":
            emu.identify(value["id"], **{k: v for k, v in value.items() if k != "id"})
            self.log(f"identify {value['id']}")
        elif kind == "set_preferences":
            emu.set_preferences(value["user"], value["preferences"])
            self.log(f"set preferences of {value['user']}")
        elif kind in ENGAGEMENTS:
            self._engage(kind, value)
        elif kind == "schedule":
            made = emu.create_schedules(
                value,
                [_recipient(r) for r in args["recipients"]],
                repeats=args.get("repeats") or (),
                data=args.get("data"),
                actor=args.get("actor"),
                tenant=args.get("tenant"),
                scheduled_at=args.get("scheduled_at"),
                ending_at=args.get("ending_at"),
            )
            nexts = sorted({s.next_occurrence_at for s in made if s.next_occurrence_at})
            first = f", first at {nexts[0].isoformat()}" if nexts else ""
            self.log(f"schedule {value} for {[s.recipient_id for s in made]}{first}")
        elif kind in ("add_to_audience", "remove_from_audience"):
            changed = getattr(emu, kind)(value, *args["users"], tenant=args.get("tenant"))
            verb = "entered" if kind == "add_to_audience" else "left"
            self.log(f"{kind.replace('_', ' ')} {value}: {changed or 'no one'} {verb}")
        elif kind == "send_event":
            recipient = _recipient(args["recipient"])
            emu.send_event(value, recipient, args.get("data"), source_key=args.get("source_key"))
            self.log(f"event {value} for {args['recipient']}")
        else:
            failures = Expectations(emu, self.triggers, self.last).check(action)
            self.result.failures += failures
            verdict = "ok" if not failures else f"{len(failures)} failure(s)"
            self.log(f"{action.summary()} (line {action.line}): {verdict}")
        self.note_changes()

    def _engage(self, kind: str, spec: Mapping[str, Any]) -> None:
        user, step = str(spec["user"]), str(spec["step"])
        found = self.emu.messages(
            channel_type="in_app_feed", recipient=user, step_ref=step, workflow=spec.get("workflow")
        )
        if not found:
            sent = [describe_message(m) for m in self.emu.messages(recipient=user)] or ["none"]
            raise DoorstepError(
                f"no in-app message of step {step!r} for {user!r} to {kind.replace('_', ' ')}; "
                f"messages to {user!r}: {'; '.join(sent)}"
            )
        message = found[-1]
        getattr(self.emu.feed(user), kind)(message.id)
        self.log(f"{kind.replace('_', ' ')}: in-app message of {step} for {user} ({message.id})")

    def note_changes(self) -> None:
        """Log runs whose status or trace moved, and messages created since the last look."""
        for run in self.emu.runs():
            state = (run.status, len(run.steps))
            if self.run_state.get(run.id) != state:
                self.run_state[run.id] = state
                steps = ", ".join(describe_step(s) for s in run.steps) or "no steps"
                self.log(f"  run {run.workflow} for {run.recipient_id!r}: {run.status}: {steps}")
        messages = self.emu.messages()
        for message in messages[self.message_count :]:
            self.log(f"  message {describe_message(message)}")
        self.message_count = len(messages)


def _recipient(raw: Any) -> Any:
    return dict(raw) if isinstance(raw, Mapping) else raw
