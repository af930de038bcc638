"""The vendors' OpenAPI documents, their known defects patched in one place, and validators.

`check_schema("Message", body)` validates against `components/schemas/Message` of knock-api.yml;
`check_response("get", "/v1/messages/{message_id}", 200, body)` against that operation's response
schema. `$ref`s resolve inside the document. knock-api.yml is OpenAPI 3.0.0 (`nullable`), so the
3.0 dialect validator is used, with format checking (uuid, date-time). `knock_spec()` and
`resend_spec()` are the patched documents tests/test_openapi_fuzz.py generates requests from.

knock-api.yml has four defects that reject every conforming server; `_patched` fixes each one
narrowly (and never loosens a field) so the checks stay meaningful:
1. `type: object` next to a `oneOf`/`anyOf` whose alternatives allow booleans or null
   (PreferenceSetWorkflowCategorySetting, Activity.actor, preference_set): the outer `type` is
   dropped, the alternatives decide.
2. `Recipient` is `oneOf [User, Object]` but User allows extra properties, so every Object also
   matches User: each branch is pinned to its `__typename` (a discriminator, stricter than before).
3. The same `oneOf` ambiguity for `RecipientReference` does not occur (string vs object).
4. `Schedule.actor` is `oneOf [Recipient, {nullable: true}]`; the second branch has no type, so
   it matches every actor too: it is pinned to null, so an actor must be null or a Recipient.

Neither document describes error responses (knock-api.yml three 403s, resend-api.yml none),
although both APIs answer errors: tests/test_openapi_fuzz.py accepts each vendor's error statuses
in its error shape instead.

resend-api.yml has one more defect: Resend returns `"html": null` for text-only mail (its docs
show null bodies), while the spec types `Email.html` as a plain string.
"""

from __future__ import annotations

import copy
import re
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import yaml
from openapi_schema_validator import OAS30Validator, oas30_format_checker


def _beside_repository() -> Path:
    """The nearest `shared/reference/openapi` above the repository (`../shared` in CI; a git
    worktree such as `/work/wt/<name>` finds `/work/shared` two levels up)."""
    repo = Path(__file__).resolve().parents[1]
    for parent in repo.parents:
        found = parent / "shared" / "reference" / "openapi"
        if found.is_dir():
            return found
    return repo.parent / "shared" / "reference" / "openapi"


OPENAPI = _beside_repository()
"""`../shared/reference/openapi` beside the repository, as in CI."""
SPEC = OPENAPI / "knock-api.yml"
RESEND_SPEC = OPENAPI / "resend-api.yml"


def knock_spec() -> dict[str, Any]:
    """knock-api.yml with its defects patched (a shared copy: do not modify)."""
    return _patched()


@cache
def resend_spec() -> dict[str, Any]:
    """resend-api.yml with its defect patched (a shared copy: do not modify)."""
    spec: dict[str, Any] = yaml.safe_load(RESEND_SPEC.read_text())
    spec["components"]["schemas"]["Email"]["properties"]["html"]["type"] = ["string", "null"]
    return spec


@cache
def _patched() -> dict[str, Any]:
    spec: dict[str, Any] = yaml.safe_load(SPEC.read_text())
    _drop_conflicting_types(spec)
    schemas = spec["components"]["schemas"]
    schemas["Recipient"] = {
        "oneOf": [
            {
                "allOf": [
                    {"$ref": "#/components/schemas/User"},
                    {"properties": {"__typename": {"enum": ["User"]}}},
                ]
            },
            {
                "allOf": [
                    {"$ref": "#/components/schemas/Object"},
                    {"properties": {"__typename": {"enum": ["Object"]}}},
                ]
            },
        ],
    }
    schemas["Schedule"]["properties"]["actor"]["oneOf"][1] = {"nullable": True, "enum": [None]}
    return spec


def _drop_conflicting_types(node: Any) -> None:
    if isinstance(node, dict):
        alternatives = node.get("oneOf") or node.get("anyOf")
        if (
            node.get("type") == "object"
            and isinstance(alternatives, list)
            and any(_admits_non_object(alt) for alt in alternatives)
        ):
            del node["type"]
        for value in node.values():
            _drop_conflicting_types(value)
    elif isinstance(node, list):
        for value in node:
            _drop_conflicting_types(value)


