"""The ``_meta`` operations of the OpenAPI document: draft, plan, publish, versions, rollback."""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

from trellis.platform.api.openapi_meta_export import meta_export_paths
from trellis.platform.records.views import JSON

TAGS = ["Metadata lifecycle"]
TEXT = "text/plain"
_OBJECT = {"type": "object"}
_CHANGE = {
    "type": "object",
    "required": ["kind", "entity", "field", "count", "text"],
    "properties": {
        "kind": {
            "enum": [
                "drop_field",
                "drop_entity",
                "narrow_length",
                "remove_option",
                "require_field",
                "unique_over_duplicates",
                "convert_type",
                "restore_field",
                "restore_entity",
                "rename_field",
                "rename_entity",
            ]
        },
        "entity": {"type": "string"},
        "field": {"type": ["string", "null"]},
        "count": {"type": "integer", "minimum": 0},
        "text": {
            "type": "string",
            "description": 'e.g. "drops `fax` of contact: 1,234 non-empty values"',
        },
    },
}
_ERROR = {
    "type": "object",
    "required": ["file", "line", "column", "code", "message", "text"],
    "properties": {
        "file": {"type": "string"},
        "line": {"type": "integer"},
        "column": {"type": "integer"},
        "code": {"type": "string"},
        "message": {"type": "string"},
        "suggestion": {"type": ["string", "null"]},
        "text": {
            "type": "string",
            "description": "As the CLI prints it: path:line:col: error CODE: …",
        },
    },
}
_DIFF = {
    "type": "object",
    "required": ["files", "metadata"],
    "properties": {"files": _OBJECT, "metadata": _OBJECT},
}
_CHANGES = {"type": "array", "items": {"$ref": "#/components/schemas/Trellis_MetaChange"}}
_PLAN = {
    "type": "object",
    "required": ["valid", "errors"],
    "properties": {
        "valid": {"type": "boolean"},
        "errors": {"type": "array", "items": {"$ref": "#/components/schemas/Trellis_MetaError"}},
        "dialect": {"enum": ["sqlite", "postgresql"]},
        "ddl": {"type": "array", "items": {"type": "string"}},
        "steps": {"type": "array", "items": {"type": "string"}},
        "destructive": _CHANGES,
        "archived": _CHANGES,
        "restored": _CHANGES,
        "renamed": _CHANGES,
        "needs_confirmation": {"type": "boolean"},
        "data_steps": {
            "type": "array",
            "items": _OBJECT,
            "description": "The data step each destructive change could take: kind fill "
            "(value) or map_options (map), with the rows it touches.",
        },
        "backup": {
            "type": "string",
            "description": "The tenant backup written before a confirmed destructive publish "
            "(relative to the data dir).",
        },
        "diff": _DIFF,
        "base_version": {"type": ["integer", "null"]},
        "draft_version": {"type": "integer"},
        "draft": _OBJECT,
    },
}
_PUBLISHED = {
    "type": "object",
    "required": ["version", "unchanged", "comment", "plan", "diff"],
    "properties": {
        "version": {"type": ["integer", "null"]},
        "unchanged": {"type": "boolean"},
        "comment": {"type": "string"},
        "rollback_to": {"type": "integer"},
        "plan": _OBJECT,
        "diff": _DIFF,
    },
}
_STEPS = {
    "type": "object",
    "additionalProperties": False,
    "description": "Data steps run with the publish: fill {entity.field: value} sets a newly "
    "required field on live rows where it is empty; map_options {entity.field: {old: new}} "
    "moves rows off removed enum options.",
    "properties": {
        "fill": {
            "type": "object",
            "additionalProperties": {"type": ["string", "number", "boolean"]},
        },
        "map_options": {
            "type": "object",
            "additionalProperties": {"type": "object", "additionalProperties": {"type": "string"}},
        },
    },
}
_IF_MATCH = {
    "name": "If-Match",
    "in": "header",
    "required": True,
    "description": 'The draft version you read (its ETag, e.g. "3"); another one is 409.',
    "schema": {"type": "string", "pattern": '^"?[0-9]{1,9}"?$'},
}
_ETAG = {"ETag": {"required": True, "schema": {"type": "string"}, "description": "Draft version."}}


def meta_schemas() -> dict[str, Any]:
    """``Trellis_MetaChange``, ``Trellis_MetaError``, ``Trellis_MetaPlan`` and friends."""
    return {
        "Trellis_MetaChange": _CHANGE,
        "Trellis_MetaError": _ERROR,
        "Trellis_MetaPlan": _PLAN,
        "Trellis_MetaPublished": _PUBLISHED,
    }


