"""The per-tenant OpenAPI 3.1 document, built from the entities' JSON Schemas.

It describes what the server does, so generated clients and fuzzers agree with it:
every query parameter and header an operation reads, with the values it accepts, and
every status it answers, errors in the ``Errors`` shape of DESIGN.md §7. Each entity
owns a set of components (``entity_components``) that ``restrict_openapi`` rebuilds
without the fields a role may not see or write.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from trellis.metadata.model import WorkflowDef
from trellis.platform.api.openapi_data import AS_OF, LIST_AS_OF, data_paths, history_schema
from trellis.platform.api.openapi_documents import document_links, document_paths
from trellis.platform.api.openapi_exports import export_paths
from trellis.platform.api.openapi_files import file_fields, file_paths
from trellis.platform.api.openapi_imports import import_upload_path
from trellis.platform.api.openapi_lines import add_line_schemas
from trellis.platform.api.openapi_links import (
    TRANSITION_ERRORS,
    approval_schema,
    links,
    transition_path,
)
from trellis.platform.api.openapi_merge import ALLOW_DUPLICATE, merge_paths
from trellis.platform.api.openapi_pipelines import (
    pipeline_paths,
    pipeline_schemas,
    record_stages_path,
)
from trellis.platform.api.openapi_platform import platform_paths, platform_schemas
from trellis.platform.api.openapi_public import link_paths, link_schemas
from trellis.platform.api.openapi_responses import error_responses, errors_of
from trellis.platform.api.openapi_schemas import (
    bulk_schema,
    class_name,
    input_schema,
    page_schema,
    record_schema,
    ref,
    shared_schemas,
    sortable,
)
from trellis.platform.config.version import __version__
from trellis.platform.records.compiled import CompiledApp, CompiledEntity
from trellis.platform.records.views import JSON
from trellis.platform.services.expand import expandable

#: Error statuses each kind of operation can answer.
_READ = ("400", "401", "403", "404", "414", "429", "503")
_WRITE = ("400", "401", "403", "404", "409", "413", "414", "415", "422", "429", "503", "507")
_DELETE = ("400", "401", "403", "404", "409", "414", "429", "503", "507")
_BULK = ("400", "401", "403", "404", "409", "413", "414", "415", "429", "503", "507")
_DOCUMENT = (*_READ, "422")
_DOCUMENT_STORE = (*_READ, "413", "415", "422", "507")
_errors = errors_of


def _param(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/parameters/{name}"}


def _names_param(name: str, values: list[str], description: str) -> dict[str, Any]:
    """A comma-separated list of names (``style: form``, ``explode: false``)."""
    items: dict[str, Any] = {"enum": values} if values else {"not": {}}
    return {
        "name": name,
        "in": "query",
        "required": False,
        "style": "form",
        "explode": False,
        "description": description,
        "schema": {"type": "array", "items": items, "minItems": 1},
    }


def shared_parameters(default_limit: int, max_limit: int) -> dict[str, Any]:
    """Parameters every entity's operations share."""
    return {
        "Filter": {
            "name": "filter",
            "in": "query",
            "description": "A rule-language expression, e.g. amount > 1000 (empty: no filter).",
            "schema": {"type": "string"},
        },
        "Limit": {
            "name": "limit",
            "in": "query",
            "description": f"Page size, 1 to {max_limit} (default {default_limit}).",
            "schema": {"type": "integer", "minimum": 1, "maximum": max_limit},
        },
        "Cursor": {
            "name": "cursor",
            "in": "query",
            "description": "The next_cursor of the previous page (same filter and sort).",
            "schema": {"type": "string"},
        },
        "DryRun": {
            "name": "dry_run",
            "in": "query",
            "description": "true: run every step and write nothing; 200 with what would "
            "happen, would_save false with the errors when the save would be refused "
            "(validations, rules, unique values, a stale version). A malformed body is still "
            "422. 1/0 and yes/no are accepted too.",
            "schema": {"type": "boolean"},
        },
        "AllowDuplicate": ALLOW_DUPLICATE,
        "IfMatch": {
            "name": "If-Match",
            "in": "header",
            "description": 'The version the change is based on: the ETag ("3") or 3.',
            "schema": {"type": "string", "pattern": r'^\s*(W/)?"?[0-9]{1,18}"?\s*$'},
        },
        "IdempotencyKey": {
            "name": "Idempotency-Key",
            "in": "header",
            "description": "Repeating a create with the same key answers the first result.",
            "schema": {"type": "string", "maxLength": 128},
        },
        "AsOf": AS_OF,
        "ListAsOf": LIST_AS_OF,
        "RecordId": {
            "name": "id",
            "in": "path",
            "required": True,
            "schema": {"type": "integer", "minimum": 1, "maximum": 2**63 - 1},
        },
    }


