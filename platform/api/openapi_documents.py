"""OpenAPI paths of an entity's documents: ``GET …/{entity}/{id}/_documents/{name}.pdf``,
and ``POST …/{entity}/{id}/_documents/{name}`` for a document saved on a file field."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from trellis.metadata.model import DocumentDef
from trellis.metadata.model.file_schema import FILE_SCHEMA
from trellis.platform.api.openapi_schemas import class_name
from trellis.platform.records.compiled import CompiledEntity
from trellis.platform.records.views import JSON

PDF = "application/pdf"


def document_paths(
    entity: CompiledEntity,
    base: str,
    documents: Collection[DocumentDef],
    errors: dict[str, Any],
    store_errors: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One ``GET`` path per document of ``entity`` (``errors``: its error responses), and
    a ``POST`` path per document with ``store_in`` (``store_errors``)."""
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
        if document.store_in is not None:
            path = f"{base}/{entity.name}/{{id}}/_documents/{document.name}"
            paths[path] = _store_path(entity, document, store_errors or errors)
    return paths


def _store_path(entity: CompiledEntity, document: DocumentDef, errors: dict[str, Any]) -> Any:
    """``POST …/_documents/{name}``: render and save the PDF on the ``store_in`` field."""
    answer = {
        "type": "object",
        "required": ["field", "file"],
        "properties": {"field": {"const": document.store_in}, "file": FILE_SCHEMA},
    }
    return {
        "parameters": [{"$ref": "#/components/parameters/RecordId"}],
        "post": {
            "tags": [entity.entity.label],
            "summary": f"Save the {document.label} of a {entity.entity.label} on the record",
            "description": f"Renders the {document.label} as for the download and saves the "
            f"PDF as the newest version of file field `{document.store_in}` (uploaded by "
            "the caller, now); the earlier versions are kept. Needs update on the record; "
            "422 when the template fails, and then nothing is stored.",
            "operationId": f"storeDocument{class_name(entity.name)}_{document.name}",
            "responses": {
                "201": {
                    "description": "The field and the stored PDF's metadata.",
                    "content": {JSON: {"schema": answer}},
                },
                **errors,
            },
        },
    }


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