def _json(description: str, schema: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": schema}}, **extra}


def _op(op_id: str, summary: str, responses: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"tags": TAGS, "summary": summary, "operationId": op_id, "responses": responses, **extra}


def _body(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    schema = {
        "type": "object",
        "additionalProperties": False,
        "required": required,
        "properties": properties,
    }
    return {"required": bool(required), "content": {JSON: {"schema": schema}}}


def meta_paths(base: str, errors: Callable[[Collection[str]], dict[str, Any]]) -> dict[str, Any]:
    """Every ``{base}/_meta/…`` path (tenant admins only), the export's included."""
    read = errors(("400", "401", "403", "404", "414", "429", "503"))
    export = meta_export_paths(
        base, errors(("400", "401", "403", "404", "409", "414", "429", "503"))
    )
    write = errors(
        ("400", "401", "403", "404", "409", "413", "414", "415", "422", "429", "503", "507")
    )
    path_param = {
        "name": "path",
        "in": "path",
        "required": True,
        "description": "A package file, e.g. entities/contact.yaml.",
        "schema": {
            "type": "string",
            "maxLength": 300,
            "pattern": r"^(?:[A-Za-z0-9_-]+/)*[A-Za-z0-9_-]+\.(?:yaml|yml|rules|j2|csv|json|md)$",
        },
    }
    saved = {
        "type": "object",
        "required": ["path", "draft_version"],
        "properties": {
            "path": {"type": "string"},
            "draft_version": {"type": "integer"},
            "deleted": {"type": "boolean"},
        },
    }
    text_body = {"required": True, "content": {TEXT: {"schema": {"type": "string"}}}}
    plan = {"$ref": "#/components/schemas/Trellis_MetaPlan"}
    published = {"$ref": "#/components/schemas/Trellis_MetaPublished"}
    confirm = {"type": "boolean", "description": "Go ahead with the destructive changes listed."}
    comment = {"type": "string", "maxLength": 2000}
    version_params = [
        {
            "name": n,
            "in": "path",
            "required": True,
            "schema": {"type": "string", "pattern": "^[0-9]+$"},
        }
        for n in ("a", "b")
    ]
    return {
        f"{base}/_meta/draft": {
            "get": _op(
                "showDraft",
                "The draft: version, base version, who changed which file",
                {"200": _json("The draft.", _OBJECT, headers=_ETAG), **read},
            )
        },
        f"{base}/_meta/draft/plan": {
            "get": _op(
                "planDraft",
                "Validate the draft and plan it: errors, DDL, data touched, diff",
                {"200": _json("The plan (valid false: the positioned errors).", plan), **read},
            )
        },
        f"{base}/_meta/draft/publish": {
            "post": _op(
                "publishDraft",
                "Publish the draft (destructive changes need confirm_destructive)",
                {"200": _json("The new version, its plan and diff.", published), **write},
                requestBody=_body(
                    {"comment": comment, "confirm_destructive": confirm, "data_steps": _STEPS}, []
                ),
            )
        },
        f"{base}/_meta/draft/rename": {"post": _rename_op(write)},
        f"{base}/_meta/draft/{{path}}": {
            "parameters": [path_param],
            "get": _op(
                "readDraftFile",
                "A file of the draft (or the published one)",
                {
                    "200": {
                        "description": "The file text.",
                        "headers": _ETAG,
                        "content": {TEXT: {"schema": {"type": "string"}}},
                    },
                    **read,
                },
            ),
            "put": _op(
                "saveDraftFile",
                "Save a file in the draft",
                {
                    "200": _json("Saved; the new draft version.", saved, headers=_ETAG),
                    **write,
                },
                parameters=[_IF_MATCH],
                requestBody=text_body,
            ),
            "delete": _op(
                "deleteDraftFile",
                "Delete a file in the draft",
                {
                    "200": _json("Deleted; the new draft version.", saved, headers=_ETAG),
                    **write,
                },
                parameters=[_IF_MATCH],
            ),
        },
        f"{base}/_meta/versions": {
            "get": _op(
                "listVersions",
                "Every published version: author, time, kind, comment",
                {"200": _json("Newest first.", _OBJECT), **read},
            )
        },
        f"{base}/_meta/versions/{{a}}/diff/{{b}}": {
            "parameters": version_params,
            "get": _op(
                "diffVersions",
                "What changed from version a to version b",
                {"200": _json("Files and metadata nodes.", _DIFF), **read},
            ),
        },
        f"{base}/_meta/rollback": {
            "post": _op(
                "rollback",
                "Publish an earlier version again (dry_run: plan only); archives, never drops",
                {"200": _json("The new version (or the plan).", _OBJECT), **write},
                requestBody=_body(
                    {
                        "version": {"type": "integer", "minimum": 1, "maximum": 2147483647},
                        "comment": comment,
                        "dry_run": {"type": "boolean"},
                        "confirm_destructive": confirm,
                    },
                    ["version"],
                ),
            )
        },
        **export,
    }


def _rename_op(write: dict[str, Any]) -> dict[str, Any]:
    name = {"type": "string", "pattern": "^[a-z][a-z0-9_]{0,39}$"}
    renamed = {
        "type": "object",
        "required": ["draft_version", "rename", "files"],
        "properties": {
            "draft_version": {"type": "integer"},
            "rename": _OBJECT,
            "files": {"type": "array", "items": {"type": "string"}},
        },
    }
    if_match = {**_IF_MATCH, "required": False}
    return _op(
        "renameInDraft",
        "Rename a field (entity, from, to) or an entity (entity, to) in the draft, "
        "rewriting every reference; the publish renames the column or table in place",
        {
            "200": _json("The new draft version and the files rewritten.", renamed, headers=_ETAG),
            **write,
        },
        parameters=[if_match],
        requestBody=_body({"entity": name, "from": name, "to": name}, ["entity", "to"]),
    )


__all__ = ["meta_paths", "meta_schemas"]
