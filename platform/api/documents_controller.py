"""``GET /t/{t}/api/{entity}/{id}/_documents/{name}.pdf``: a document of a record as PDF.

The caller must be able to read the record (403 for an entity its roles cannot read,
404 for a record outside its scope, an unknown record or document); a template that
fails on this record is 422 in the ``Errors`` shape. Rendering runs in the thread pool.

``POST …/_documents/{name}`` renders the document and saves the PDF as the newest
version of the file field its sidecar names in ``store_in`` (201 with the field and the
stored file; the caller needs ``update``; nothing is stored when rendering fails).
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Response, get, post, route
from litestar.enums import HttpMethod
from litestar.params import FromPath  # type: ignore[attr-defined]

from trellis.platform.api.deps import AppServices, Caller, Target
from trellis.platform.records.ids import parse_id


class DocumentsController(Controller):
    """``/t/{t}/api/{entity}/{id}/_documents``."""

    path = "/{entity:str}/{record_id:str}/_documents"

    @route(
        "/{name:str}",
        http_method=[HttpMethod.OPTIONS],
        include_in_schema=False,
        sync_to_thread=False,
    )
    def document_options(self, name: FromPath[str]) -> Response[None]:
        """``Allow`` of ``{name}.pdf`` (the download) and of ``{name}`` (storing it)."""
        allow = "GET, OPTIONS" if name.endswith(".pdf") else "OPTIONS, POST"
        return Response(content=None, status_code=204, headers={"Allow": allow})

    @get("/{name:str}", sync_to_thread=True)
    def document_pdf(
        self,
        services: AppServices,
        call: Caller,
        target: Target,
        record_id: FromPath[str],
        name: FromPath[str],
    ) -> Response[bytes]:
        ident = parse_id(target.name, record_id)
        rendered = services.documents.pdf_file(call, target, ident, name)
        return Response(
            rendered.content,
            media_type=rendered.media_type,
            headers={"Content-Disposition": rendered.disposition},
        )

    @post("/{name:str}", status_code=201, sync_to_thread=True)
    def store_document(
        self,
        services: AppServices,
        call: Caller,
        target: Target,
        record_id: FromPath[str],
        name: FromPath[str],
    ) -> dict[str, Any]:
        """Render the document and save the PDF as a new version on its ``store_in`` field."""
        ident = parse_id(target.name, record_id)
        field, stored = services.documents.store(call, target, ident, name)
        return {"field": field, "file": stored}


__all__ = ["DocumentsController"]