def entity_components(
    entity: CompiledEntity,
    hidden: Collection[str] = (),
    read_only: Collection[str] = (),
    workflows: Collection[WorkflowDef] = (),
) -> dict[str, dict[str, Any]]:
    """The components of one entity (schemas and parameters), without ``hidden`` fields
    and with ``read_only`` ones left out of what a client writes (``workflows``: those
    of the entity, whose state fields a create may only set to the initial state)."""
    starts = {w.field: w.initial for w in workflows}
    key = class_name(entity.name)
    columns = [str(c) for c in entity.columns if c not in hidden]
    order = sortable(entity, hidden)
    unwritable = {*hidden, *read_only}
    return {
        "schemas": {
            key: record_schema(entity, hidden),
            f"{key}_Item": record_schema(entity, hidden, item=True),
            f"{key}_Page": page_schema(entity),
            f"{key}_Create": input_schema(entity, unwritable, starts=starts),
            f"{key}_Update": input_schema(entity, unwritable, update=True),
            f"{key}_Bulk": bulk_schema(entity, hidden),
        },
        "parameters": {
            f"{key}_fields": _names_param(
                "fields", columns, "Columns to return beside id (left out: every column)."
            ),
            f"{key}_sort": _names_param(
                "sort",
                [n for name in order for n in (name, f"-{name}")],
                "Sort keys, '-' for descending; the id breaks ties (left out: by id).",
            ),
            f"{key}_expand": _names_param(
                "expand",
                list(expandable(entity, columns)),
                "Reference and user columns to embed as {id, title} (title null when "
                "the caller may not see the target).",
            ),
        },
    }


def _json(schema: dict[str, Any], description: str, **extra: Any) -> dict[str, Any]:
    return {
        "description": description,
        "content": {JSON: {"schema": schema}},
        **extra,
    }


