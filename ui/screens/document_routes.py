"""``/t/{t}/e/{entity}/{id}/documents/{name}.pdf``: the detail screen's document downloads.

The same service as the API's ``…/_documents/{name}.pdf`` with the signed-in member's
access; a failure is the screens' error page (404 unknown or out of scope, 422 a
template that fails on this record, with the reason).

A document with ``store_in`` is also offered on that file field's card of the record
("Save … here"): ``POST /t/{t}/e/{entity}/{id}/documents/{name}`` renders it, saves the
PDF as the field's newest version and returns to the record with a message (a template
that fails stores nothing and says why).
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath  # type: ignore[attr-defined]

from trellis.platform.records.errors import RecordError
from trellis.platform.records.ids import parse_id
from trellis.platform.services.caller import readable_entity
from trellis.ui.screens.web import UiServices, redirect, signed_in


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

    @post(
        "/t/{tenant:str}/e/{entity:str}/{record_id:str}/documents/{name:str}", sync_to_thread=True
    )
    def store_document(
        request: Request[Any, Any, Any],
        tenant: FromPath[str],
        entity: FromPath[str],
        record_id: FromPath[str],
        name: FromPath[str],
    ) -> Response[Any]:
        ui = signed_in(services, request, tenant)
        target = readable_entity(ui.call, entity)
        ident = parse_id(entity, record_id)
        back = f"/t/{tenant}/e/{entity}/{ident}"
        t = ui.translator
        try:
            field, _ = services.app.documents.store(ui.call, target, ident, name)
        except RecordError as exc:
            if exc.status == 404:
                raise
            reason = t.message(exc.message)
            return redirect(request, back, flash=t.gettext("Not saved: %(reason)s", reason=reason))
        document = services.app.documents.find(ui.call, target, name)
        label = t.label(target.entity.fields[field].label)
        shown = document.labels.get(t.locale, document.label)
        done = t.gettext("%(document)s saved to %(field)s.", document=shown, field=label)
        return redirect(request, back, flash=done)

    return [document_pdf, store_document]


__all__ = ["document_routes"]
