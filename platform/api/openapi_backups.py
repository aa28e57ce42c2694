"""The ``_backups`` operations of the OpenAPI document (tenant admins only; docs/backup.md)."""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

from trellis.platform.records.views import JSON

Errors = Callable[[Collection[str]], dict[str, Any]]
READ_ERRORS = ("400", "401", "403", "404", "414", "429", "503")
START_ERRORS = ("400", "401", "403", "404", "409", "413", "414", "415", "422", "429", "503")
DOWNLOAD_ERRORS = ("400", "401", "403", "404", "409", "414", "429", "503")
NAME_PATTERN = "^[a-z][a-z0-9-]*-[0-9]{8}T[0-9]{6}Z\\.zip$"
JOB_ID_PATTERN = "^[0-9a-f]{16}$"
_TAGS = ["Backups"]
_TEXT = {"type": "string"}
_NULL_TEXT = {"anyOf": [{"type": "string"}, {"type": "null"}]}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def backup_schemas() -> dict[str, Any]:
    """``Trellis_Backup``, ``Trellis_Backups``, ``Trellis_BackupQueued``, ``Trellis_BackupJob``."""
    return {
        "Trellis_Backup": {
            "type": "object",
            "required": ["name", "size", "created_at", "download_url"],
            "properties": {
                "name": {"type": "string", "pattern": NAME_PATTERN},
                "size": {"type": "integer", "minimum": 0},
                "created_at": {"type": "string", "format": "date-time"},
                "download_url": _TEXT,
            },
        },
        "Trellis_Backups": {
            "type": "object",
            "required": ["items", "next_cursor", "count", "count_exact", "running"],
            "properties": {
                "items": {"type": "array", "items": _ref("Trellis_Backup")},
                "next_cursor": {"type": "null"},
                "count": {"type": "integer", "minimum": 0},
                "count_exact": {"const": True},
                "running": {
                    "anyOf": [_ref("Trellis_BackupJob"), {"type": "null"}],
                    "description": "The asked-for backup queued or running, if any.",
                },
            },
        },
        "Trellis_BackupQueued": {
            "type": "object",
            "required": ["id", "state", "url"],
            "properties": {
                "id": {"type": "string", "pattern": JOB_ID_PATTERN},
                "state": {"const": "queued"},
                "url": _TEXT,
            },
        },
        "Trellis_BackupJob": {
            "type": "object",
            "required": ["id", "state", "name", "size", "created_at", "download_url"],
            "properties": {
                "id": {"type": "string", "pattern": JOB_ID_PATTERN},
                "state": {"enum": ["queued", "running", "done", "failed"]},
                "name": _NULL_TEXT,
                "size": {"anyOf": [{"type": "integer", "minimum": 0}, {"type": "null"}]},
                "user_id": {"anyOf": [{"type": "integer"}, {"type": "null"}]},
                "created_at": {"type": "string", "format": "date-time"},
                "finished_at": _NULL_TEXT,
                "message": _NULL_TEXT,
                "download_url": _NULL_TEXT,
            },
        },
    }


def _ok(description: str, schema: str) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": _ref(schema)}}}


def backups_paths(base: str, errors: Errors) -> dict[str, Any]:
    """``GET|POST {base}/_backups``, ``GET …/jobs/{id}`` and ``GET …/{name}``."""
    start_body = {"type": "object", "additionalProperties": False, "properties": {}}
    return {
        f"{base}/_backups": {
            "get": {
                "tags": _TAGS,
                "summary": "The tenant's backups, newest first (tenant admins)",
                "operationId": "listBackups",
                "responses": {
                    "200": _ok("Scheduled and asked-for backups.", "Trellis_Backups"),
                    **errors(READ_ERRORS),
                },
            },
            "post": {
                "tags": _TAGS,
                "summary": "Back the tenant up now, as a job (tenant admins; audited)",
                "description": "409 while another asked-for backup is queued or running.",
                "operationId": "startBackup",
                "requestBody": {"required": False, "content": {JSON: {"schema": start_body}}},
                "responses": {
                    "202": {
                        "description": "The backup is queued; poll its url.",
                        "headers": {"Location": {"schema": _TEXT}},
                        "content": {JSON: {"schema": _ref("Trellis_BackupQueued")}},
                    },
                    **errors(START_ERRORS),
                },
            },
        },
        f"{base}/_backups/jobs/{{id}}": {
            "parameters": [
                {
                    "name": "id",
                    "in": "path",
                    "required": True,
                    "description": "The backup job's id.",
                    "schema": {"type": "string", "pattern": JOB_ID_PATTERN},
                }
            ],
            "get": {
                "tags": _TAGS,
                "summary": "An asked-for backup's state and, when done, its download url",
                "operationId": "getBackupJob",
                "responses": {
                    "200": _ok("The backup job.", "Trellis_BackupJob"),
                    **errors(READ_ERRORS),
                },
            },
        },
        f"{base}/_backups/{{name}}": {
            "parameters": [
                {
                    "name": "name",
                    "in": "path",
                    "required": True,
                    "description": "The archive's name, `<tenant>-<UTC time>.zip`.",
                    "schema": {"type": "string", "pattern": NAME_PATTERN},
                }
            ],
            "get": {
                "tags": _TAGS,
                "summary": "Download a backup archive (checked first; tenant admins; audited)",
                "description": "A damaged, truncated or foreign archive is 409, not served.",
                "operationId": "downloadBackup",
                "responses": {
                    "200": {
                        "description": "The zip archive (an attachment).",
                        "headers": {"Content-Disposition": {"schema": _TEXT}},
                        "content": {
                            "application/zip": {"schema": {"type": "string", "format": "binary"}}
                        },
                    },
                    **errors(DOWNLOAD_ERRORS),
                },
            },
        },
    }


__all__ = ["backup_schemas", "backups_paths"]