def _admits_non_object(alt: Any) -> bool:
    return isinstance(alt, dict) and (
        alt.get("type") in {"boolean", "string", "integer", "number"}
        or (alt.get("nullable") is True and "type" not in alt and "$ref" not in alt)
    )


def _validate(schema: dict[str, Any], body: Any) -> None:
    spec = _patched()
    wrapper = {**copy.deepcopy(schema), "components": spec["components"]}
    OAS30Validator(wrapper, format_checker=oas30_format_checker).validate(body)


def check_schema(name: str, body: Any) -> None:
    """Raise jsonschema.ValidationError unless `body` satisfies components/schemas/`name`."""
    if name not in _patched()["components"]["schemas"]:
        raise KeyError(f"no schema {name!r} in {SPEC.name}; check the component name")
    _validate({"$ref": f"#/components/schemas/{name}"}, body)


def response_schema(method: str, path: str, status: int = 200) -> dict[str, Any] | None:
    """The JSON schema of an operation's response, or None when it has no body (204)."""
    paths = _patched()["paths"]
    if path not in paths or method.lower() not in paths[path]:
        raise KeyError(f"no operation {method.upper()} {path} in {SPEC.name}")
    responses = paths[path][method.lower()]["responses"]
    if str(status) not in responses:
        raise KeyError(f"{method.upper()} {path} documents no {status} response: {list(responses)}")
    content = responses[str(status)].get("content") or {}
    media = content.get("application/json")
    return None if media is None else dict(media["schema"])


def check_response(method: str, path: str, status: int, body: Any) -> None:
    """Validate `body` against the documented response of `method path` with `status`."""
    schema = response_schema(method, path, status)
    if schema is None:
        if body not in (None, b"", ""):
            raise AssertionError(f"{method.upper()} {path} -> {status} has no body, got {body!r}")
        return
    _validate(schema, body)


@cache
def _operations() -> list[tuple[re.Pattern[str], str, int]]:
    """(regex, template, number of parameters) per documented path, most literal first."""
    found = []
    for template in _patched()["paths"]:
        pattern = re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template))
        found.append((re.compile(f"^{pattern}$"), template, template.count("{")))
    return sorted(found, key=lambda item: item[2])


def operation_path(method: str, path: str) -> str | None:
    """The spec template for a request path: `/v1/users/u1` -> `/v1/users/{user_id}`."""
    paths = _patched()["paths"]
    for pattern, template, _ in _operations():
        if pattern.match(path) and method.lower() in paths[template]:
            return template
    return None


def check_exchange(response: httpx.Response) -> None:
    """An httpx response hook: the body must satisfy the spec for its operation and status;
    error bodies must have Knock's error shape. Raises AssertionError or ValidationError."""
    request = response.request
    response.read()
    template = operation_path(request.method, request.url.path)
    if template is None:
        raise AssertionError(f"{request.method} {request.url.path} is not in {SPEC.name}")
    if response.status_code >= 400:
        check_schema("AuthenticationError", response.json())  # Knock's shared error shape
        return
    body = response.json() if response.content else None
    check_response(request.method, template, response.status_code, body)


MAPI_SPEC = OPENAPI / "knock-mapi.yml"


@cache
def mapi_spec() -> dict[str, Any]:
    """knock-mapi.yml, the Management API (a shared copy: do not modify), with the same defect
    patched as in knock-api.yml: `type: object` beside an `anyOf` that allows null (a branch's
    `conditions`, null for the default branch in every `knock workflow pull`)."""
    spec: dict[str, Any] = yaml.safe_load(MAPI_SPEC.read_text())
    _drop_conflicting_types(spec)
    return spec


def check_mapi_response(method: str, path: str, body: Any, status: int = 200) -> None:
    """Raise jsonschema.ValidationError unless `body` is the documented `status` response of a
    knock-mapi.yml operation (`path` as the spec spells it: `/v1/workflows/{workflow_key}`)."""
    spec = mapi_spec()
    operation = spec["paths"][path][method.lower()]
    schema = operation["responses"][str(status)]["content"]["application/json"]["schema"]
    wrapper = {**copy.deepcopy(schema), "components": spec["components"]}
    OAS30Validator(wrapper, format_checker=oas30_format_checker).validate(body)
