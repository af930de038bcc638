"""Checking one `expect:` step; each check returns failure lines (empty when it holds)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from emulator import DoorstepError, Emulator, Message, Run, TriggerResult
from emulator.scenarios._describe import (
    describe_message,
    describe_outbox,
    describe_run,
    email_mismatches,
)
from emulator.scenarios._describe import message_text as _text
from emulator.scenarios._model import Action
from emulator.scenarios._yaml import line_of

MESSAGE_FILTERS = ("channel_type", "recipient", "workflow", "step", "status")
EMAIL_KEYS = frozenset(
    {"to", "subject", "subject_contains", "html_contains", "text_contains", "from", "workflow"}
)


class Expectations:
    """Evaluates the keys of an `expect:` mapping against the emulator's state."""

    def __init__(
        self, emulator: Emulator, triggers: Mapping[str, TriggerResult], last: TriggerResult | None
    ) -> None:
        self.emu = emulator
        self.triggers = triggers
        self.last = last

    def check(self, action: Action) -> list[str]:
        spec: Mapping[str, Any] = action.args["expect"]
        failures: list[str] = []
        run: Run | None = None
        run_keys = {"status", "path", "branch", "skipped", "batch"} & set(spec)
        if run_keys or "run" in spec:
            try:
                run = self.select_run(spec.get("run"))
            except DoorstepError as exc:
                return [f"{action.file}:{line_of(spec, 'run')}: {exc}"]
        checks: dict[str, Callable[[Any], list[str]]] = {
            "status": lambda v: self._status(run, v),
            "path": lambda v: self._path(run, v),
            "branch": lambda v: self._branch(run, v),
            "skipped": lambda v: self._skipped(run, v),
            "batch": lambda v: self._batch(run, v),
            "messages": self._messages,
            "no_message": self._no_message,
            "emails": self._emails,
            "feed": self._feed,
        }
        for key, value in spec.items():
            if key == "run":
                continue
            try:
                found = checks[key](value)
            except (DoorstepError, TypeError, ValueError, KeyError) as exc:
                found = [f"cannot check {key}: {exc}"]
            where = f"{action.file}:{line_of(spec, key)}"
            failures += [f"{where}: expect {key}: {text}" for text in found]
        return failures

    # -- runs ------------------------------------------------------------------------
    def select_run(self, spec: Any) -> Run:
        """`run: first` (a trigger named `as: first`), or a mapping of `trigger`, `workflow`,
        `recipient`, `index`; without it, the only run of the latest trigger."""
        if spec is None:
            if self.last is None:
                raise DoorstepError("no trigger ran yet, so there is no run to check")
            return _only(self.last, "the latest trigger")
        if isinstance(spec, str):
            return _only(self._named(spec), f"trigger {spec!r}")
        if not isinstance(spec, Mapping):
            raise DoorstepError(f"run: {spec!r} must be a trigger name or a mapping")
        if "trigger" in spec:
            result = self._named(str(spec["trigger"]))
            if "recipient" in spec:
                return result.run_for(str(spec["recipient"]))
            return _only(result, f"trigger {spec['trigger']!r}")
        runs = self.emu.runs(workflow=spec.get("workflow"), recipient=spec.get("recipient"))
        if not runs:
            raise DoorstepError(f"no run matches {dict(spec)}; runs so far: {self.emu.runs()}")
        index = int(spec.get("index", 0))
        return runs[index]

    def _named(self, name: str) -> TriggerResult:
        if name not in self.triggers:
            raise DoorstepError(
                f"no trigger named {name!r}; name one with `as: {name}` "
                f"(named so far: {sorted(self.triggers) or 'none'})"
            )
        return self.triggers[name]

    def _status(self, run: Run | None, wanted: Any) -> list[str]:
        assert run is not None
        if run.status == wanted:
            return []
        return [f"status is {run.status!r}, expected {wanted!r}\n{describe_run(run)}"]

    def _path(self, run: Run | None, wanted: Any) -> list[str]:
        assert run is not None
        wanted = [str(x).removesuffix(":executed") for x in wanted]
        actual = run.trace if any(":" in x for x in wanted) else run.path
        if actual == wanted:
            return []
        return [f"path {actual} != expected {wanted}\n{describe_run(run)}"]

    def _branch(self, run: Run | None, wanted: Mapping[str, Any]) -> list[str]:
        assert run is not None
        out = []
        for ref, name in wanted.items():
            taken = run.step(ref).branch
            if taken != name:
                out.append(f"{ref} took branch {taken!r}, expected {name!r}\n{describe_run(run)}")
        return out

    def _skipped(self, run: Run | None, wanted: Any) -> list[str]:
        assert run is not None
        pairs = wanted.items() if isinstance(wanted, Mapping) else ((r, None) for r in wanted)
        out = []
        for ref, because in pairs:
            step = run.step(ref)
            reason = step.skipped_because or ""
            if step.outcome != "skipped" or (because and str(because) not in reason):
                want = f"skipped because ...{because}..." if because else "skipped"
                out.append(f"{ref} was {step.outcome}, expected {want}\n{describe_run(run)}")
        return out

    def _batch(self, run: Run | None, wanted: Mapping[str, Any]) -> list[str]:
        assert run is not None
        ref = wanted.get("ref")
        steps = [s for s in run.steps if s.batch is not None and (ref is None or s.ref == ref)]
        if not steps:
            return [f"no closed batch in this run (advance past the window)\n{describe_run(run)}"]
        batch = steps[-1].batch
        assert batch is not None
        actual: dict[str, Any] = {
            "key": batch.key,
            "total_activities": batch.total_activities,
            "total_actors": batch.total_actors,
            "activity_data": batch.activity_data,
            "actors": [a.get("id") for a in batch.actors],
        }
        out = []
        for key, value in wanted.items():
            if key == "ref":
                continue
            if key == "merged_runs":
                got: Any = len(batch.run_ids)
                if not isinstance(value, int):
                    got = list(batch.run_ids)
                    value = [_only(self._named(str(n)), f"trigger {n!r}").id for n in value]
            elif key in actual:
                got = actual[key]
            else:
                raise KeyError(f"unknown batch field {key!r}; use ref, merged_runs, {list(actual)}")
            if got != value:
                out.append(f"batch {key} is {got!r}, expected {value!r}")
        return out

    # -- messages --------------------------------------------------------------------
    def _messages(self, wanted: Any) -> list[str]:
        out = []
        for spec in _as_list(wanted):
            filters = {k: spec[k] for k in MESSAGE_FILTERS if k in spec}
            pool = self.emu.messages(
                channel_type=filters.get("channel_type"),
                recipient=filters.get("recipient"),
                workflow=filters.get("workflow"),
                step_ref=filters.get("step"),
                status=filters.get("status"),
            )
            content = {k: v for k, v in spec.items() if k not in (*MESSAGE_FILTERS, "count")}
            matched = [m for m in pool if not _content_mismatches(m, content)]
            count = int(spec.get("count", 1))
            if len(matched) != count:
                shown = [f"  - {describe_message(m)}" for m in self.emu.messages()] or ["  (none)"]
                why = [
                    f"  {m.workflow}/{m.step_ref}: {'; '.join(_content_mismatches(m, content))}"
                    for m in pool
                    if m not in matched
                ]
                text = f"{len(matched)} message(s) match {dict(spec)}, expected {count}"
                text += "\nmessages sent:\n" + "\n".join(shown)
                if why:
                    text += "\nfiltered but different:\n" + "\n".join(why)
                out.append(text)
        return out

    def _no_message(self, wanted: Any) -> list[str]:
        out = []
        for spec in _as_list(wanted):
            found = self.emu.messages(
                channel_type=spec.get("channel_type"),
                recipient=spec.get("recipient"),
                workflow=spec.get("workflow"),
                step_ref=spec.get("step"),
            )
            for m in found:
                run = describe_run(self.emu.run(m.run_id), "    ")
                out.append(f"unexpected message {describe_message(m)}\n  {run}")
        return out

    def _emails(self, wanted: Any) -> list[str]:
        out = []
        emails = self.emu.outbox.all()
        for spec in _as_list(wanted):
            unknown = set(spec) - EMAIL_KEYS - {"count"}
            if unknown:
                raise KeyError(f"unknown email key(s) {sorted(unknown)}; use {sorted(EMAIL_KEYS)}")
            criteria = {("from_" if k == "from" else k): v for k, v in spec.items() if k != "count"}
            matched = [e for e in emails if not email_mismatches(e, criteria)]
            count = int(spec.get("count", 1))
            if len(matched) != count:
                out.append(
                    f"{len(matched)} email(s) match {dict(spec)}, expected {count}; captured:\n"
                    + describe_outbox(emails, criteria)
                )
        return out

    def _feed(self, wanted: Mapping[str, Any]) -> list[str]:
        user = str(wanted["user"])
        items = self.emu.feed(user).items()
        texts = [_text(m) for m in items]
        expected = [str(x) for x in wanted.get("items", [])]
        ok = len(texts) == len(expected) and all(
            w in t for w, t in zip(expected, texts, strict=True)
        )
        if ok:
            return []
        shown = "\n".join(f"  {i + 1}. {t!r}" for i, t in enumerate(texts)) or "  (empty)"
        return [f"feed of {user!r} (newest first) expected {expected}, holds:\n{shown}"]


def _content_mismatches(message: Message, content: Mapping[str, Any]) -> list[str]:
    wrong = []
    for key, value in content.items():
        if key == "engagement":
            got = message.engagement_statuses
            if sorted(got) != sorted(_as_list(value)):
                wrong.append(f"engagement {got} != {value}")
            continue
        field, contains = (
            (key[: -len("_contains")], True) if key.endswith("_contains") else (key, False)
        )
        actual = str(message.content.get(field, "")).strip()
        if contains and str(value) not in actual:
            wrong.append(f"{field} {actual[:60]!r} lacks {value!r}")
        elif not contains and actual != str(value).strip():
            wrong.append(f"{field} {actual[:60]!r} != {value!r}")
    return wrong


def _as_list(value: Any) -> Sequence[Any]:
    return value if isinstance(value, list) else [value]


def _only(result: TriggerResult, what: str) -> Run:
    if len(result.runs) != 1:
        names = [r.recipient_id for r in result.runs]
        raise DoorstepError(
            f"{what} started {len(result.runs)} runs ({names}); pick one with "
            "`run: {trigger: <name>, recipient: <id>}`"
        )
    return result.runs[0]
