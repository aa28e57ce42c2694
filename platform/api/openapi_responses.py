"""The error answers every operation of the OpenAPI document shares, by status."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from trellis.platform.api.openapi_schemas import ref
from trellis.platform.records.views import JSON

_ERRORS = {JSON: {"schema": ref("Errors")}}
_RESPONSES = {
    "400": "The request is malformed: bad JSON, parameter, filter, sort or cursor.",
    "401": "No valid API token for this tenant.",
    "403": "The caller's roles do not allow this.",
    "404": "No such record, or it is outside the caller's scope.",
    "410": "Gone: the link expired or its file was purged (start a new export).",
    "409": "Another save came first (stale version), a repeated Idempotency-Key, or the "
    "record looks like live records (duplicates; allow_duplicate=true saves anyway), or a "
    "delete that on_delete: restrict forbids (referenced_by).",
    "413": "The request body is too large.",
    "414": "The URL is too long.",
    "415": "The body is not application/json.",
    "422": "One or more fields are not valid; every problem at once.",
    "429": "Too many requests; wait Retry-After seconds.",
    "503": "The database is busy or unreachable (or, on screens, the session store); "
    "nothing was saved. Wait Retry-After seconds (docs/operations.md).",
    "507": "Storage is full: nothing was saved; reads still work (docs/operations.md).",
}
_NAMES = {
    "400": "BadRequest",
    "401": "Unauthorized",
    "403": "Forbidden",
    "404": "NotFound",
    "409": "Conflict",
    "410": "Gone",
    "413": "PayloadTooLarge",
    "414": "UriTooLong",
    "415": "UnsupportedMediaType",
    "422": "Unprocessable",
    "429": "TooManyRequests",
    "503": "ServiceUnavailable",
    "507": "InsufficientStorage",
}


def error_responses() -> dict[str, Any]:
    """``components.responses``: one error response per status, in the error shape."""
    found: dict[str, Any] = {}
    for status, description in _RESPONSES.items():
        response: dict[str, Any] = {"description": description, "content": _ERRORS}
        if status == "401":
            response["headers"] = {"WWW-Authenticate": {"schema": {"const": "Bearer"}}}
        if status in ("429", "503"):
            response["headers"] = {
                "Retry-After": {"required": True, "schema": {"type": "integer", "minimum": 0}}
            }
        found[_NAMES[status]] = response
    return found


def errors_of(statuses: Collection[str]) -> dict[str, Any]:
    """The ``responses`` entries of ``statuses``, as references to the shared ones."""
    return {s: {"$ref": f"#/components/responses/{_NAMES[s]}"} for s in statuses}


__all__ = ["error_responses", "errors_of"]
