"""Workflow schedules over the Knock API (knock-api.yml, concepts/schedules):
`POST/GET/PUT/DELETE /v1/schedules`, `GET /v1/users/{id}/schedules`,
`GET /v1/objects/{collection}/{id}/schedules` and `POST /v1/schedules/bulk/create`.

Everything goes through the emulator's schedule API, so the virtual clock fires what the API
creates. Inline recipients, actors and tenants are identified as on trigger; an actor given as a
bare id must already exist, as trigger requires, so a schedule never fails at every occurrence.
Bulk create is applied at once and answers a `completed` BulkOperation; a bad item is refused
with 422 naming `schedules[i]...` and nothing from the request is kept.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from emulator import USERS, WEEKDAYS, Schedule, TriggerError
from emulator.http.knock._bulk import completed_operation
from emulator.http.knock._core import KnockContext, endpoint, json_response
from emulator.http.knock._entities import kind_of, owner, require_entity
from emulator.http.knock._errors import KnockAPIError, get_list, get_str, invalid, missing
from emulator.http.knock._query import paginate, q_str
from emulator.http.knock._serialize import iso, recipient_json
from emulator.http.knock._subscriptions import q_refs

MAX_IDS = 100  # schedules per update or delete call, as Knock documents
MAX_BULK = 1000  # schedules per bulk create
OPTIONS = ("repeats", "data", "actor", "tenant", "scheduled_at", "ending_at")
_DAY_SETS: dict[Any, list[str]] = {
    None: list(WEEKDAYS),
    "weekdays": list(WEEKDAYS[:5]),
    "weekends": list(WEEKDAYS[5:]),
}
# An engine message that starts with a JSON path of the request body (`repeats[0].minutes: ...`).
_PATH = re.compile(
    r"^(?P<path>(?:recipients|repeats|actor|tenant|data|scheduled_at|ending_at)"
    r"(?:\[\d+\]|\.[\w$]+)*)(?=[:\s])"
)


# -- shapes --------------------------------------------------------------------------------------
def repeat_json(rule: Mapping[str, Any]) -> dict[str, Any]:
    """A ScheduleRepeat with every property: unset ones null, `interval` 1, and `days` as the
    list Knock shows (every day when unset; `weekdays` / `weekends` expanded)."""
    days = rule.get("days")
    return {
        "__typename": "ScheduleRepeat",
        "frequency": rule["frequency"],
        "interval": rule.get("interval") or 1,
        "days": list(days) if isinstance(days, list) else list(_DAY_SETS[days]),
        "hours": rule.get("hours"),
        "minutes": rule.get("minutes"),
        "day_of_month": rule.get("day_of_month"),
    }


def _ref(ref: tuple[str, str]) -> str | dict[str, str]:
    return ref[1] if ref[0] == USERS else {"id": ref[1], "collection": ref[0]}


def schedule_json(ctx: KnockContext, schedule: Schedule) -> dict[str, Any]:
    emulator, stamp = ctx.emulator, schedule.inserted_at
    actor = schedule.actor
    return {
        "__typename": "Schedule",
        "id": schedule.id,
        "workflow": schedule.workflow,
        "recipient": recipient_json(emulator, _ref(schedule.recipient), stamp),
        "actor": None if actor is None else recipient_json(emulator, _ref(actor), stamp),
        "tenant": schedule.tenant,
        "data": schedule.data,
        "repeats": [repeat_json(rule) for rule in schedule.repeats],
        "last_occurrence_at": iso(schedule.last_occurrence_at),
        "next_occurrence_at": iso(schedule.next_occurrence_at),
        "inserted_at": iso(schedule.inserted_at),
        "updated_at": iso(schedule.updated_at),
    }


# -- engine calls --------------------------------------------------------------------------------
@contextmanager
def engine_errors(where: str = "", renames: Mapping[str, str] | None = None) -> Iterator[None]:
    """Engine refusals in Knock's shape. An `invalid_params` message that starts with a body path
    reports it as the error's `field`; `where` prefixes paths of one bulk item and `renames` maps
    engine paths onto the request's (`recipients[0]` is a bulk item's `recipient`)."""
    try:
        yield
    except TriggerError as exc:
        text = str(exc).removeprefix(f"{exc.code}: ")
        match = _PATH.match(text) if exc.code == "invalid_params" else None
        if match is None:
            message = f"{where}: {text}" if where else text
            field = where if where and exc.code == "invalid_params" else None
            raise KnockAPIError(exc.status, exc.code, message, field=field) from None
        path = match["path"]
        for old, new in (renames or {}).items():
            if path == old or path.startswith((f"{old}.", f"{old}[")):
                path = new + path[len(old) :]
        field = f"{where}.{path}" if where else path
        message = field + text[len(match["path"]) :]
        raise KnockAPIError(422, exc.code, message, field=field) from None


def _create(
    ctx: KnockContext, item: Mapping[str, Any], recipients: Sequence[Any]
) -> list[Schedule]:
    return ctx.emulator.create_schedules(
        item["workflow"],
        recipients,
        repeats=item.get("repeats", ()),
        data=item.get("data"),
        actor=item.get("actor"),
        tenant=item.get("tenant"),
        scheduled_at=item.get("scheduled_at"),
        ending_at=item.get("ending_at"),
    )


def _schedule_ids(ctx: KnockContext, body: Mapping[str, Any]) -> list[str]:
    """`schedule_ids`, each naming an existing schedule (404 names the first that does not)."""
    ids = get_list(body, "schedule_ids", required=True) or []
    if not 1 <= len(ids) <= MAX_IDS:
        raise invalid("schedule_ids", f"has {len(ids)} ids; pass 1 to {MAX_IDS} per request")
    known = {s.id for s in ctx.emulator.schedules()}
    for index, value in enumerate(ids):
        if not isinstance(value, str) or not value:
            raise invalid(f"schedule_ids[{index}]", f"must be a schedule id string, got {value!r}")
        if value not in known:
            raise missing(
                "schedule",
                value,
                "it was deleted or never created; list schedules with "
                "GET /v1/schedules?workflow=KEY or GET /v1/users/{user_id}/schedules",
            )
    return list(dict.fromkeys(ids))


# -- handlers ------------------------------------------------------------------------------------
def create_schedules(ctx: KnockContext, request: Request, body: dict[str, Any]) -> Response:
    get_str(body, "workflow", required=True)
    recipients = get_list(body, "recipients", required=True) or []
    with engine_errors():
        created = _create(ctx, body, recipients)
    return json_response([schedule_json(ctx, s) for s in created])


def update_schedules(ctx: KnockContext, request: Request, body: dict[str, Any]) -> Response:
    """The given properties (present keys only; null clears) applied to every schedule."""
    ids = _schedule_ids(ctx, body)
    changes = {key: body[key] for key in OPTIONS if key in body}
    with engine_errors():
        updated = ctx.emulator.update_schedules(ids, **changes)
    return json_response([schedule_json(ctx, s) for s in updated])


def delete_schedules(ctx: KnockContext, request: Request, body: dict[str, Any]) -> Response:
    deleted = ctx.emulator.delete_schedules(_schedule_ids(ctx, body))
    return json_response([schedule_json(ctx, s) for s in deleted])


def _page(
    ctx: KnockContext, request: Request, schedules: Sequence[Schedule], *, tenant: str | None
) -> Response:
    """Newest first, as Knock lists a recipient's schedules."""
    chosen = [s for s in schedules if tenant is None or s.tenant == tenant][::-1]
    page, info = paginate(chosen, lambda s: s.id, request.query_params)
    return json_response({"entries": [schedule_json(ctx, s) for s in page], "page_info": info})


