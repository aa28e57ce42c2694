"""The JSON Schema of a file field's value: the metadata of its uploaded files."""

from __future__ import annotations

from typing import Any

from trellis.metadata.model.defs import FieldDef

JsonSchema = dict[str, Any]

#: One stored file as the API shows it (``versions``: the earlier files, newest first).
_FILE_PROPERTIES: JsonSchema = {
    "id": {"type": "string"},
    "name": {"type": "string"},
    "size": {"type": "integer", "minimum": 0},
    "content_type": {"type": "string"},
    "uploaded_at": {"type": "string", "format": "date-time"},
    "uploaded_by": {"type": ["integer", "null"]},
}
FILE_SCHEMA: JsonSchema = {
    "type": "object",
    "required": list(_FILE_PROPERTIES),
    "properties": {
        **_FILE_PROPERTIES,
        "versions": {
            "type": "array",
            "items": {
                "type": "object",
                "required": list(_FILE_PROPERTIES),
                "properties": _FILE_PROPERTIES,
            },
        },
    },
}


def file_schema(f: FieldDef) -> JsonSchema:
    """Uploaded files' metadata; written by uploads (``…/_files/{field}``), never by a PATCH."""
    if f.multiple:
        return {"type": "array", "items": FILE_SCHEMA, "readOnly": True}
    return {**FILE_SCHEMA, "readOnly": True}


__all__ = ["FILE_SCHEMA", "file_schema"]
