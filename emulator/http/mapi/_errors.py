"""The Management API's error shape: Knock's `{"code", "message", "status", "type"}`, with
`errors: [{"field", "message"}]` for invalid content (what the Knock CLI prints per field)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from starlette.responses import JSONResponse

_TYPES = {401: "authentication_error", 404: "api_error", 405: "invalid_request_error"}


class MapiError(Exception):
    """An error answered in Knock's shape."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        errors: Sequence[tuple[str, str]] = (),
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.errors = tuple(errors)

    def response(self) -> JSONResponse:
        """The JSON response for this error."""
        body: dict[str, Any] = {
            "code": self.code,
            "message": self.message,
            "status": self.status,
            "type": _TYPES.get(self.status, "invalid_request_error"),
        }
        if self.errors:
            body["errors"] = [{"field": f, "message": m} for f, m in self.errors]
        return JSONResponse(body, status_code=self.status)


def not_found(what: str, fix: str) -> MapiError:
    """404 `resource_missing`."""
    return MapiError(404, "resource_missing", f"{what} was not found; {fix}")


def invalid(message: str, errors: Sequence[tuple[str, str]] = ()) -> MapiError:
    """422 `invalid_params` listing each field's problem."""
    return MapiError(422, "invalid_params", message, errors)
