"""The merge operations of the per-tenant document, and the ``allow_duplicate`` parameter.

Per entity: ``POST …/{entity}/_merge``, ``GET …/{entity}/_merge/{merge_id}`` and
``POST …/{entity}/_merge/{merge_id}/_undo`` (docs/duplicates.md).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

from trellis.metadata.model import STANDARD_COLUMNS
from trellis.platform.records.compiled import CompiledEntity
from trellis.platform.records.views import JSON

Errors = Callable[[Collection[str]], dict[str, Any]]
_MERGE = ("400", "401", "403", "404", "409", "413", "414", "415", "422", "429", "503", "507")
_READ = ("400", "401", "403", "404", "414", "429", "503")
_UNDO = ("400", "401", "403", "404", "409", "414", "422", "429", "503", "507")
#: The create's and update's ``allow_duplicate`` query parameter.
ALLOW_DUPLICATE: dict[str, Any] = {
    "name": "allow_duplicate",
    "in": "query",
    "description": "true: save although 'warn' duplicate rules match (docs/duplicates.md); "
    "without it such a save is a 409 listing the duplicates. 'block' rules always refuse (422).",
    "schema": {"type": "boolean"},
}
_ID = {"type": "integer", "minimum": 1, "maximum": 2**63 - 1}
_MERGE_ID = {
    "name": "merge_id",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "pattern": "^[0-9]{1,19}$"},
}


def merge_schemas() -> dict[str, Any]:
    """Component schemas of the merge request and answers."""
    return {
        "Trellis_MergeRequest": {
            "type": "object",
            "properties": {
                "survivor": _ID,
                "losers": {"type": "array", "items": _ID, "minItems": 1, "maxItems": 50},
                "fields": {
                    "type": "object",
                    "description": "Field name -> the id (survivor or a loser) whose value wins.",
                    "additionalProperties": _ID,
                },
            },
            "required": ["survivor", "losers"],
            "additionalProperties": False,
        },
        "Trellis_MergeResult": {
            "type": "object",
            "properties": {
                "merge_id": _ID,
                "survivor": {"type": "object"},
                "losers": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {"id": _ID, "merged_into": _ID},
                        "required": ["id", "merged_into"],
                    },
                },
                "moved": {"type": "integer", "minimum": 0},
            },
            "required": ["merge_id", "survivor", "losers", "moved"],
        },
        "Trellis_Merge": {
            "type": "object",
            "properties": {
                "id": _ID,
                "entity": {"type": "string"},
                "survivor": _ID,
                "losers": {"type": "array", "items": _ID},
                "fields": {"type": "array", "items": {"type": "string"}},
                "moved": {"type": "integer", "minimum": 0},
                "created_at": {"type": "string", "format": "date-time"},
                "created_by": {"type": ["integer", "null"]},
                "undone_at": {"type": ["string", "null"], "format": "date-time"},
            },
            "required": ["id", "entity", "survivor", "losers", "fields", "moved", "undone_at"],
        },
    }


def _request(entity: CompiledEntity) -> dict[str, Any]:
    """The merge request of ``entity``: ``fields`` names only the fields a merge may pick."""
    choosable = [
        name
        for name, f in entity.entity.fields.items()
        if f.formula is None and f.rollup is None and name not in STANDARD_COLUMNS
    ]
    schema = merge_schemas()["Trellis_MergeRequest"]
    fields = {**schema["properties"]["fields"], "propertyNames": {"enum": choosable}}
    return {**schema, "properties": {**schema["properties"], "fields": fields}}


def merge_paths(
    entity: CompiledEntity, base: str, key: str, errors: Errors
) -> dict[str, dict[str, Any]]:
    """The path items of one entity's merge and undo."""
    label, plural = entity.entity.label, entity.entity.plural_label
    tag = [label]
    merge = {"$ref": "#/components/schemas/Trellis_Merge"}
    return {
        f"{base}/{entity.name}/_merge": {
            "post": {
                "tags": tag,
                "summary": f"Merge duplicate {plural}",
                "description": "Needs update and delete (record scope applies). References "
                "to the losers move to the survivor, tags are united, losers go to the "
                "recycle bin. Nothing changes when any record or field is refused.",
                "operationId": f"merge{key}",
                "requestBody": {"content": {JSON: {"schema": _request(entity)}}, "required": True},
                "responses": {
                    "200": _json({"$ref": "#/components/schemas/Trellis_MergeResult"}, "Merged."),
                    **errors(_MERGE),
                },
            },
        },
        f"{base}/{entity.name}/_merge/{{merge_id}}": {
            "parameters": [_MERGE_ID],
            "get": {
                "tags": tag,
                "summary": f"A merge of {plural}",
                "operationId": f"readMerge{key}",
                "responses": {"200": _json(merge, "The merge."), **errors(_READ)},
            },
        },
        f"{base}/{entity.name}/_merge/{{merge_id}}/_undo": {
            "parameters": [_MERGE_ID],
            "post": {
                "tags": tag,
                "summary": f"Undo a merge of {plural}",
                "description": "While the losers are in the recycle bin (409 otherwise): "
                "they come back, the survivor gets its old values, references move back.",
                "operationId": f"undoMerge{key}",
                "responses": {"200": _json(merge, "The merge, undone."), **errors(_UNDO)},
            },
        },
    }


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": schema}}}


__all__ = ["ALLOW_DUPLICATE", "merge_paths", "merge_schemas"]
