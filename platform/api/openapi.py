"""The per-tenant OpenAPI 3.1 document, built from the entities' JSON Schemas."""

from __future__ import annotations

from typing import Any

from trellis.metadata.model import STANDARD_COLUMNS, DslType
from trellis.metadata.model.field_types import nullable_schema
from trellis.platform.records.compiled import CompiledApp, CompiledEntity
from trellis.version import __version__

_STANDARD_SCHEMAS: dict[DslType, dict[str, Any]] = {
    DslType.NUMBER: {"type": "integer"},
    DslType.DATETIME: {"type": "string", "format": "date-time"},
}


def _class_name(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


def record_schema(entity: CompiledEntity) -> dict[str, Any]:
    """JSON Schema of a record as the API returns it."""
    props: dict[str, Any] = {}
    for name, (dsl, description) in STANDARD_COLUMNS.items():
        schema = dict(_STANDARD_SCHEMAS[dsl])
        if name not in ("id", "created_at", "updated_at", "version"):
            schema["type"] = [schema["type"], "null"]
        schema["description"] = description
        if name != "owner_id":
            schema["readOnly"] = True
        props[name] = schema
    for f in entity.entity.fields.values():
        schema = nullable_schema(f)
        if f.computed:
            schema["readOnly"] = True
        props[f.name] = schema
    return {
        "type": "object",
        "title": entity.entity.label,
        "description": entity.entity.description or f"A {entity.entity.label} record.",
        "properties": props,
        "required": [f.name for f in entity.entity.fields.values() if f.required],
    }


def _error_response(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Errors"}}},
    }


def _paths(entity: CompiledEntity, base: str) -> dict[str, Any]:
    ref = {"$ref": f"#/components/schemas/{_class_name(entity.name)}"}
    one = {
        "description": f"The {entity.entity.label}.",
        "content": {"application/json": {"schema": ref}},
    }
    listing = {
        "description": f"A page of {entity.entity.plural_label}.",
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "items": {"type": "array", "items": ref},
                        "next_cursor": {"type": ["string", "null"]},
                        "count": {"type": "integer"},
                        "count_exact": {"type": "boolean"},
                    },
                }
            }
        },
    }
    body = {"required": True, "content": {"application/json": {"schema": ref}}}
    params = [
        {"name": n, "in": "query", "required": False, "schema": {"type": t}, "description": d}
        for n, t, d in (
            ("filter", "string", "A rule-language expression, e.g. amount > 1000."),
            ("sort", "string", "Comma-separated fields, '-' for descending."),
            ("limit", "integer", "Page size, 1-500 (default 50)."),
            ("cursor", "string", "The next_cursor of the previous page."),
            ("fields", "string", "Comma-separated fields to return."),
        )
    ]
    id_param = [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}]
    tag = [entity.entity.label]
    return {
        f"{base}/{entity.name}": {
            "get": {
                "tags": tag,
                "summary": f"List {entity.entity.plural_label}",
                "parameters": params,
                "responses": {"200": listing, "400": _error_response("Bad filter or sort.")},
            },
            "post": {
                "tags": tag,
                "summary": f"Create a {entity.entity.label}",
                "requestBody": body,
                "responses": {"201": one, "422": _error_response("Invalid fields.")},
            },
        },
        f"{base}/{entity.name}/{{id}}": {
            "parameters": id_param,
            "get": {
                "tags": tag,
                "summary": f"Read a {entity.entity.label}",
                "responses": {"200": one, "404": _error_response("Not found.")},
            },
            "patch": {
                "tags": tag,
                "summary": f"Update a {entity.entity.label}",
                "requestBody": body,
                "responses": {
                    "200": one,
                    "409": _error_response("Stale version."),
                    "422": _error_response("Invalid fields."),
                },
            },
            "delete": {
                "tags": tag,
                "summary": f"Delete a {entity.entity.label}",
                "responses": {"204": {"description": "Deleted."}},
            },
        },
        f"{base}/{entity.name}/bulk": {
            "post": {
                "tags": tag,
                "summary": f"Create or upsert many {entity.entity.plural_label}",
                "responses": {"200": {"description": "One result per item."}},
            },
        },
    }


def build_openapi(app: CompiledApp, tenant: str) -> dict[str, Any]:
    """The OpenAPI 3.1 document of ``tenant``'s API."""
    base = f"/t/{tenant}/api"
    paths: dict[str, Any] = {}
    schemas: dict[str, Any] = {
        "Errors": {
            "type": "object",
            "properties": {
                "errors": {
                    "type": "object",
                    "additionalProperties": {"type": "array", "items": {"type": "string"}},
                }
            },
        },
    }
    for entity in app.entities.values():
        paths.update(_paths(entity, base))
        schemas[_class_name(entity.name)] = record_schema(entity)
    return {
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "info": {
            "title": f"{app.model.label} API ({tenant})",
            "version": f"{app.model.version} (published version {app.version_no}, "
            f"trellis {__version__})",
        },
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearer": []}],
    }


__all__ = ["build_openapi", "record_schema"]
