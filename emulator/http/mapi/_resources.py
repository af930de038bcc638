"""Workflows, email layouts, partials and translations: list, get, upsert (with `commit` and
`commit_message`), validate, and for workflows activate and run (the draft, as Knock's test
runner does). Content is edited in the first environment (development) only, unless `force`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from emulator import DoorstepError, Environment, Environments, format_timestamp
from emulator.http.mapi._annotate import answer, stored
from emulator.http.mapi._errors import MapiError, invalid, not_found


@dataclass(frozen=True, slots=True)
class Kind:
    """One resource type of the Management API."""

    type: str  # commit resource type: workflow | email_layout | partial | translation
    wrapper: str  # the body's and the answer's key
    path: str  # /workflows, ...
    noun: str  # for messages


KINDS = (
    Kind("workflow", "workflow", "workflows", "workflow"),
    Kind("email_layout", "email_layout", "email_layouts", "email layout"),
    Kind("partial", "partial", "partials", "partial"),
    Kind("guide", "guide", "guides", "guide"),
    Kind("translation", "translation", "translations", "translation"),
)


def flag(request: Request, name: str) -> bool:
    """A boolean query parameter (`true`/`false`)."""
    return request.query_params.get(name, "false").lower() in ("true", "1")


def environment(environments: Environments, request: Request) -> Environment:
    """The environment `?environment=` names (required, as in Knock)."""
    if request.query_params.get("branch"):
        raise invalid("branches are not emulated by Doorstep; leave out --branch")
    name = request.query_params.get("environment")
    if not name:
        raise invalid("environment is required", [("environment", "pass ?environment=development")])
    try:
        return environments.get(name)
    except DoorstepError as exc:
        raise not_found(f"environment {name!r}", str(exc)) from None


def resource_key(kind: Kind, request: Request, key: str) -> str:
    """A translation's key is `<namespace>.<locale>` (or the locale); others' is the path key."""
    if kind.type != "translation":
        return key
    namespace = request.query_params.get("namespace")
    return f"{namespace}.{key}" if namespace else key


def render(
    kind: Kind, env: Environment, key: str, document: Mapping[str, Any], annotate: bool
) -> dict[str, Any]:
    """One resource as the API answers it."""
    now = format_timestamp(env.emulator.clock.now)
    if kind.type == "translation":
        namespace, _, locale = key.rpartition(".")
        return {
            "locale_code": locale,
            "namespace": namespace,
            "content": document.get("content"),
            "format": document.get("format", "json"),
            "inserted_at": now,
            "updated_at": now,
        }
    return answer(kind.type, key, document, environment=env.name, timestamp=now, annotate=annotate)


def list_resources(environments: Environments, kind: Kind, request: Request) -> JSONResponse:
    """GET /v1/<kind>: every resource, drafts included unless `hide_uncommitted_changes`."""
    env = environment(environments, request)
    drafts = not flag(request, "hide_uncommitted_changes")
    annotate = flag(request, "annotate")
    with env.emulator.lock:
        content = env.emulator.content
        entries = []
        for key in content.keys(kind.type, drafts=drafts):
            document = content.document((kind.type, key), drafts=drafts)
            if document is None or not _matches(kind, key, request):
                continue
            entries.append(render(kind, env, key, document, annotate))
    page_info = {"after": None, "before": None, "page_size": max(len(entries), 50)}
    return JSONResponse({"entries": entries, "page_info": page_info})


def _matches(kind: Kind, key: str, request: Request) -> bool:
    if kind.type != "translation":
        return True
    namespace, _, locale = key.rpartition(".")
    wanted_locale = request.query_params.get("locale_code")
    wanted_namespace = request.query_params.get("namespace")
    return (wanted_locale is None or wanted_locale == locale) and (
        wanted_namespace is None or wanted_namespace == namespace
    )


def get_resource(
    environments: Environments, kind: Kind, request: Request, key: str
) -> JSONResponse:
    """GET /v1/<kind>/{key}."""
    env = environment(environments, request)
    key = resource_key(kind, request, key)
    drafts = not flag(request, "hide_uncommitted_changes")
    with env.emulator.lock:
        document = env.emulator.content.document((kind.type, key), drafts=drafts)
    if document is None:
        raise not_found(f"{kind.noun} {key!r}", f"push it first (knock {kind.path[:-1]} push)")
    shown = render(kind, env, key, document, flag(request, "annotate"))
    # Knock answers a translation wrapped in `translation`, the others bare (knock-mapi.yml)
    return JSONResponse({kind.wrapper: shown} if kind.type == "translation" else shown)


def checked_document(env: Environment, kind: Kind, key: str, body: Any) -> dict[str, Any]:
    """The body's document, refused (422, per field) when it is not valid."""
    raw = body.get(kind.wrapper) if isinstance(body, Mapping) else None
    if not isinstance(raw, Mapping):
        raise invalid(
            f"the body must wrap the {kind.noun} in {kind.wrapper!r}",
            [(kind.wrapper, f"send {{{kind.wrapper!r}: {{...}}}}")],
        )
    document = stored(raw)
    if kind.type == "translation":
        document = {"content": raw.get("content"), "format": raw.get("format", "json")}
    problems = env.emulator.check_content(kind.type, key, document)
    if problems:
        raise invalid(
            f"The {kind.noun} {key!r} is invalid",
            [(f"{kind.wrapper}.{path}" if path else kind.wrapper, msg) for path, msg in problems],
        )
    return document


