"""OpenAPI of the admin routes of signed links (``/_links``), when the app declares links."""

from __future__ import annotations

from typing import Any

from trellis.metadata.model import AppModel
from trellis.platform.public.links import MAX_DAYS
from trellis.platform.records.views import JSON

LINKS_PATH = "_links"
_ISSUE_ERRORS = {
    "400": "BadRequest",
    "401": "Unauthorized",
    "403": "Forbidden",
    "404": "NotFound",
    "413": "PayloadTooLarge",
    "414": "UriTooLong",
    "415": "UnsupportedMediaType",
    "422": "Unprocessable",
    "429": "TooManyRequests",
    "503": "ServiceUnavailable",
    "507": "InsufficientStorage",
}
_REVOKE_ERRORS = ("400", "401", "403", "404", "414", "429", "503", "507")


def _refs(statuses: dict[str, str] | tuple[str, ...]) -> dict[str, Any]:
    names = _ISSUE_ERRORS
    return {s: {"$ref": f"#/components/responses/{names[s]}"} for s in statuses}


def link_schemas(model: AppModel) -> dict[str, Any]:
    """``Trellis_LinkIssue`` (the request) and ``Trellis_Link`` (the answer)."""
    kinds = sorted(model.links)
    return {
        "Trellis_LinkIssue": {
            "type": "object",
            "additionalProperties": False,
            "required": ["link", "record_id"],
            "properties": {
                "link": {"enum": kinds, "description": "The kind: links/<name>.yaml."},
                "record_id": {"type": "integer", "minimum": 1, "maximum": 2**63 - 1},
                "expires_days": {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": MAX_DAYS,
                    "description": "Lifetime in days (default: the kind's expires_days).",
                },
            },
        },
        "Trellis_Link": {
            "type": "object",
            "required": [
                "id",
                "link",
                "entity",
                "record_id",
                "expires_at",
                "single_use",
                "token",
                "path",
            ],
            "properties": {
                "id": {"type": "integer"},
                "link": {"type": "string"},
                "entity": {"type": "string"},
                "record_id": {"type": "integer"},
                "expires_at": {"type": "string", "format": "date-time"},
                "single_use": {"type": "boolean"},
                "token": {"type": "string"},
                "path": {"type": "string", "description": "/p/{tenant}/s/{token}"},
            },
        },
    }


def link_paths(base: str) -> dict[str, Any]:
    """``POST {base}/_links`` (issue) and ``DELETE {base}/_links/{link_id}`` (revoke)."""
    tag = ["Signed links"]
    return {
        f"{base}/{LINKS_PATH}": {
            "post": {
                "tags": tag,
                "summary": "Issue a signed link for a record (admins)",
                "operationId": "issueSignedLink",
                "requestBody": {
                    "required": True,
                    "content": {
                        JSON: {"schema": {"$ref": "#/components/schemas/Trellis_LinkIssue"}}
                    },
                },
                "responses": {
                    "201": {
                        "description": "The link: its token and its public path.",
                        "content": {
                            JSON: {"schema": {"$ref": "#/components/schemas/Trellis_Link"}}
                        },
                    },
                    **_refs(tuple(_ISSUE_ERRORS)),
                },
            },
        },
        f"{base}/{LINKS_PATH}/{{link_id}}": {
            "parameters": [
                {
                    "name": "link_id",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "integer", "minimum": 1},
                }
            ],
            "delete": {
                "tags": tag,
                "summary": "Revoke a signed link (admins)",
                "operationId": "revokeSignedLink",
                "responses": {"204": {"description": "Revoked."}, **_refs(_REVOKE_ERRORS)},
            },
        },
    }


__all__ = ["LINKS_PATH", "link_paths", "link_schemas"]
