"""File field routes: upload, list, download and remove a record's files.

``POST /t/{t}/api/{entity}/{id}/_files/{field}`` takes ``multipart/form-data`` with one
part named ``file``; the body streams to a temporary file (never whole in memory)
and stops with 413 past the field's limit. Downloads stream from the file store with
``Content-Disposition`` (inline for images and PDF, else attachment) and
``X-Content-Type-Options: nosniff``. A caller who cannot read the record gets 404.
"""

from __future__ import annotations

from typing import Any

import anyio
from litestar import Controller, Request, Response, delete, get, post
from litestar.concurrency import sync_to_thread
from litestar.params import FromPath  # type: ignore[attr-defined]
from litestar.response import Stream

from trellis.platform.api.deps import AppServices, Caller, Target
from trellis.platform.api.file_download import file_response
from trellis.platform.api.records_controller import record_response
from trellis.platform.api.requests import check_query_params
from trellis.platform.files.receive import FRAMING_BYTES, receive_file, too_large
from trellis.platform.records.ids import parse_id

Req = Request[Any, Any, Any]
_NO_PARAMS: frozenset[str] = frozenset()


class FilesController(Controller):
    """``/t/{t}/api/{entity}/{id}/_files/{field}`` and ``…/{field}/{file}``."""

    path = "/{entity:str}/{record_id:str}/_files/{field:str}"

    @post("/", status_code=201, request_max_body_size=None)
    async def upload_file(
        self,
        request: Req,
        services: AppServices,
        call: Caller,
        target: Target,
        record_id: FromPath[str],
        field: FromPath[str],
    ) -> Response[dict[str, Any]]:
        check_query_params(request.query_params, _NO_PARAMS)
        files = services.files
        ident = parse_id(target.name, record_id)
        f = files.field(call, target, field)
        limit = files.limit(f)
        length = request.headers.get("content-length", "")
        if length.isdigit() and int(length) > limit + FRAMING_BYTES:
            raise too_large(limit)
        await sync_to_thread(files.check_upload, call, target, ident, f)
        content_type = request.headers.get("content-type", "")
        received = await receive_file(request.stream(), content_type, limit, files.incoming)
        try:
            body = await sync_to_thread(files.attach, call, target, ident, f, received)
        finally:
            await anyio.to_thread.run_sync(received.discard)
        return record_response(201, body)

    @get("/", sync_to_thread=True)
    def list_files(
        self,
        request: Req,
        services: AppServices,
        call: Caller,
        target: Target,
        record_id: FromPath[str],
        field: FromPath[str],
    ) -> dict[str, Any]:
        check_query_params(request.query_params, _NO_PARAMS)
        files = services.files
        f = files.field(call, target, field)
        value = files.files(call, target, parse_id(target.name, record_id), f)
        items = value if isinstance(value, list) else [] if value is None else [value]
        return {"items": items}

    @get("/{file_id:str}", sync_to_thread=True)
    def download_file(
        self,
        request: Req,
        services: AppServices,
        call: Caller,
        target: Target,
        record_id: FromPath[str],
        field: FromPath[str],
        file_id: FromPath[str],
    ) -> Stream:
        check_query_params(request.query_params, _NO_PARAMS)
        files = services.files
        f = files.field(call, target, field)
        meta, chunks = files.open(call, target, parse_id(target.name, record_id), f, file_id)
        return file_response(meta, chunks)

    @delete("/{file_id:str}", status_code=204, sync_to_thread=True)
    def delete_file(
        self,
        request: Req,
        services: AppServices,
        call: Caller,
        target: Target,
        record_id: FromPath[str],
        field: FromPath[str],
        file_id: FromPath[str],
    ) -> None:
        check_query_params(request.query_params, _NO_PARAMS)
        files = services.files
        f = files.field(call, target, field)
        files.remove(call, target, parse_id(target.name, record_id), f, file_id)


__all__ = ["FilesController"]
