"""Commits (list, get, commit all, promote all, promote one), environments and whoami."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse

from emulator import (
    RESOURCE_TYPES,
    ContentCommit,
    DoorstepError,
    Environment,
    Environments,
    PromotionError,
    UnknownCommitError,
    format_timestamp,
)
from emulator.http.mapi._errors import invalid, not_found
from emulator.http.mapi._resources import environment

AUTHOR = {"email": "doorstep@localhost", "name": "Doorstep"}


def commit_json(env: Environment, commit: ContentCommit) -> dict[str, object]:
    """A commit in Knock's `Commit` shape."""
    return {
        "id": commit.id,
        "resource": {"identifier": commit.resource_key, "type": commit.resource_type},
        "author": AUTHOR,
        "commit_message": commit.message,
        "environment": env.name,
        "created_at": format_timestamp(commit.created_at),
    }


def _resource_filter(request: Request) -> tuple[str | None, str | None]:
    resource_type = request.query_params.get("resource_type")
    if resource_type is not None and resource_type not in RESOURCE_TYPES:
        raise invalid(
            f"resource_type {resource_type!r} is not one of {', '.join(RESOURCE_TYPES)}",
            [("resource_type", f"use one of {', '.join(RESOURCE_TYPES)}")],
        )
    return resource_type, request.query_params.get("resource_id")


def list_commits(environments: Environments, request: Request) -> JSONResponse:
    """GET /v1/commits?environment=&promoted=&resource_type=&resource_id=: newest first."""
    env = environment(environments, request)
    resource_type, resource_id = _resource_filter(request)
    promoted = request.query_params.get("promoted")
    with env.emulator.lock:
        commits = list(env.emulator.content.commits)
    entries = [
        commit_json(env, c)
        for c in reversed(commits)
        if (resource_type is None or c.resource_type == resource_type)
        and (resource_id is None or c.resource_key == resource_id)
        and (promoted is None or c.promoted == (promoted.lower() == "true"))
    ]
    page_info = {"after": None, "before": None, "page_size": max(len(entries), 50)}
    return JSONResponse({"entries": entries, "page_info": page_info})


def get_commit(environments: Environments, commit_id: str) -> JSONResponse:
    """GET /v1/commits/{id}."""
    try:
        env, commit = environments.find_commit(commit_id)
    except UnknownCommitError as exc:
        raise not_found(f"commit {commit_id!r}", str(exc)) from None
    return JSONResponse(commit_json(env, commit))  # bare, as knock-mapi.yml has it


def commit_all(environments: Environments, request: Request) -> JSONResponse:
    """PUT /v1/commits?environment=&commit_message=: commit every draft (or those filtered)."""
    env = environment(environments, request)
    resource_type, resource_id = _resource_filter(request)
    message = request.query_params.get("commit_message", "")

    env.emulator.commit_content(message, resource_type=resource_type, key=resource_id)
    return JSONResponse({"result": "success"})


def promote_all(environments: Environments, request: Request) -> JSONResponse:
    """PUT /v1/commits/promote?to_environment=: every unpromoted commit of the environment below."""
    target = request.query_params.get("to_environment")
    if not target:
        raise invalid("to_environment is required", [("to_environment", "e.g. production")])
    try:
        environments.promote(target)
    except PromotionError as exc:
        raise invalid(str(exc), [("to_environment", str(exc))]) from None
    except DoorstepError as exc:
        raise not_found(f"environment {target!r}", str(exc)) from None
    return JSONResponse({"result": "success"})


def promote_one(environments: Environments, commit_id: str) -> JSONResponse:
    """PUT /v1/commits/{id}/promote: apply one commit to the environment above its own."""
    try:
        target, made = environments.promote_commit(commit_id)
    except UnknownCommitError as exc:
        raise not_found(f"commit {commit_id!r}", str(exc)) from None
    except PromotionError as exc:
        raise invalid(str(exc)) from None
    return JSONResponse({"commit": commit_json(target, made)})


def environment_json(environments: Environments, env: Environment) -> dict[str, object]:
    """An environment in Knock's `Environment` shape."""
    with env.emulator.lock:
        commits = env.emulator.content.commits
        last = format_timestamp(commits[-1].created_at) if commits else None
        now = format_timestamp(env.emulator.clock.now)
    return {
        "slug": env.name,
        "name": env.name.replace("_", " ").replace("-", " ").title(),
        "order": environments.names.index(env.name),
        "owner": "system",
        "created_at": now,
        "updated_at": now,
        "deleted_at": None,
        "hide_pii_data": False,
        "label_color": None,
        "last_commit_at": last,
    }


def list_environments(environments: Environments) -> JSONResponse:
    """GET /v1/environments: in promotion order."""
    entries = [environment_json(environments, env) for env in environments]
    return JSONResponse(
        {"entries": entries, "page_info": {"after": None, "before": None, "page_size": 50}}
    )


def get_environment(environments: Environments, slug: str) -> JSONResponse:
    """GET /v1/environments/{slug}."""
    try:
        env = environments.get(slug)
    except DoorstepError as exc:
        raise not_found(f"environment {slug!r}", str(exc)) from None
    return JSONResponse(environment_json(environments, env))


def whoami(request: Request) -> JSONResponse:
    """GET /v1/whoami: a service token of the local Doorstep account."""
    del request
    return JSONResponse(
        {
            "account_name": "Doorstep",
            "account_slug": "doorstep",
            "type": "service_token",
            "service_token_name": "doorstep",
            "account_features": {"translations_allowed": True},
        }
    )