def validate_resource(
    environments: Environments, kind: Kind, request: Request, key: str, body: Any
) -> JSONResponse:
    """PUT /v1/<kind>/{key}/validate: 200 with the resource, or 422 naming each problem."""
    env = environment(environments, request)
    key = resource_key(kind, request, key)
    document = checked_document(env, kind, key, body)
    return JSONResponse({kind.wrapper: render(kind, env, key, document, False)})


def upsert_resource(
    environments: Environments, kind: Kind, request: Request, key: str, body: Any
) -> JSONResponse:
    """PUT /v1/<kind>/{key}: save a draft (and commit it with `commit=true`)."""
    env = environment(environments, request)
    if env is not environments.default and not flag(request, "force"):
        raise invalid(
            f"content is changed in {environments.default.name} only; {env.name} gets it by "
            f"promotion (knock commit promote --to {env.name}), or push with --force",
            [("environment", f"use {environments.default.name}")],
        )
    key = resource_key(kind, request, key)
    document = checked_document(env, kind, key, body)
    message = request.query_params.get("commit_message", "") if flag(request, "commit") else None
    env.emulator.save_content(kind.type, key, document, commit_message=message)
    annotate = flag(request, "annotate")
    return JSONResponse({kind.wrapper: render(kind, env, key, document, annotate)})


def activate_workflow(environments: Environments, request: Request, key: str) -> JSONResponse:
    """PUT /v1/workflows/{key}/activate?status=true|false: takes effect at once (not versioned)."""
    env = environment(environments, request)
    active = request.query_params.get("status", "true").lower() != "false"
    shown = env.emulator.set_workflow_active(key, active)
    if shown is None:
        raise not_found(f"workflow {key!r}", "push and commit it first")
    return JSONResponse({"workflow": render(KINDS[0], env, key, shown, False)})


def run_workflow(environments: Environments, request: Request, key: str, body: Any) -> JSONResponse:
    """PUT /v1/workflows/{key}/run: run the saved (draft) version, as Knock's test runner."""
    env = environment(environments, request)
    body = body if isinstance(body, Mapping) else {}
    recipients = body.get("recipients")
    if not isinstance(recipients, list) or not recipients:
        raise invalid("recipients is required", [("recipients", "send recipients: [user_id]")])
    run: Callable[..., Any] = env.emulator.trigger_draft
    try:
        result = run(
            key,
            recipients,
            actor=body.get("actor"),
            data=body.get("data"),
            tenant=body.get("tenant"),
        )
    except DoorstepError as exc:
        raise MapiError(422, "invalid_params", str(exc)) from None
    return JSONResponse({"workflow_run_id": result.workflow_run_id})
