"""The recycle bin, history and time-travel operations of the per-tenant document.

Per entity: ``GET …/{entity}/_deleted``, ``DELETE …/{entity}/_deleted/{id}``,
``POST …/{entity}/{id}/_restore`` and ``GET …/{entity}/{id}/_history``; the read's
``as_of`` parameter is :data:`AS_OF`.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

from trellis.platform.api.openapi_links import links
from trellis.platform.api.openapi_schemas import ref
from trellis.platform.records.compiled import CompiledEntity
from trellis.platform.records.views import JSON

Errors = Callable[[Collection[str]], dict[str, Any]]
_BIN_READ = ("400", "401", "403", "404", "414", "429", "503")
_RESTORE = ("400", "401", "403", "404", "409", "413", "414", "415", "422", "429", "503", "507")
_PURGE = ("400", "401", "403", "404", "414", "429", "503", "507")
#: The read's ``as_of`` query parameter.
AS_OF: dict[str, Any] = {
    "name": "as_of",
    "in": "query",
    "description": "Rebuild the record as it was at this moment (RFC 3339, e.g. "
    "2026-10-01T00:00:00Z) from its history; 404 when it did not exist then.",
    "schema": {"type": "string", "format": "date-time"},
}

#: The list's ``as_of`` query parameter.
LIST_AS_OF: dict[str, Any] = {
    "name": "as_of",
    "in": "query",
    "description": "List the records as they were at this moment (RFC 3339), rebuilt from "
    "their history; the filter and sort apply to those values, the cursor is an offset.",
    "schema": {"type": "string", "format": "date-time"},
}


def history_schema() -> dict[str, Any]:
    """``{"items": [{"at", "user_id", "source", "changes"}], "next_cursor"}``."""
    pair = {"type": "array", "minItems": 2, "maxItems": 2, "items": ref("Trellis_JsonValue")}
    item = {
        "type": "object",
        "properties": {
            "at": {"type": "string", "format": "date-time"},
            "user_id": {"type": ["integer", "null"]},
            "source": {"type": ["string", "null"]},
            "changes": {"type": "object", "additionalProperties": pair},
        },
        "required": ["at", "user_id", "source", "changes"],
    }
    return {
        "type": "object",
        "properties": {
            "items": {"type": "array", "items": item},
            "next_cursor": {"type": ["string", "null"]},
        },
        "required": ["items", "next_cursor"],
    }


def data_paths(
    entity: CompiledEntity,
    base: str,
    key: str,
    errors: Errors,
    *,
    transitions: bool = False,
) -> dict[str, dict[str, Any]]:
    """The path items of one entity's recycle bin and history."""
    label, plural = entity.entity.label, entity.entity.plural_label
    lines = bool(entity.entity.lines)  # deleted records answer without their lines
    tag = [label]
    page = [{"$ref": "#/components/parameters/Limit"}, {"$ref": "#/components/parameters/Cursor"}]
    record_id = {"$ref": "#/components/parameters/RecordId"}
    etag = {"ETag": {"description": 'The record version, e.g. "3".', "schema": {"type": "string"}}}
    deleted = {
        "type": "object",
        "properties": {
            "items": {
                "type": "array",
                "items": {
                    "allOf": [
                        ref(f"{key}_Deleted" if lines else key),
                        {
                            "type": "object",
                            "properties": {
                                "merged_into": {
                                    "type": ["integer", "null"],
                                    "minimum": 1,
                                    "description": f"The {label} this one was merged into "
                                    "(the merge deleted it); null when deleted otherwise.",
                                }
                            },
                            "required": ["merged_into"],
                        },
                    ]
                },
            },
            "next_cursor": {"type": ["string", "null"]},
        },
        "required": ["items", "next_cursor"],
    }
    return {
        f"{base}/{entity.name}/_deleted": {
            "get": {
                "tags": tag,
                "summary": f"Deleted {plural} (recycle bin)",
                "description": "Needs the delete action; the caller's record scope applies.",
                "operationId": f"deleted{key}",
                "parameters": page,
                "responses": {
                    "200": _json(deleted, f"Deleted {plural}, most recently deleted first."),
                    **errors(_BIN_READ),
                },
            },
        },
        f"{base}/{entity.name}/_deleted/{{id}}": {
            "parameters": [record_id],
            "delete": {
                "tags": tag,
                "summary": f"Purge a deleted {label} for good",
                "description": "Needs the purge action; audited. Records deleted with it by "
                "cascade go too.",
                "operationId": f"purge{key}",
                "responses": {"204": {"description": "Purged."}, **errors(_PURGE)},
            },
        },
        f"{base}/{entity.name}/{{id}}/_restore": {
            "parameters": [record_id],
            "post": {
                "tags": tag,
                "summary": f"Restore a deleted {label}",
                "description": "Needs the delete action; brings back what cascade deleted "
                "with it. 422 when a reference or a unique value no longer allows it.",
                "operationId": f"restore{key}",
                "responses": {
                    "200": {
                        **_json(ref(key), f"The restored {label}."),
                        "headers": etag,
                        "links": links(key, "$request.path.id", transitions=transitions),
                    },
                    **errors(_RESTORE),
                },
            },
        },
        f"{base}/{entity.name}/{{id}}/_history": {
            "parameters": [record_id],
            "get": {
                "tags": tag,
                "summary": f"Field history of a {label}",
                "operationId": f"history{key}",
                "parameters": page,
                "responses": {
                    "200": _json(ref("Trellis_History"), "The record's writes, newest first."),
                    **errors(_BIN_READ),
                },
            },
        },
    }


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": schema}}}


__all__ = ["AS_OF", "LIST_AS_OF", "data_paths", "history_schema"]
