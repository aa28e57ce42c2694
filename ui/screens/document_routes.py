"""``/t/{t}/e/{entity}/{id}/documents/{name}.pdf``: the detail screen's document downloads.

The same service as the API's ``…/_documents/{name}.pdf`` with the signed-in member's
access; a failure is the screens' error page (404 unknown or out of scope, 422 a
template that fails on this record, with the reason).
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get
from litestar.params import FromPath  # type: ignore[attr-defined]

from trellis.platform.records.ids import parse_id
from trellis.platform.services.caller import readable_entity
from trellis.ui.screens.web import UiServices, signed_in


def document_routes(services: UiServices) -> list[Any]:
    """Route handlers of document downloads."""

    @get("/t/{tenant:str}/e/{entity:str}/{record_id:str}/documents/{file:str}", sync_to_thread=True)
    def document_pdf(
        request: Request[Any, Any, Any],
        tenant: FromPath[str],
        entity: FromPath[str],
        record_id: FromPath[str],
        file: FromPath[str],
    ) -> Response[bytes]:
        ui = signed_in(services, request, tenant)
        target = readable_entity(ui.call, entity)
        rendered = services.app.documents.pdf_file(
            ui.call, target, parse_id(entity, record_id), file
        )
        return Response(
            rendered.content,
            media_type=rendered.media_type,
            headers={"Content-Disposition": rendered.disposition},
        )

    return [document_pdf]


__all__ = ["document_routes"]
