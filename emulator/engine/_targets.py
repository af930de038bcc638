"""Trigger requests: recipients, actor and tenant, inline identify and subscriber fan-out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from emulator.core import BoundedCache, DefinitionError, TriggerError
from emulator.definitions import validate_preference_set
from emulator.stores import USERS, Entities

MAX_RECIPIENTS = 1000
TENANTS = "$tenants"
PERSISTENCE = "__persistence_strategy__"
Ref = tuple[str, str]
MAX_SHARED_REFS = 4096
# One `(USERS, id)` tuple per user id, shared by the runs that name it (a parked run keeps its
# recipient's and actor's): a bounded cache keyed by content, cleared whole when full.
_USER_REFS: BoundedCache[str, Ref] = BoundedCache(MAX_SHARED_REFS)


def user_ref(user_id: str) -> Ref:
    """`(USERS, user_id)`, the same tuple for the same id while the cache keeps it."""
    if type(user_id) is not str:  # a str subclass stays the object it was
        return (USERS, user_id)
    ref = _USER_REFS.get(user_id)
    return _USER_REFS.keep(user_id, (USERS, user_id)) if ref is None else ref


@dataclass(frozen=True, slots=True)
class Target:
    """A recipient run to start: who, their `$trigger_data`, and the subscription that led here."""

    ref: Ref
    trigger_data: Mapping[str, Any]
    subscription: dict[str, Any] | None = None


def parse_entity(raw: Any, where: str, entities: Entities, now: datetime) -> Ref:
    """A user id, an `{id, collection}` reference, or an inline user/object (upserted)."""
    if isinstance(raw, str) and raw:
        return user_ref(raw)
    if isinstance(raw, Mapping):
        entity_id = raw.get("id")
        if not isinstance(entity_id, str) or not entity_id:
            raise TriggerError(
                "invalid_params", f"{where}.id must be a non-empty string; got {entity_id!r}"
            )
        collection = raw.get("collection", USERS)
        if not isinstance(collection, str) or not collection:
            raise TriggerError("invalid_params", f"{where}.collection must be a string")
        _check_inline(raw, where)
        props = {k: v for k, v in raw.items() if k not in ("id", "collection", "$trigger_data")}
        if props or collection == USERS:
            entities.upsert(collection, entity_id, props, now)
        return (collection, entity_id)
    raise TriggerError(
        "invalid_params",
        f"{where} must be a user id string or an object with "
        f"an id (and a collection for objects); got {raw!r}",
    )


def _check_inline(raw: Mapping[str, Any], where: str) -> None:
    """Inline `preferences` ({set id: PreferenceSet}) and `channel_data` ({channel: data}) are
    checked before anything is stored, as Knock's API refuses them (422)."""
    preferences = raw.get("preferences")
    if preferences is not None:
        if not isinstance(preferences, Mapping):
            raise TriggerError(
                "invalid_params",
                f'{where}.preferences must be preference sets by id, like {{"default": {{...}}}}',
            )
        for set_id, pref_set in preferences.items():
            if isinstance(pref_set, Mapping):
                pref_set = {k: v for k, v in pref_set.items() if k != PERSISTENCE}
            try:
                validate_preference_set(pref_set, f"{where}.preferences.{set_id}")
            except DefinitionError as exc:
                problems = "; ".join(str(p) for p in exc.problems)
                raise TriggerError("invalid_params", problems) from None
    channel_data = raw.get("channel_data")
    if channel_data is not None and not (
        isinstance(channel_data, Mapping)
        and all(v is None or isinstance(v, Mapping) for v in channel_data.values())
    ):
        raise TriggerError(
            "invalid_params",
            f'{where}.channel_data must be data by channel, like {{"<channel id>": {{...}}}}',
        )


def parse_targets(
    recipients: Any, actor: Ref | None, entities: Entities, now: datetime, *, fan_out: bool = True
) -> list[Target]:
    """Every unique recipient, objects followed by their subscribers (two levels, no actor)
    unless `fan_out` is false."""
    one = recipients[0] if type(recipients) is list and len(recipients) == 1 else None
    if type(one) is str and one:  # the common case, one user id: nothing else to check
        return [Target(user_ref(one), {})]
    if isinstance(recipients, (str, Mapping)) or not isinstance(recipients, Sequence):
        raise TriggerError(
            "invalid_params",
            f"recipients must be a list of user ids or recipient objects; got {recipients!r}",
        )
    if not recipients:
        raise TriggerError("invalid_params", "recipients is empty; pass at least one recipient")
    if len(recipients) > MAX_RECIPIENTS:
        raise TriggerError(
            "invalid_params",
            f"{len(recipients)} recipients; Knock accepts at "
            f"most {MAX_RECIPIENTS} per trigger, split the trigger",
        )
    targets: dict[Ref, Target] = {}
    for index, raw in enumerate(recipients):
        ref = parse_entity(raw, f"recipients[{index}]", entities, now)
        extra = raw.get("$trigger_data") if isinstance(raw, Mapping) else None
        if extra is not None and not isinstance(extra, Mapping):
            raise TriggerError(
                "invalid_params", f"recipients[{index}].$trigger_data must be an object"
            )
        targets.setdefault(ref, Target(ref, extra or {}))
    for target in list(targets.values()) if fan_out else ():
        if target.ref[0] != USERS:
            _fan_out(target.ref, 1, actor, entities, targets)
    return list(targets.values())


def _fan_out(
    obj: Ref, depth: int, actor: Ref | None, entities: Entities, targets: dict[Ref, Target]
) -> None:
    parent = entities.serialize(*obj)
    for ref, properties in entities.subscribers(*obj):
        if ref == actor or ref in targets:
            continue
        targets[ref] = Target(ref, {}, {**properties, "object": parent})
        if ref[0] != USERS and depth < 2:
            _fan_out(ref, depth + 1, actor, entities, targets)


def parse_tenant(raw: Any, entities: Entities, now: datetime) -> str | None:
    if raw is None:
        return None
    if isinstance(raw, str) and raw:
        return raw
    if isinstance(raw, Mapping) and isinstance(raw.get("id"), str) and raw["id"]:
        props = {k: v for k, v in raw.items() if k != "id"}
        entities.upsert(TENANTS, raw["id"], props, now)
        return str(raw["id"])
    raise TriggerError(
        "invalid_params", f"tenant must be a tenant id or an object with an id; got {raw!r}"
    )
