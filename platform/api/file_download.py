"""A stored file as a streamed download: its type, disposition and no sniffing."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote

from litestar.response import Stream

from trellis.platform.files.sniff import INLINE_TYPES
from trellis.platform.files.stored import FileJson


def content_disposition(meta: FileJson) -> str:
    """``inline`` for images and PDF, else ``attachment``, with the name (RFC 6266)."""
    kind = "inline" if meta.get("content_type") in INLINE_TYPES else "attachment"
    name = str(meta.get("name") or "file")
    plain = (c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in name)
    fallback = "".join(plain)
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def file_response(meta: FileJson, chunks: Iterator[bytes]) -> Stream:
    """A streamed download of a stored file."""
    return Stream(
        chunks,
        media_type=str(meta.get("content_type") or "application/octet-stream"),
        headers={
            "Content-Disposition": content_disposition(meta),
            "Content-Length": str(meta.get("size") or 0),
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )


__all__ = ["content_disposition", "file_response"]
