"""Scenario actions that change users and what they did: identify, set_preferences, the four
in-app engagements, and audience membership."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from emulator import DoorstepError
from emulator.scenarios._checks import Issue, key_issue
from emulator.scenarios._describe import describe_message
from emulator.scenarios._model import Action
from emulator.scenarios._player import Player
from emulator.scenarios._spec import ActionSpec, Option, value_check

ENGAGEMENTS = ("mark_seen", "mark_read", "mark_interacted", "mark_archived")


def _identify_issue(value: Any) -> Issue | None:
    if isinstance(value, Mapping) and isinstance(value.get("id"), str):
        return None
    return "needs a mapping with `id`", "write `identify: {id: u1, name: Ada}`"


def _play_identify(player: Player, action: Action) -> None:
    value = action.args["identify"]
    player.emu.identify(value["id"], **{k: v for k, v in value.items() if k != "id"})
    player.log(f"identify {value['id']}")


IDENTIFY = ActionSpec(
    "identify",
    "Create or update a user (`id` plus any properties).",
    value_check(_identify_issue),
    _play_identify,
)


def _preferences_issue(value: Any) -> Issue | None:
    ok = isinstance(value, Mapping) and isinstance(value.get("user"), str)
    if ok and isinstance(value.get("preferences"), Mapping):
        return None
    fix = "write `set_preferences: {user: u1, preferences: {channel_types: {email: false}}}`"
    return "needs `user` and a `preferences` mapping", fix


def _play_set_preferences(player: Player, action: Action) -> None:
    value = action.args["set_preferences"]
    player.emu.set_preferences(value["user"], value["preferences"])
    player.log(f"set preferences of {value['user']}")


SET_PREFERENCES = ActionSpec(
    "set_preferences",
    "Replace a user's default preference set.",
    value_check(_preferences_issue),
    _play_set_preferences,
)


def _engagement(kind: str) -> ActionSpec:
    def issue(value: Any) -> Issue | None:
        if isinstance(value, Mapping) and {"user", "step"} <= set(value):
            return None
        fix = f"write `{kind}: {{user: u1, step: in_app_feed_1}}` (optionally `workflow:`)"
        return "needs `user` and `step` (whose in-app message to engage)", fix

    def play(player: Player, action: Action) -> None:
        _engage(player, kind, action.args[kind])

    verb = kind.removeprefix("mark_")
    doc = f"Mark a user's newest in-app message of a step as {verb}."
    return ActionSpec(kind, doc, value_check(issue), play)


def _engage(player: Player, kind: str, spec: Mapping[str, Any]) -> None:
    user, step, emu = str(spec["user"]), str(spec["step"]), player.emu
    found = emu.messages(
        channel_type="in_app_feed", recipient=user, step_ref=step, workflow=spec.get("workflow")
    )
    if not found:
        sent = [describe_message(m) for m in emu.messages(recipient=user)] or ["none"]
        raise DoorstepError(
            f"no in-app message of step {step!r} for {user!r} to {kind.replace('_', ' ')}; "
            f"messages to {user!r}: {'; '.join(sent)}"
        )
    message = found[-1]
    getattr(emu.feed(user), kind)(message.id)
    player.log(f"{kind.replace('_', ' ')}: in-app message of {step} for {user} ({message.id})")


ENGAGE = tuple(_engagement(kind) for kind in ENGAGEMENTS)


def _users(value: Any, args: Mapping[str, Any]) -> Issue | None:
    if isinstance(value, list) and all(isinstance(u, str) for u in value):
        return None
    return "needs `users:` (a list of user ids)", "add `users: [u1]`"


def _audience(kind: str, verb: str, doc: str) -> ActionSpec:
    def play(player: Player, action: Action) -> None:
        args, key = action.args, action.args[kind]
        changed = getattr(player.emu, kind)(key, *args["users"], tenant=args.get("tenant"))
        player.log(f"{kind.replace('_', ' ')} {key}: {changed or 'no one'} {verb}")

    check = value_check(lambda v: key_issue(v, "must be an audience key", f"write `{kind}: vip`"))
    options = (Option("users", _users, required=True), Option("tenant"))
    return ActionSpec(kind, doc, check, play, options)


ADD_TO_AUDIENCE = _audience("add_to_audience", "entered", "Add `users` to an audience.")
REMOVE_FROM_AUDIENCE = _audience("remove_from_audience", "left", "Remove `users` from an audience.")
