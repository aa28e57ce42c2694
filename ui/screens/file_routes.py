"""File screens: a record's file fields (a fragment the detail and edit pages load),
upload a file to one, download a file or an earlier version.

The upload streams the multipart body to a temporary file (``platform/files/receive``)
when htmx sends it with the CSRF header; a browser without scripts posts the form with
its ``_csrf_token`` field, which the CSRF check reads (in memory, within the screens'
body limit). Errors (413, 415) come back as a flash message on the record.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, BinaryIO, cast

import anyio
from litestar import Request, Response, get, post
from litestar.concurrency import sync_to_thread
from litestar.datastructures import UploadFile
from litestar.params import FromPath  # type: ignore[attr-defined]
from litestar.response import Stream
from litestar.types import Empty
from litestar.utils.scope.state import ScopeState

from trellis.platform.api.file_download import file_response
from trellis.platform.files.receive import (
    FRAMING_BYTES,
    ReceivedFile,
    UploadRefusedError,
    copy_file,
    receive_file,
    too_large,
)
from trellis.platform.i18n import Translator
from trellis.platform.records.compiled import CompiledEntity
from trellis.platform.records.errors import RecordError
from trellis.platform.records.ids import parse_id
from trellis.platform.services.caller import readable_entity
from trellis.ui.screens.file_view import file_cards
from trellis.ui.screens.web import UiCall, UiServices, page, redirect, signed_in


async def received_upload(
    request: Request[Any, Any, Any], limit: int, folder: Path
) -> ReceivedFile:
    """The uploaded file: streamed from the body, or taken from the form the CSRF check
    read already (a post without scripts, announced within the body limit)."""
    if ScopeState.from_scope(request.scope).form is Empty:
        content_type = request.headers.get("content-type", "")
        return await receive_file(request.stream(), content_type, limit, folder)
    part = (await request.form()).get("file")
    if not isinstance(part, UploadFile):
        raise UploadRefusedError(400, "Send the file in a multipart part named 'file'.")
    source = cast("BinaryIO", part.file)
    return await sync_to_thread(copy_file, source, part.filename, limit, folder)


def file_routes(services: UiServices) -> list[Any]:
    """Route handlers of the file screens."""
    files = services.app.files

    def context(request: Request[Any, Any, Any], tenant: str, name: str) -> tuple[UiCall, Any]:
        ui = signed_in(services, request, tenant)
        return ui, readable_entity(ui.call, name)

    def prepare(
        request: Request[Any, Any, Any], tenant: str, entity: str, record_id: str, field: str
    ) -> tuple[UiCall, CompiledEntity, int, Any]:
        ui, target = context(request, tenant, entity)
        ident = parse_id(entity, record_id)
        f = files.field(ui.call, target, field)
        files.check_upload(ui.call, target, ident, f)
        return ui, target, ident, f

    @post(
        "/t/{tenant:str}/e/{entity:str}/{record_id:str}/_files/{field:str}",
        request_max_body_size=None,
    )
    async def upload_file(
        request: Request[Any, Any, Any],
        tenant: FromPath[str],
        entity: FromPath[str],
        record_id: FromPath[str],
        field: FromPath[str],
    ) -> Response[Any]:
        back = f"/t/{tenant}/e/{entity}/{record_id}"
        t = Translator()  # the reader's once the call is known
        try:
            ui, target, ident, f = await sync_to_thread(
                prepare, request, tenant, entity, record_id, field
            )
            t = ui.translator
            limit = files.limit(f)
            length = request.headers.get("content-length", "")
            if length.isdigit() and int(length) > limit + FRAMING_BYTES:
                raise too_large(limit)
            received = await received_upload(request, limit, files.incoming)
            try:
                await sync_to_thread(files.attach, ui.call, target, ident, f, received)
            finally:
                await anyio.to_thread.run_sync(received.discard)
        except RecordError as exc:
            if exc.status == 404:
                raise
            why = t.message(exc.message)
            text = t.gettext("The file was not uploaded: %(reason)s", reason=why)
            return redirect(request, back, flash=text)
        done = t.gettext("%(label)s: file uploaded.", label=f.label)
        return redirect(request, back, flash=done)

    @get(
        "/t/{tenant:str}/e/{entity:str}/{record_id:str}/_files/{field:str}/{file_id:str}",
        sync_to_thread=True,
    )
    def download_file(
        request: Request[Any, Any, Any],
        tenant: FromPath[str],
        entity: FromPath[str],
        record_id: FromPath[str],
        field: FromPath[str],
        file_id: FromPath[str],
    ) -> Stream:
        ui, target = context(request, tenant, entity)
        f = files.field(ui.call, target, field)
        meta, chunks = files.open(ui.call, target, parse_id(entity, record_id), f, file_id)
        return file_response(meta, chunks)

    @get("/t/{tenant:str}/e/{entity:str}/{record_id:str}/_files", sync_to_thread=True)
    def file_list(
        request: Request[Any, Any, Any],
        tenant: FromPath[str],
        entity: FromPath[str],
        record_id: FromPath[str],
    ) -> Response[Any]:
        ui, target = context(request, tenant, entity)
        record = services.records.read(ui.call, target, parse_id(entity, record_id)).record
        names = services.members.names(ui.tenant)
        cards = file_cards(ui.call, target, record, names, ui.translator.locale)
        return page(request, ui, "_files.html", {"file_cards": cards})

    return [upload_file, download_file, file_list]


__all__ = ["file_routes", "received_upload"]
