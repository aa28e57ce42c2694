"""Workflow transitions and OpenAPI links of the per-tenant document.

An entity with a workflow gets ``POST …/{entity}/{id}/transitions/{name}``. Links say
where a record's id goes next: the id a create answers feeds the read, update,
transition and delete of that record, and an update or a transition leads on to the
same record's next steps, so a client (or a stateful fuzzer) can follow
create → read → update → transition → delete from the document alone.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from trellis.metadata.model import WorkflowDef
from trellis.platform.records.compiled import CompiledEntity

#: Error statuses a transition can answer.
TRANSITION_ERRORS = ("400", "401", "403", "404", "409", "413", "414", "415", "422", "429")


def _operations(key: str, transitions: bool) -> dict[str, str]:
    found = {"read": f"read{key}", "update": f"update{key}", "delete": f"delete{key}"}
    if transitions:
        found["transition"] = f"transition{key}"
    return found


def links(key: str, id_from: str, *, transitions: bool) -> dict[str, Any]:
    """Links from an answer to the operations on the same record (``id_from``: a runtime
    expression such as ``$response.body#/id``)."""
    return {
        name: {
            "operationId": operation,
            "parameters": {"path.id": id_from},
            "description": f"The {name} of this record.",
        }
        for name, operation in _operations(key, transitions).items()
    }


def transition_path(
    entity: CompiledEntity,
    key: str,
    workflows: Collection[WorkflowDef],
    errors: dict[str, Any],
    ref: Any,
) -> dict[str, Any]:
    """The path item of ``…/{id}/transitions/{name}`` (``ref`` makes a schema ``$ref``)."""
    names = sorted({t.name for w in workflows for t in w.transitions})
    states = sorted({w.field for w in workflows})
    label = entity.entity.label
    body = {
        "allOf": [ref(f"{key}_Update"), {"not": {"anyOf": [{"required": [s]} for s in states]}}],
        "description": "Fields set along with the transition (not the state field).",
    }
    return {
        "parameters": [
            {"$ref": "#/components/parameters/RecordId"},
            {"name": "name", "in": "path", "required": True, "schema": {"enum": names}},
        ],
        "post": {
            "tags": [label],
            "summary": f"Run a workflow transition of a {label}",
            "operationId": f"transition{key}",
            "parameters": [{"$ref": "#/components/parameters/IfMatch"}],
            "requestBody": {"content": {"application/json": {"schema": body}}, "required": False},
            "responses": {
                "200": {
                    "description": f"The {label} after the transition (or a decided approval).",
                    "content": {
                        "application/json": {
                            "schema": {"anyOf": [ref(key), ref("Trellis_Approval")]}
                        }
                    },
                    "links": links(key, "$request.path.id", transitions=True),
                },
                "202": {
                    "description": "The transition waits for an approval.",
                    "content": {"application/json": {"schema": ref("Trellis_Approval")}},
                },
                **errors,
            },
        },
    }


def approval_schema() -> dict[str, Any]:
    """The answer of a transition that needs (or had) an approval."""
    return {
        "type": "object",
        "properties": {
            "status": {"type": "string"},
            "approval": {"type": "object"},
            "record": {"type": "object"},
        },
        "required": ["status", "approval", "record"],
    }


__all__ = ["TRANSITION_ERRORS", "approval_schema", "links", "transition_path"]
