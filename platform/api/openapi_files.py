"""The OpenAPI paths of an entity's file fields (``…/{id}/_files/{field}[/{file}]``)."""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

from trellis.metadata.model import FieldType
from trellis.metadata.model.field_types import FILE_SCHEMA
from trellis.platform.records.compiled import CompiledEntity
from trellis.platform.records.views import JSON

#: Error statuses of each file operation.
UPLOAD_ERRORS = ("400", "401", "403", "404", "413", "414", "415", "422", "429", "503", "507")
FILE_READ_ERRORS = ("400", "401", "403", "404", "414", "429", "503")
FILE_DELETE_ERRORS = ("400", "401", "403", "404", "414", "422", "429", "503", "507")

Errors = Callable[[Collection[str]], dict[str, Any]]


def file_fields(entity: CompiledEntity, hidden: Collection[str] = ()) -> list[str]:
    """The entity's file fields the caller can see."""
    return [
        n for n, f in entity.entity.fields.items() if f.type == FieldType.FILE and n not in hidden
    ]


def file_paths(
    entity: CompiledEntity,
    base: str,
    key: str,
    errors: Errors,
    fields: list[str],
) -> dict[str, Any]:
    """Upload, list, download and remove paths; none when there are no ``fields``."""
    if not fields:
        return {}
    label, tag = entity.entity.label, [entity.entity.label]
    record_id = {"$ref": "#/components/parameters/RecordId"}
    field = {
        "name": "field",
        "in": "path",
        "required": True,
        "description": "A file field of the entity.",
        "schema": {"enum": fields},
    }
    file_id = {
        "name": "file",
        "in": "path",
        "required": True,
        "description": "A file id (a current file or an earlier version).",
        "schema": {"type": "string", "minLength": 1, "maxLength": 64},
    }
    upload = {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {"file": {"type": "string", "format": "binary"}},
                },
            }
        },
    }
    bytes_out = {
        "description": "The file's bytes, typed as sniffed at upload.",
        "headers": {
            "Content-Disposition": {
                "required": True,
                "description": "inline for images and PDF, else attachment; with the name.",
                "schema": {"type": "string"},
            },
            "X-Content-Type-Options": {"required": True, "schema": {"const": "nosniff"}},
        },
        "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}},
    }
    listing = {
        "type": "object",
        "required": ["items"],
        "properties": {"items": {"type": "array", "items": FILE_SCHEMA}},
    }
    return {
        f"{base}/{entity.name}/{{id}}/_files/{{field}}": {
            "parameters": [record_id, field],
            "post": {
                "tags": tag,
                "summary": f"Upload a file to a {label}",
                "description": "Multipart with one part named `file`; the content type is "
                "sniffed from the bytes (executables and unknown formats: 415).",
                "operationId": f"uploadFile{key}",
                "requestBody": upload,
                "responses": {
                    "201": {
                        "description": f"The {label} with the file's metadata.",
                        "headers": {"ETag": {"schema": {"type": "string"}}},
                        "content": {JSON: {"schema": {"$ref": f"#/components/schemas/{key}"}}},
                    },
                    **errors(UPLOAD_ERRORS),
                },
            },
            "get": {
                "tags": tag,
                "summary": f"List the files of a {label}'s field (with earlier versions)",
                "operationId": f"listFiles{key}",
                "responses": {
                    "200": {
                        "description": "The current files, each with its earlier versions.",
                        "content": {JSON: {"schema": listing}},
                    },
                    **errors(FILE_READ_ERRORS),
                },
            },
        },
        f"{base}/{entity.name}/{{id}}/_files/{{field}}/{{file}}": {
            "parameters": [record_id, field, file_id],
            "get": {
                "tags": tag,
                "summary": f"Download a file of a {label}",
                "operationId": f"downloadFile{key}",
                "responses": {"200": bytes_out, **errors(FILE_READ_ERRORS)},
            },
            "delete": {
                "tags": tag,
                "summary": f"Remove a file (with its versions) from a {label}",
                "operationId": f"deleteFile{key}",
                "responses": {"204": {"description": "Removed."}, **errors(FILE_DELETE_ERRORS)},
            },
        },
    }


__all__ = ["file_fields", "file_paths"]
