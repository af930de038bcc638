"""Knock's error shape (`{"code", "message", "status", "type"}`) and the request-parsing helpers
that raise it, so every handler reports bad input the same way (wire.md section 2.6)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.responses import JSONResponse

from emulator.http._json_body import JsonBodyError, decode_json

_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "authentication_error",
    404: "api_error",
    405: "invalid_request_error",
    413: "invalid_request_error",
    415: "invalid_request_error",
    422: "invalid_request_error",
    500: "api_error",
}


class KnockAPIError(Exception):
    """An error answered in Knock's shape; `field` names the JSON path that is wrong, if any."""

    def __init__(self, status: int, code: str, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "code": self.code,
            "message": self.message,
            "status": self.status,
            "type": _TYPES.get(self.status, "api_error"),
        }
        if self.field is not None:
            out["errors"] = [{"field": self.field, "message": self.message, "type": self.code}]
        return out

    def response(self) -> JSONResponse:
        # Retrying cannot fix an emulator error; tell the SDKs not to (they retry 5xx otherwise).
        headers = {"x-should-retry": "false"}
        return JSONResponse(self.body(), status_code=self.status, headers=headers)


def missing(kind: str, ident: str, fix: str) -> KnockAPIError:
    return KnockAPIError(404, "resource_missing", f"no {kind} with id {ident!r}; {fix}")


def invalid(field: str, message: str) -> KnockAPIError:
    return KnockAPIError(422, "invalid_params", f"{field}: {message}", field=field)


def parse_json(raw: bytes, *, required: bool) -> dict[str, Any]:
    """The request body as a JSON object; an empty body is `{}` (the SDKs send none on PUT)."""
    if not raw.strip():
        if required:
            raise KnockAPIError(
                400, "invalid_json", "the request body is empty; send a JSON object"
            )
        return {}
    try:
        value = decode_json(raw)
    except JsonBodyError as exc:
        raise KnockAPIError(400, "invalid_json", f"{exc.message}; send a JSON object") from None
    if not isinstance(value, dict):
        raise KnockAPIError(
            400,
            "invalid_json",
            f"the request body must be a JSON object, got {type(value).__name__}",
        )
    return value


def get_str(body: Mapping[str, Any], key: str, *, required: bool = False) -> str | None:
    value = body.get(key)
    if value is None:
        if required:
            raise invalid(key, "is required; pass a non-empty string")
        return None
    if not isinstance(value, str) or not value:
        raise invalid(key, f"must be a non-empty string, got {value!r}")
    return value


def get_dict(body: Mapping[str, Any], key: str) -> dict[str, Any] | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise invalid(key, f"must be an object, got {type(value).__name__}")
    return value


def get_list(body: Mapping[str, Any], key: str, *, required: bool = False) -> list[Any] | None:
    value = body.get(key)
    if value is None:
        if required:
            raise invalid(key, "is required; pass a list")
        return None
    if not isinstance(value, list):
        raise invalid(key, f"must be a list, got {type(value).__name__}")
    return value
