"""The file-import operations of the OpenAPI document (``…/{entity}/_import``, ``_imports``)."""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

from trellis.platform.records.compiled import CompiledEntity
from trellis.platform.records.views import JSON

Errors = Callable[[Collection[str]], dict[str, Any]]
CANCEL_ERRORS = ("400", "401", "403", "404", "409", "414", "429", "503")
UPLOAD_ERRORS = ("400", "401", "403", "404", "413", "414", "415", "422", "429", "503", "507")
READ_ERRORS = ("400", "401", "403", "404", "414", "429", "503")

_COUNTS = {
    "type": "object",
    "required": ["created", "updated", "unchanged", "failed"],
    "properties": {
        name: {"type": "integer", "minimum": 0}
        for name in ("created", "updated", "unchanged", "failed")
    },
}
_ROW_ERRORS = {
    "type": "object",
    "additionalProperties": {"type": "array", "items": {"type": "string"}},
}


def import_schemas() -> dict[str, Any]:
    """``Trellis_ImportQueued`` and ``Trellis_Import``."""
    nullable_number = {"anyOf": [{"type": "number"}, {"type": "null"}]}
    return {
        "Trellis_ImportQueued": {
            "type": "object",
            "required": ["id", "state", "url"],
            "properties": {
                "id": {"type": "integer"},
                "state": {"const": "queued"},
                "url": {"type": "string"},
            },
        },
        "Trellis_Import": {
            "type": "object",
            "required": ["id", "entity", "state", "mode", "dry_run", "rows", "counts"],
            "properties": {
                "id": {"type": "integer"},
                "entity": {"type": "string"},
                "state": {
                    "enum": [
                        "queued",
                        "running",
                        "interrupted",
                        "done",
                        "failed",
                        "undone",
                        "cancelling",
                        "cancelled",
                    ]
                },
                "mode": {"enum": ["insert", "update", "upsert"]},
                "dry_run": {"type": "boolean"},
                "side_effects": {"type": "boolean"},
                "file_name": {"type": "string"},
                "user_id": {"anyOf": [{"type": "integer"}, {"type": "null"}]},
                "rows": {"type": "integer", "minimum": 0},
                "total": {"anyOf": [{"type": "integer"}, {"type": "null"}]},
                "rows_per_second": nullable_number,
                "eta_seconds": nullable_number,
                "counts": _COUNTS,
                "first_errors": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["row", "errors"],
                        "properties": {"row": {"type": "integer"}, "errors": _ROW_ERRORS},
                    },
                },
                "message": {"anyOf": [{"type": "string"}, {"type": "null"}]},
                "created_at": {"type": "string", "format": "date-time"},
                "finished_at": {"anyOf": [{"type": "string"}, {"type": "null"}]},
                "errors_url": {"anyOf": [{"type": "string"}, {"type": "null"}]},
            },
        },
    }


def _query(name: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "query", "description": description, "schema": schema}


def import_upload_path(entity: CompiledEntity, base: str, errors: Errors) -> dict[str, Any]:
    """``POST {base}/{entity}/_import``."""
    flag = {"enum": ["true", "false", "1", "0"]}
    label = entity.entity.label
    return {
        f"{base}/{entity.name}/_import": {
            "post": {
                "tags": [label],
                "summary": f"Import a CSV or XLSX file of {entity.entity.plural_label} (a job)",
                "description": "Multipart with one part named `file`; see docs/import.md. "
                "A file that cannot be imported is 422 with the reasons under `file`.",
                "operationId": f"import{entity.name.title().replace('_', '')}",
                "parameters": [
                    _query(
                        "mode",
                        "insert (default), update or upsert.",
                        {"enum": ["insert", "update", "upsert"]},
                    ),
                    _query(
                        "key", "Field(s) matching records, comma-separated.", {"type": "string"}
                    ),
                    _query("dry_run", "Check every row, write nothing.", flag),
                    _query("side_effects", "Let rules send emails and webhooks.", flag),
                    _query(
                        "encoding", "The CSV file's encoding (default utf-8).", {"type": "string"}
                    ),
                    _query("sheet", "The XLSX sheet (default: the first).", {"type": "string"}),
                    _query(
                        "batch_size",
                        "Rows per transaction (1-10000, default 1000).",
                        {"type": "string", "pattern": "^[0-9]+$"},
                    ),
                    _query(
                        "map",
                        "The column map as JSON (columns, lookups, create_missing, formats).",
                        {"type": "string"},
                    ),
                ],
                "requestBody": {
                    "required": True,
                    "content": {
                        "multipart/form-data": {
                            "schema": {
                                "type": "object",
                                "required": ["file"],
                                "properties": {"file": {"type": "string", "format": "binary"}},
                            }
                        }
                    },
                },
                "responses": {
                    "202": {
                        "description": "The import is queued; poll its url.",
                        "headers": {"Location": {"schema": {"type": "string"}}},
                        "content": {
                            JSON: {"schema": {"$ref": "#/components/schemas/Trellis_ImportQueued"}}
                        },
                    },
                    **errors(UPLOAD_ERRORS),
                },
            }
        }
    }


def imports_paths(base: str, errors: Errors) -> dict[str, Any]:
    """``GET {base}/_imports/{id}``, ``…/{id}/errors`` and ``POST …/{id}/cancel``."""
    ident = {
        "name": "id",
        "in": "path",
        "required": True,
        "description": "The import's id.",
        "schema": {"type": "integer"},
    }
    tags = ["Imports"]
    return {
        f"{base}/_imports/{{id}}": {
            "parameters": [ident],
            "get": {
                "tags": tags,
                "summary": "An import's state, counts and progress (its starter or an admin)",
                "operationId": "getImport",
                "responses": {
                    "200": {
                        "description": "The import.",
                        "content": {
                            JSON: {"schema": {"$ref": "#/components/schemas/Trellis_Import"}}
                        },
                    },
                    **errors(READ_ERRORS),
                },
            },
        },
        f"{base}/_imports/{{id}}/cancel": {
            "parameters": [ident],
            "post": {
                "tags": tags,
                "summary": "Cancel an import: it stops after its current batch (kept rows stay)",
                "description": "A queued or interrupted import ends `cancelled` at once; a "
                "running one turns `cancelling` and ends `cancelled` after the batch it is "
                "writing. 409 once the import has ended. Undo still takes back what it wrote.",
                "operationId": "cancelImport",
                "responses": {
                    "200": {
                        "description": "The import after the request.",
                        "content": {
                            JSON: {"schema": {"$ref": "#/components/schemas/Trellis_Import"}}
                        },
                    },
                    **errors(CANCEL_ERRORS),
                },
            },
        },
        f"{base}/_imports/{{id}}/errors": {
            "parameters": [ident],
            "get": {
                "tags": tags,
                "summary": "An import's error report: failed rows as they were, with errors",
                "operationId": "getImportErrors",
                "responses": {
                    "200": {
                        "description": "CSV: row, errors, then the file's columns.",
                        "content": {"text/csv": {"schema": {"type": "string"}}},
                    },
                    **errors(READ_ERRORS),
                },
            },
        },
    }


__all__ = ["import_schemas", "import_upload_path", "imports_paths"]
