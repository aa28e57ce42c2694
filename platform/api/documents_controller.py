"""``GET /t/{t}/api/{entity}/{id}/_documents/{name}.pdf``: a document of a record as PDF.

The caller must be able to read the record (403 for an entity its roles cannot read,
404 for a record outside its scope, an unknown record or document); a template that
fails on this record is 422 in the ``Errors`` shape. Rendering runs in the thread pool.
"""

from __future__ import annotations

from litestar import Controller, Response, get
from litestar.params import FromPath  # type: ignore[attr-defined]

from trellis.platform.api.deps import Api, Caller, Target
from trellis.platform.records.ids import parse_id


class DocumentsController(Controller):
    """``/t/{t}/api/{entity}/{id}/_documents``."""

    path = "/{entity:str}/{record_id:str}/_documents"

    @get("/{file:str}", sync_to_thread=True)
    def document_pdf(
        self, api: Api, call: Caller, target: Target, record_id: FromPath[str], file: FromPath[str]
    ) -> Response[bytes]:
        ident = parse_id(target.name, record_id)
        rendered = api.services.documents.pdf_file(call, target, ident, file)
        return Response(
            rendered.content,
            media_type=rendered.media_type,
            headers={"Content-Disposition": rendered.disposition},
        )


__all__ = ["DocumentsController"]
