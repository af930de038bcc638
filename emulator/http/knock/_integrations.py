"""Knock's Census and Hightouch destinations (`/v1/integrations/...`): the JSON-RPC endpoints
those tools call to sync a warehouse model into Knock's audiences (integrations/sources/census,
integrations/sources/hightouch). Both expose one object, audience members, whose fields are
`user_id` (the identifier), `audience_key` (a constant in the sync's mapping) and `tenant_id`.

- Census's Custom Destination API: `test_connection`, `list_objects`, `list_fields`,
  `supported_operations` (create only and mirror, as Knock documents), `get_sync_speed`,
  `sync_batch` (`sync_operation` `delete` removes members, any other adds them), answering
  `record_results` with each record's `identifier`, `success` and `error_message`.
- Hightouch's Embedded Destination: `test`, `list_objects`, `list_modes`, `list_fields`,
  `validate`, `sync_batch` (`operation` `remove` removes members, `add` / `change` add them),
  answering `rejectedRows` with the rows that failed and why.

Answers are JSON-RPC 2.0 `{"jsonrpc", "id", "result"}`; an unknown method is a JSON-RPC error
(`-32601`) with status 200, as an RPC client expects; a body without `id`, `method` or
`jsonrpc` is Knock's 422.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from emulator.http.knock._core import KnockContext, endpoint, json_response
from emulator.http.knock._errors import get_dict, get_str

OBJECT = "audience_member"
FIELDS = (
    ("user_id", "User ID", True),
    ("audience_key", "Audience key", True),
    ("tenant_id", "Tenant ID", False),
)


class RpcError(Exception):
    """A JSON-RPC error answer (`code`, `message`)."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


def apply_member(ctx: KnockContext, record: Any, remove: bool) -> str | None:
    """Add (or remove) the audience member a record names; the reason it failed, or None."""
    if not isinstance(record, Mapping):
        return "a record must be an object of field values"
    user_id, key, tenant = (
        record.get("user_id"),
        record.get("audience_key"),
        record.get("tenant_id"),
    )
    if not isinstance(user_id, str) or not user_id:
        return "`user_id` is required (a non-empty string); map it in the sync"
    if not isinstance(key, str) or not key:
        return "`audience_key` is required (a non-empty string); map it as a constant in the sync"
    if tenant is not None and not isinstance(tenant, str):
        return "`tenant_id` must be a string"
    change = ctx.emulator.remove_from_audience if remove else ctx.emulator.add_to_audience
    change(key, user_id, tenant=tenant)
    return None


def _records(params: Mapping[str, Any], name: str) -> list[Any]:
    value = params.get(name)
    if not isinstance(value, list):
        raise RpcError(-32602, f"params.{name} must be a list of {name}")
    return value


def census(ctx: KnockContext, method: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """One Census Custom Destination API call."""
    if method == "test_connection":
        return {"success": True}
    if method == "list_objects":
        return {"objects": [{"object_api_name": OBJECT, "label": "Audiences"}]}
    if method == "list_fields":
        return {
            "fields": [
                {"field_api_name": name, "label": label, "identifier": name == "user_id"}
                | {"required": required, "createable": True, "updateable": True}
                | {"type": "string", "array": False}
                for name, label, required in FIELDS
            ]
        }
    if method == "supported_operations":
        return {"operations": ["insert", "mirror"]}
    if method == "get_sync_speed":
        return {
            "maximum_batch_size": 1000,
            "maximum_parallel_batches": 1,
            "maximum_records_per_second": 1000,
        }
    if method == "sync_batch":
        remove = params.get("sync_operation") == "delete"
        results = []
        for record in _records(params, "records"):
            error = apply_member(ctx, record, remove)
            ident = record.get("user_id") if isinstance(record, Mapping) else None
            result: dict[str, Any] = {"identifier": ident, "success": error is None}
            results.append(result if error is None else result | {"error_message": error})
        return {"record_results": results}
    raise RpcError(-32601, f"unknown Census method {method!r}")


def hightouch(ctx: KnockContext, method: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """One Hightouch Embedded Destination call."""
    if method in ("test", "test_connection"):
        return {"success": True}
    if method == "list_objects":
        return {"objects": [{"id": OBJECT, "name": "Audiences"}]}
    if method == "list_modes":
        return {"modes": ["insert", "mirror"]}
    if method == "list_fields":
        return {
            "fields": [
                {"id": name, "name": label, "identifier": name == "user_id", "required": required}
                for name, label, required in FIELDS
            ]
        }
    if method == "validate":
        return {"success": True, "errors": []}
    if method == "sync_batch":
        remove = params.get("operation") == "remove"
        rejected = []
        for row in _records(params, "rows"):
            error = apply_member(ctx, row, remove)
            if error is not None:
                rejected.append({"row": row, "reason": error})
        return {"rejectedRows": rejected}
    raise RpcError(-32601, f"unknown Hightouch method {method!r}")


def _rpc(call: Callable[[KnockContext, str, Mapping[str, Any]], dict[str, Any]]) -> Any:
    def handle(ctx: KnockContext, request: Request, body: dict[str, Any]) -> Response:
        ident = get_str(body, "id", required=True)
        get_str(body, "jsonrpc", required=True)
        method = get_str(body, "method", required=True) or ""
        params = get_dict(body, "params") or {}
        answer: dict[str, Any] = {"jsonrpc": "2.0", "id": ident}
        try:
            answer["result"] = call(ctx, method, params)
        except RpcError as exc:
            answer["error"] = {"code": exc.code, "message": str(exc)}
        return json_response(answer)

    handle.__name__ = f"{call.__name__}_rpc"
    return handle


def integration_routes(ctx: KnockContext) -> list[Route]:
    """`POST /v1/integrations/census/custom-destination` and the Hightouch one."""
    return [
        Route(
            "/v1/integrations/census/custom-destination",
            endpoint(ctx, _rpc(census), "required"),
            methods=["POST"],
        ),
        Route(
            "/v1/integrations/hightouch/embedded-destination",
            endpoint(ctx, _rpc(hightouch), "required"),
            methods=["POST"],
        ),
    ]
