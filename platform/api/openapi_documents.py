"""OpenAPI paths of an entity's documents: ``…/{entity}/{id}/_documents/{name}.pdf``."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from trellis.metadata.model import DocumentDef
from trellis.platform.api.openapi_schemas import class_name
from trellis.platform.records.compiled import CompiledEntity

PDF = "application/pdf"


def document_paths(
    entity: CompiledEntity,
    base: str,
    documents: Collection[DocumentDef],
    errors: dict[str, Any],
) -> dict[str, Any]:
    """One ``GET`` path per document of ``entity`` (``errors``: its error responses)."""
    key = class_name(entity.name)
    paths: dict[str, Any] = {}
    for document in documents:
        paths[f"{base}/{entity.name}/{{id}}/_documents/{document.name}.pdf"] = {
            "parameters": [{"$ref": "#/components/parameters/RecordId"}],
            "get": {
                "tags": [entity.entity.label],
                "summary": f"{document.label} of a {entity.entity.label} (PDF)",
                "description": "Rendered from the package's documents/"
                f"{document.name}.html.j2 over the record and its related lists, as the "
                "caller may read them. 422 when the template fails on this record.",
                "operationId": f"document{key}_{document.name}",
                "responses": {
                    "200": {
                        "description": f"The {document.label} as a PDF download.",
                        "headers": {
                            "Content-Disposition": {
                                "required": True,
                                "schema": {"type": "string", "pattern": "^attachment;"},
                            }
                        },
                        "content": {PDF: {"schema": {"type": "string", "contentMediaType": PDF}}},
                    },
                    **errors,
                },
            },
        }
    return paths


def document_links(entity: CompiledEntity, documents: Collection[DocumentDef]) -> dict[str, Any]:
    """Links from a create's answer to the documents of the new record."""
    key = class_name(entity.name)
    return {
        f"document_{d.name}": {
            "operationId": f"document{key}_{d.name}",
            "parameters": {"path.id": "$response.body#/id"},
            "description": f"The {d.label} of this record (PDF).",
        }
        for d in documents
    }


__all__ = ["document_links", "document_paths"]