def _paths(
    entity: CompiledEntity, base: str, workflows: Collection[WorkflowDef] = ()
) -> dict[str, Any]:
    key = class_name(entity.name)
    flows = bool(workflows)
    label, plural = entity.entity.label, entity.entity.plural_label
    tag = [label]
    etag = {"ETag": {"description": 'The record version, e.g. "3".', "schema": {"type": "string"}}}
    replayed = {"Idempotent-Replayed": {"schema": {"const": "true"}}}
    one = _json(ref(key), f"The {label}.")
    dry_run = _json(ref("Trellis_DryRun"), "A dry run: what would happen; nothing written.")
    writes = {"content": {JSON: {"schema": ref(f"{key}_Create")}}, "required": True}
    changes = {"content": {JSON: {"schema": ref(f"{key}_Update")}}, "required": True}
    paths: dict[str, Any] = {
        f"{base}/{entity.name}": {
            "get": {
                "tags": tag,
                "summary": f"List {plural}",
                "operationId": f"list{key}",
                "parameters": [
                    _param("Filter"),
                    _param(f"{key}_sort"),
                    _param("Limit"),
                    _param("Cursor"),
                    _param(f"{key}_fields"),
                    _param(f"{key}_expand"),
                    _param("ListAsOf"),
                ],
                "responses": {
                    "200": _json(ref(f"{key}_Page"), f"A page of {plural}."),
                    **_errors(_READ),
                },
            },
            "post": {
                "tags": tag,
                "summary": f"Create a {label}",
                "operationId": f"create{key}",
                "parameters": [
                    _param("DryRun"),
                    _param("AllowDuplicate"),
                    _param("IdempotencyKey"),
                ],
                "requestBody": writes,
                "responses": {
                    "201": {
                        **one,
                        "headers": {**etag, **replayed},
                        "links": links(key, "$response.body#/id", transitions=flows),
                    },
                    "200": dry_run,
                    **_errors(_WRITE),
                },
            },
        },
        f"{base}/{entity.name}/{{id}}": {
            "parameters": [_param("RecordId")],
            "get": {
                "tags": tag,
                "summary": f"Read a {label}",
                "operationId": f"read{key}",
                "parameters": [_param(f"{key}_expand"), _param("AsOf")],
                "responses": {
                    "200": {**one, "headers": {"ETag": {**etag["ETag"], "required": True}}},
                    **_errors(_READ),
                },
            },
            "patch": {
                "tags": tag,
                "summary": f"Update a {label}",
                "operationId": f"update{key}",
                "parameters": [_param("IfMatch"), _param("DryRun"), _param("AllowDuplicate")],
                "requestBody": changes,
                "responses": {
                    "200": _json(
                        {"anyOf": [ref(key), ref("Trellis_DryRun")]},
                        f"The updated {label} (with dry_run: what would happen).",
                        headers=etag,
                        links=links(key, "$request.path.id", transitions=flows),
                    ),
                    **_errors(_WRITE),
                },
            },
            "delete": {
                "tags": tag,
                "summary": f"Delete a {label}",
                "operationId": f"delete{key}",
                "parameters": [_param("IfMatch")],
                "responses": {"204": {"description": "Deleted."}, **_errors(_DELETE)},
            },
        },
        f"{base}/{entity.name}/bulk": {
            "post": {
                "tags": tag,
                "summary": f"Create or upsert many {plural}",
                "operationId": f"bulk{key}",
                "requestBody": {
                    "content": {JSON: {"schema": ref(f"{key}_Bulk")}},
                    "required": True,
                },
                "responses": {
                    "200": _json(ref("Trellis_BulkResult"), "One result per item."),
                    **_errors(_BULK),
                },
            },
        },
    }
    paths.update(data_paths(entity, base, key, _errors, transitions=flows))
    paths.update(merge_paths(entity, base, key, _errors))
    if workflows:
        transitions = transition_path(entity, key, workflows, _errors(TRANSITION_ERRORS), ref)
        paths[f"{base}/{entity.name}/{{id}}/transitions/{{name}}"] = transitions
    paths.update(entity_file_paths(entity, base))
    return paths


def entity_file_paths(
    entity: CompiledEntity, base: str, hidden: Collection[str] = ()
) -> dict[str, Any]:
    """The paths of the entity's file fields (those not ``hidden``)."""
    key = class_name(entity.name)
    return file_paths(entity, base, key, _errors, file_fields(entity, hidden))


def build_openapi(
    app: CompiledApp, tenant: str, *, default_limit: int = 50, max_limit: int = 500
) -> dict[str, Any]:
    """The OpenAPI 3.1 document of ``tenant``'s API (page sizes as configured)."""
    base = f"/t/{tenant}/api"
    paths: dict[str, Any] = {}
    schemas: dict[str, Any] = {
        **shared_schemas(),
        "Trellis_Approval": approval_schema(),
        "Trellis_History": history_schema(),
        **platform_schemas(app),
        **pipeline_schemas(),
    }
    parameters = shared_parameters(default_limit, max_limit)
    for entity in app.entities.values():
        workflows = app.model.workflows_of(entity.name)
        paths.update(_paths(entity, base, workflows))
        paths.update(import_upload_path(entity, base, _errors))
        documents = app.model.documents_of(entity.name)
        if documents:
            paths.update(
                document_paths(
                    entity, base, documents, _errors(_DOCUMENT), _errors(_DOCUMENT_STORE)
                )
            )
            created = paths[f"{base}/{entity.name}"]["post"]["responses"]["201"]
            created["links"] = {**created["links"], **document_links(entity, documents)}
        parts = entity_components(entity, workflows=workflows)
        paths.update(export_paths(entity, base, _errors))
        paths.update(record_stages_path(entity, base, _errors))
        add_line_schemas(parts["schemas"], app, entity)
        schemas.update(parts["schemas"])
        parameters.update(parts["parameters"])
    if app.model.links:
        paths.update(link_paths(base))
        schemas.update(link_schemas(app.model))
    paths.update(platform_paths(base, _errors))
    paths.update(pipeline_paths(app, base, _errors))
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
            "parameters": parameters,
            "responses": error_responses(),
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearer": []}],
    }


__all__ = [
    "build_openapi",
    "entity_components",
    "entity_file_paths",
    "record_schema",
    "shared_parameters",
]
