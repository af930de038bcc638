"""The Management API subset the Knock CLI calls, served under `/mapi` (pass
`--api-origin http://127.0.0.1:PORT/mapi` to `knock`): routes, authentication and errors.

Any `Authorization: Bearer <service token>` is accepted (`--service-token` /
`KNOCK_SERVICE_TOKEN`); an environment's `sk_`/`pk_` key is refused, as Knock does.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from emulator import Environments
from emulator.http._json_body import JsonBodyError, decode_json
from emulator.http.mapi import _commits as commits
from emulator.http.mapi import _resources as resources
from emulator.http.mapi._errors import MapiError

PREFIX = "/mapi/v1"
Handler = Callable[[Request, Any], Response]


def _authenticate(request: Request) -> None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise MapiError(
            401,
            "unauthenticated",
            "No service token provided; pass --service-token or set KNOCK_SERVICE_TOKEN "
            "(any value works against Doorstep)",
        )
    if token.startswith(("sk_", "pk_")):
        raise MapiError(
            401,
            "unauthenticated",
            "an environment API key cannot call the Management API; use a service token "
            "(any value other than an sk_/pk_ key works against Doorstep)",
        )


def _endpoint(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    async def run(request: Request) -> Response:
        try:
            _authenticate(request)
            body: Any = None
            if request.method in ("PUT", "POST"):
                raw = await request.body()
                body = decode_json(raw) if raw.strip() else {}
            return handler(request, body)
        except JsonBodyError as exc:
            return MapiError(400, "invalid_json", str(exc)).response()
        except MapiError as exc:
            return exc.response()

    return run


def _kind_routes(environments: Environments, kind: resources.Kind) -> list[Route]:
    base = f"{PREFIX}/{kind.path}"
    key_param = "locale_code" if kind.type == "translation" else "key"
    return [
        Route(
            base,
            _endpoint(lambda r, b: resources.list_resources(environments, kind, r)),
            methods=["GET"],
        ),
        Route(
            f"{base}/{{{key_param}}}",
            _endpoint(
                lambda r, b: resources.get_resource(environments, kind, r, r.path_params[key_param])
            ),
            methods=["GET"],
        ),
        Route(
            f"{base}/{{{key_param}}}",
            _endpoint(
                lambda r, b: resources.upsert_resource(
                    environments, kind, r, r.path_params[key_param], b
                )
            ),
            methods=["PUT"],
        ),
        Route(
            f"{base}/{{{key_param}}}/validate",
            _endpoint(
                lambda r, b: resources.validate_resource(
                    environments, kind, r, r.path_params[key_param], b
                )
            ),
            methods=["PUT"],
        ),
    ]


def _routes(environments: Environments) -> list[Route]:
    envs = environments
    routes = [route for kind in resources.KINDS for route in _kind_routes(envs, kind)]
    routes += [
        Route(
            f"{PREFIX}/workflows/{{key}}/activate",
            _endpoint(lambda r, b: resources.activate_workflow(envs, r, r.path_params["key"])),
            methods=["PUT"],
        ),
        Route(
            f"{PREFIX}/workflows/{{key}}/run",
            _endpoint(lambda r, b: resources.run_workflow(envs, r, r.path_params["key"], b)),
            methods=["PUT"],
        ),
        Route(
            f"{PREFIX}/commits",
            _endpoint(lambda r, b: commits.list_commits(envs, r)),
            methods=["GET"],
        ),
        Route(
            f"{PREFIX}/commits",
            _endpoint(lambda r, b: commits.commit_all(envs, r)),
            methods=["PUT"],
        ),
        Route(
            f"{PREFIX}/commits/promote",
            _endpoint(lambda r, b: commits.promote_all(envs, r)),
            methods=["PUT"],
        ),
        Route(
            f"{PREFIX}/commits/{{id}}",
            _endpoint(lambda r, b: commits.get_commit(envs, r.path_params["id"])),
            methods=["GET"],
        ),
        Route(
            f"{PREFIX}/commits/{{id}}/promote",
            _endpoint(lambda r, b: commits.promote_one(envs, r.path_params["id"])),
            methods=["PUT"],
        ),
        Route(
            f"{PREFIX}/environments",
            _endpoint(lambda r, b: commits.list_environments(envs)),
            methods=["GET"],
        ),
        Route(
            f"{PREFIX}/environments/{{slug}}",
            _endpoint(lambda r, b: commits.get_environment(envs, r.path_params["slug"])),
            methods=["GET"],
        ),
        Route(f"{PREFIX}/whoami", _endpoint(lambda r, b: commits.whoami(r)), methods=["GET"]),
    ]
    return routes


async def _not_found(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 404
    if status == 405:
        message = f"method {request.method} is not allowed on {request.url.path}"
        return MapiError(405, "method_not_allowed", message).response()
    return MapiError(
        404,
        "resource_missing",
        f"Doorstep does not emulate {request.method} {request.url.path}; the Management API "
        "subset served is what the Knock CLI calls for workflows, layouts, partials, "
        "translations, commits and environments",
    ).response()


def mapi_app(environments: Environments) -> Starlette:
    """The Management API over `environments` (routes under `/mapi/v1`)."""
    return Starlette(
        routes=_routes(environments),
        exception_handlers={404: _not_found, 405: _not_found},
    )