def list_schedules(ctx: KnockContext, request: Request, body: dict[str, Any]) -> Response:
    params = request.query_params
    workflow = q_str(params, "workflow")
    if workflow is None:
        raise invalid("workflow", "is required; pass the workflow key (?workflow=KEY)")
    wanted = set(q_refs(params, "recipients"))
    found = [
        s for s in ctx.emulator.schedules(workflow=workflow) if not wanted or s.recipient in wanted
    ]
    return _page(ctx, request, found, tenant=q_str(params, "tenant"))


def list_recipient_schedules(ctx: KnockContext, request: Request, body: dict[str, Any]) -> Response:
    """A user's or object's schedules; 404 only if it has none and was never identified (a
    schedule for a bare user id does not identify the user)."""
    collection, entity_id = owner(request)
    params = request.query_params
    found = [
        s
        for s in ctx.emulator.schedules(workflow=q_str(params, "workflow"), recipient=entity_id)
        if s.recipient == (collection, entity_id)
    ]
    if not found:
        require_entity(ctx, collection, entity_id, kind_of(collection))
    return _page(ctx, request, found, tenant=q_str(params, "tenant"))


def bulk_create_schedules(ctx: KnockContext, request: Request, body: dict[str, Any]) -> Response:
    items = get_list(body, "schedules", required=True) or []
    if not 1 <= len(items) <= MAX_BULK:
        raise invalid("schedules", f"has {len(items)} items; pass 1 to {MAX_BULK} per request")
    created: list[Schedule] = []
    try:
        for index, item in enumerate(items):
            where = f"schedules[{index}]"
            if not isinstance(item, dict):
                raise invalid(where, 'must be an object like {"workflow": ..., "recipient": ...}')
            for key in ("workflow", "recipient"):
                if item.get(key) is None:
                    raise invalid(f"{where}.{key}", "is required")
            if not isinstance(item["workflow"], str) or not item["workflow"]:
                raise invalid(f"{where}.workflow", "must be a workflow key string")
            with engine_errors(where, {"recipients[0]": "recipient"}):
                created += _create(ctx, item, [item["recipient"]])
    except Exception:
        if created:  # all or nothing: a refused item undoes the items before it
            ctx.emulator.delete_schedules([s.id for s in created])
        raise
    return json_response(completed_operation(ctx, request, "schedules.bulk_create", len(created)))


def schedule_routes(ctx: KnockContext) -> list[Route]:
    def r(path: str, handler: Any, method: str, body: Any = "none") -> Route:
        return Route(path, endpoint(ctx, handler, body), methods=[method])

    return [
        r("/v1/schedules", list_schedules, "GET"),
        r("/v1/schedules", create_schedules, "POST", "required"),
        r("/v1/schedules", update_schedules, "PUT", "required"),
        r("/v1/schedules", delete_schedules, "DELETE", "required"),
        r("/v1/schedules/bulk/create", bulk_create_schedules, "POST", "required"),
        r("/v1/users/{user_id}/schedules", list_recipient_schedules, "GET"),
        r("/v1/objects/{collection}/{object_id}/schedules", list_recipient_schedules, "GET"),
    ]
