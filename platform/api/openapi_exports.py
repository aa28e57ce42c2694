"""The record-export operations of the OpenAPI document (docs/export.md).

Per entity: ``GET {base}/{entity}/_export`` (the file, streamed) and ``POST
{base}/{entity}/_export_jobs`` (a queued export); tenant-wide: ``GET {base}/_exports/{id}``
(state and signed link) and ``GET {base}/_exports/{id}/download`` (the file).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

from trellis.platform.api.openapi_schemas import class_name
from trellis.platform.records.compiled import CompiledEntity
from trellis.platform.records.views import JSON
from trellis.platform.services.export_formats import FORMATS

Errors = Callable[[Collection[str]], dict[str, Any]]
EXPORT_ERRORS = ("400", "401", "403", "404", "414", "429", "503")
JOB_ERRORS = ("400", "401", "403", "404", "413", "414", "415", "429", "503")
DOWNLOAD_ERRORS = ("400", "401", "403", "404", "410", "414", "429", "503")
_TEXT = {"type": "string"}
_NULL_TEXT = {"anyOf": [{"type": "string"}, {"type": "null"}]}


def _files() -> dict[str, Any]:
    """The ``content`` of a file answer in any export format."""
    binary = {"type": "string", "format": "binary"}
    found: dict[str, Any] = {
        (media + "; charset=utf-8" if media.startswith("text/") else media): {"schema": binary}
        for media, _ in FORMATS.values()
    }
    found[JSON] = {"schema": {"type": "array", "items": {"type": "object"}}}
    return found


def export_schemas() -> dict[str, Any]:
    """``Trellis_ExportQueued`` and ``Trellis_Export``."""
    return {
        "Trellis_ExportQueued": {
            "type": "object",
            "required": ["id", "state", "url"],
            "properties": {
                "id": {"type": "string", "pattern": "^[0-9a-f]{16}$"},
                "state": {"const": "queued"},
                "url": _TEXT,
            },
        },
        "Trellis_Export": {
            "type": "object",
            "required": ["id", "entity", "format", "state", "download_url"],
            "properties": {
                "id": _TEXT,
                "entity": _TEXT,
                "format": {"enum": list(FORMATS)},
                "filter": _NULL_TEXT,
                "fields": {
                    "anyOf": [{"type": "array", "items": {"type": "string"}}, {"type": "null"}]
                },
                "ids": {"type": "boolean"},
                "user_id": {"anyOf": [{"type": "integer"}, {"type": "null"}]},
                "state": {"enum": ["queued", "running", "done", "failed", "expired"]},
                "rows": {"anyOf": [{"type": "integer", "minimum": 0}, {"type": "null"}]},
                "file_name": _TEXT,
                "message": _NULL_TEXT,
                "created_at": {"type": "string", "format": "date-time"},
                "finished_at": _NULL_TEXT,
                "expires_at": _NULL_TEXT,
                "download_url": {
                    **_NULL_TEXT,
                    "description": "Signed, expiring link to the file (when done).",
                },
            },
        },
    }


def _query(name: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "query", "description": description, "schema": schema}


def export_paths(entity: CompiledEntity, base: str, errors: Errors) -> dict[str, Any]:
    """``GET {base}/{entity}/_export`` and ``POST {base}/{entity}/_export_jobs``."""
    tags = [entity.entity.label]
    key = entity.name.title().replace("_", "")
    names = f"#/components/parameters/{class_name(entity.name)}_fields"
    body = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "format": {"enum": list(FORMATS)},
            "filter": {**_TEXT, "description": "A rule-language condition."},
            "fields": {
                "type": "array",
                "items": {"$ref": f"{names}/schema/items"},
                "minItems": 1,
                "description": "The fields to export (left out: every field you may see).",
            },
            "ids": {"type": "boolean", "description": "Raw ids instead of titles."},
        },
    }
    plural = entity.entity.plural_label
    flag = {"enum": ["true", "false", "1", "0"]}
    return {
        f"{base}/{entity.name}/_export": {
            "get": {
                "tags": tags,
                "summary": f"Export {plural} as a file (streamed; your scope and fields)",
                "operationId": f"export{key}",
                "parameters": [
                    _query(
                        "format", "csv (default), xlsx, json or jsonl.", {"enum": list(FORMATS)}
                    ),
                    {"$ref": "#/components/parameters/Filter"},
                    {"$ref": names},
                    _query("ids", "Raw ids instead of reference titles.", flag),
                ],
                "responses": {
                    "200": {
                        "description": "The file (an attachment).",
                        "headers": {"Content-Disposition": {"schema": _TEXT}},
                        "content": _files(),
                    },
                    **errors(EXPORT_ERRORS),
                },
            }
        },
        f"{base}/{entity.name}/_export_jobs": {
            "post": {
                "tags": tags,
                "summary": f"Export {plural} as a background job with a download link",
                "operationId": f"exportJob{key}",
                "requestBody": {
                    "required": False,
                    "content": {JSON: {"schema": body}},
                },
                "responses": {
                    "202": {
                        "description": "The export is queued; poll its url.",
                        "headers": {"Location": {"schema": _TEXT}},
                        "content": {
                            JSON: {"schema": {"$ref": "#/components/schemas/Trellis_ExportQueued"}}
                        },
                    },
                    **errors(JOB_ERRORS),
                },
            }
        },
    }


def exports_paths(base: str, errors: Errors) -> dict[str, Any]:
    """``GET {base}/_exports/{id}`` and ``…/{id}/download``."""
    ident = {
        "name": "id",
        "in": "path",
        "required": True,
        "description": "The export's id.",
        "schema": {"type": "string", "pattern": "^[0-9a-f]{16}$"},
    }
    tags = ["Exports"]
    return {
        f"{base}/_exports/{{id}}": {
            "parameters": [ident],
            "get": {
                "tags": tags,
                "summary": "An export job's state and, when done, its download link",
                "operationId": "getExport",
                "responses": {
                    "200": {
                        "description": "The export job.",
                        "content": {
                            JSON: {"schema": {"$ref": "#/components/schemas/Trellis_Export"}}
                        },
                    },
                    **errors(EXPORT_ERRORS),
                },
            },
        },
        f"{base}/_exports/{{id}}/download": {
            "parameters": [ident],
            "get": {
                "tags": tags,
                "summary": "The file of a finished export (signed link; its asker or an admin)",
                "operationId": "downloadExport",
                "parameters": [
                    _query("expires", "The link's expiry (Unix seconds).", _TEXT),
                    _query("signature", "The link's signature.", _TEXT),
                ],
                "responses": {
                    "200": {
                        "description": "The file (an attachment).",
                        "headers": {"Content-Disposition": {"schema": _TEXT}},
                        "content": _files(),
                    },
                    **errors(DOWNLOAD_ERRORS),
                },
            },
        },
    }


__all__ = ["export_paths", "export_schemas", "exports_paths"]
