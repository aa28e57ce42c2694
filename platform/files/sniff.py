"""What an upload really is, from its first bytes; the client's claimed type is ignored.

Binary formats are recognised by their magic numbers with ``filetype`` (pure Python,
no system library, about 80 formats). Only the allow-list below is accepted; text
without a magic number is accepted when it decodes as UTF-8. Executables (ELF, PE,
Mach-O, Java classes, scripts starting with ``#!``) and anything unrecognised are
refused, whatever the file is called.
"""

from __future__ import annotations

import filetype

#: Bytes of the file's start the sniffing looks at.
SNIFF_BYTES = 8192
#: Accepted formats (sniffed MIME types).
ALLOWED_TYPES = frozenset(
    {
        "application/pdf",
        "image/png",
        "image/jpeg",
        "image/gif",
        "image/webp",
        "image/bmp",
        "image/tiff",
        "image/heic",
        "image/avif",
        "application/zip",
        "application/gzip",
        "application/x-7z-compressed",
        "application/rtf",
        "application/msword",
        "application/vnd.ms-excel",
        "application/vnd.ms-powerpoint",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "application/vnd.oasis.opendocument.text",
        "application/vnd.oasis.opendocument.spreadsheet",
        "application/vnd.oasis.opendocument.presentation",
        "application/epub+zip",
        "audio/mpeg",
        "audio/mp4",
        "audio/ogg",
        "audio/x-wav",
        "video/mp4",
        "video/quicktime",
        "video/webm",
    }
)
#: Magic numbers of executables ``filetype`` does not name (Mach-O, Java class, scripts).
_EXECUTABLE_MAGIC = (
    b"\x7fELF",
    b"MZ",
    b"\xfe\xed\xfa\xce",
    b"\xfe\xed\xfa\xcf",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",
    b"#!",
)
#: Types shown in the browser (``Content-Disposition: inline``); the rest download.
INLINE_TYPES = frozenset(
    {"application/pdf", "image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp"}
)


class RefusedContentError(ValueError):
    """The upload is an executable or a format that is not accepted."""


def sniff(head: bytes, name: str) -> str:
    """The MIME type of a file starting with ``head`` (its name only picks CSV text).

    Raises:
        RefusedContentError: an executable, or a format not in the allow-list.
    """
    if head.startswith(_EXECUTABLE_MAGIC):
        raise RefusedContentError("Executable files are not accepted.")
    kind = filetype.guess(head)
    if kind is not None:
        if kind.mime in ALLOWED_TYPES:
            return str(kind.mime)
        raise RefusedContentError(f"Files of type {kind.mime} are not accepted.")
    if _is_text(head):
        return "text/csv" if name.lower().endswith(".csv") else "text/plain"
    raise RefusedContentError("The file's format is not recognised; it is not accepted.")


def _is_text(head: bytes) -> bool:
    """UTF-8 text without NUL (a multi-byte character may be cut at the end of ``head``)."""
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        return len(head) == SNIFF_BYTES and exc.start >= len(head) - 3
    return True


__all__ = ["ALLOWED_TYPES", "INLINE_TYPES", "SNIFF_BYTES", "RefusedContentError", "sniff"]
