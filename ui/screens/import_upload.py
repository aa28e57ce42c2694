"""Receive the wizard's upload: the file part streamed to disk, the small fields kept.

htmx posts the form with the CSRF header, so the body is streamed here (the file may be
far larger than the screens' body limit); a browser without scripts posts a small form
that the CSRF check has parsed already, and the parts are taken from it.
"""

from __future__ import annotations

import tempfile
from functools import partial
from pathlib import Path
from typing import Any, BinaryIO, cast

import anyio
import multipart
from litestar import Request
from litestar.concurrency import sync_to_thread
from litestar.datastructures import UploadFile
from litestar.types import Empty
from litestar.utils.scope.state import ScopeState

from trellis.platform.files.receive import (
    ReceivedFile,
    UploadRefusedError,
    boundary_of,
    copy_file,
    too_large,
)

#: Longest text field kept from the upload form.
_FIELD_BYTES = 4096
_FIELDS = ("mode", "key", "encoding", "sheet")


async def receive_upload(
    request: Request[Any, Any, Any], limit: int, folder: Path
) -> tuple[ReceivedFile | None, dict[str, list[str]]]:
    """The uploaded file (None when no file was chosen) and the form's text fields.

    Raises:
        UploadRefusedError: not multipart (415), a broken body (400), a file over
            ``limit`` bytes (413).
    """
    if ScopeState.from_scope(request.scope).form is not Empty:
        form = await request.form()
        fields = {name: [str(v) for v in form.getall(name)] for name in _FIELDS if name in form}
        part = form.get("file")
        if not isinstance(part, UploadFile) or not part.filename:
            return None, fields
        source = cast("BinaryIO", part.file)
        return await sync_to_thread(copy_file, source, part.filename, limit, folder), fields
    boundary = boundary_of(request.headers.get("content-type", ""))
    await anyio.Path(folder).mkdir(parents=True, exist_ok=True)
    fd, name = await anyio.to_thread.run_sync(partial(tempfile.mkstemp, dir=folder, prefix=".in-"))
    path = Path(name)
    done = False
    try:
        async with await anyio.open_file(fd, "wb") as out:
            found, fields = await _parse(request, boundary, limit, out, path)
        done = found is not None
        return found, fields
    finally:
        if not done:
            await anyio.to_thread.run_sync(partial(path.unlink, missing_ok=True))


async def _parse(
    request: Request[Any, Any, Any],
    boundary: str,
    limit: int,
    out: anyio.AsyncFile[bytes],
    path: Path,
) -> tuple[ReceivedFile | None, dict[str, list[str]]]:
    parser = multipart.PushMultipartParser(boundary, max_segment_count=32)
    found: ReceivedFile | None = None
    fields: dict[str, list[str]] = {}
    current: str | None = None
    text = bytearray()
    writing = False
    try:
        async for chunk in request.stream():
            for event in parser.parse(chunk):
                if isinstance(event, multipart.MultipartSegment):
                    writing = found is None and event.name == "file" and bool(event.filename)
                    current = event.name if event.filename is None else None
                    text.clear()
                    if writing:
                        found = ReceivedFile(path, event.filename or "", 0, b"")
                elif event is None:
                    if current in _FIELDS:
                        fields.setdefault(current, []).append(text.decode("utf-8", "replace"))
                    writing, current = False, None
                elif writing and found is not None:
                    found.size += len(event)
                    if found.size > limit:
                        raise too_large(limit)
                    await out.write(event)
                elif current is not None and len(text) < _FIELD_BYTES:
                    text += bytes(event[: _FIELD_BYTES - len(text)])
            if parser.closed:
                break
    except multipart.MultipartError as exc:
        raise UploadRefusedError(400, f"The multipart body is broken: {exc}") from exc
    return found, fields


__all__ = ["receive_upload"]
