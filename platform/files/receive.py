"""Receive one file from a ``multipart/form-data`` body without holding it in memory.

The body is parsed as it arrives (``multipart``'s push parser, the one Litestar uses);
the file part's bytes go to a temporary file on disk, written off the event loop.
Past the size limit the upload stops with 413 and the temporary file is removed.
"""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import BinaryIO

import anyio
import multipart

from trellis.platform.files.sniff import SNIFF_BYTES
from trellis.platform.records.errors import RecordError

#: Room for the multipart framing (boundaries, part headers) beyond the file itself.
FRAMING_BYTES = 64 * 1024


class UploadRefusedError(RecordError):
    """The request is no usable upload; ``status`` is 400, 413 or 415."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message, {"file": [message]})
        self.status = status


@dataclass(slots=True)
class ReceivedFile:
    """An upload waiting in a temporary file: the client's file name, size, first bytes."""

    path: Path
    filename: str
    size: int
    head: bytes

    def discard(self) -> None:
        """Remove the temporary file."""
        self.path.unlink(missing_ok=True)


def too_large(limit: int) -> UploadRefusedError:
    """The 413 of an upload over ``limit`` bytes."""
    return UploadRefusedError(413, f"The file is larger than {limit // (1024 * 1024)} MiB.")


def boundary_of(content_type: str) -> str:
    """The boundary of a ``multipart/form-data`` content type (415 otherwise)."""
    media, options = multipart.parse_options_header(content_type)
    boundary = options.get("boundary")
    if media != "multipart/form-data" or not boundary:
        raise UploadRefusedError(
            415, "Send the file as multipart/form-data with one part named 'file'."
        )
    return str(boundary)


async def receive_file(
    chunks: AsyncIterator[bytes], content_type: str, limit: int, folder: Path
) -> ReceivedFile:
    """Stream the part named ``file`` of the body into a temporary file under ``folder``.

    Raises:
        UploadRefusedError: not multipart (415), no file part or a broken body (400),
            a file over ``limit`` bytes (413).
    """
    boundary = boundary_of(content_type)
    await anyio.Path(folder).mkdir(parents=True, exist_ok=True)
    fd, name = await anyio.to_thread.run_sync(partial(tempfile.mkstemp, dir=folder, prefix=".in-"))
    path = Path(name)
    received: ReceivedFile | None = None
    try:
        async with await anyio.open_file(fd, "wb") as out:
            received = await _parse(chunks, boundary, limit, out, path)
    finally:
        if received is None:
            await anyio.to_thread.run_sync(partial(path.unlink, missing_ok=True))
    return received


def copy_file(source: BinaryIO, filename: str, limit: int, folder: Path) -> ReceivedFile:
    """Copy a file already received (a parsed form's part) to a temporary file.

    Blocking: call it off the event loop. Raises ``UploadRefusedError`` (413) past ``limit``.
    """
    folder.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=folder, prefix=".in-")
    found = ReceivedFile(Path(name), filename, 0, b"")
    try:
        with open(fd, "wb") as out:
            while chunk := source.read(SNIFF_BYTES):
                found.size += len(chunk)
                if found.size > limit:
                    raise too_large(limit)
                if len(found.head) < SNIFF_BYTES:
                    found.head += chunk[: SNIFF_BYTES - len(found.head)]
                out.write(chunk)
    except BaseException:
        found.discard()
        raise
    return found


async def _parse(
    chunks: AsyncIterator[bytes],
    boundary: str,
    limit: int,
    out: anyio.AsyncFile[bytes],
    path: Path,
) -> ReceivedFile:
    parser = multipart.PushMultipartParser(boundary, max_segment_count=16)
    found: ReceivedFile | None = None
    writing = False
    try:
        async for chunk in chunks:
            for event in parser.parse(chunk):
                if isinstance(event, multipart.MultipartSegment):
                    writing = found is None and event.name == "file" and event.filename is not None
                    if writing:
                        found = ReceivedFile(path, event.filename or "", 0, b"")
                elif event is None:
                    writing = False
                elif writing and found is not None:
                    found.size += len(event)
                    if found.size > limit:
                        raise too_large(limit)
                    if len(found.head) < SNIFF_BYTES:
                        found.head += bytes(event[: SNIFF_BYTES - len(found.head)])
                    await out.write(event)
            if parser.closed:
                break
        if not parser.closed:
            for _event in parser.parse(b""):
                pass
    except multipart.MultipartError as exc:
        raise UploadRefusedError(400, f"The multipart body is broken: {exc}") from exc
    if found is None:
        raise UploadRefusedError(400, "Send the file in a multipart part named 'file'.")
    return found


__all__ = [
    "FRAMING_BYTES",
    "ReceivedFile",
    "UploadRefusedError",
    "boundary_of",
    "copy_file",
    "receive_file",
    "too_large",
]
