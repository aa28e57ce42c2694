"""Request hygiene before any handler runs: URL and header sizes, NUL, JSON content type.

One ASGI middleware refuses, in the error format of the path (JSON on the API, the
error page on screens):

* a path plus query string longer than ``MAX_URL_BYTES`` (414);
* request headers larger than ``MAX_HEADER_BYTES`` in total (431);
* a NUL character in the path or the query string (400): PostgreSQL cannot compare
  text holding one, and no name, filter or search legitimately does;
* a body announced larger than ``MAX_BODY_BYTES`` (413; Litestar's own
  ``request_max_body_size`` is set to the same limit for streamed bodies);
* a POST, PUT or PATCH body under ``/t/{t}/api/`` that is not ``application/json``
  (or ``application/*+json``; parameters such as ``charset`` allowed) (415). A body a
  browser can send cross-site without asking (``text/plain``, forms) is never JSON.
"""

from __future__ import annotations

import re

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Receive, Scope, Send

from trellis.platform.api.requests import MAX_BODY_BYTES, PayloadTooLargeError
from trellis.platform.records.errors import BadRequestError, RecordError
from trellis.platform.records.views import JSON

#: Longest path plus query string accepted.
MAX_URL_BYTES = 8 * 1024
#: Largest total of header names and values accepted (uvicorn's h11 default, 16 KiB).
MAX_HEADER_BYTES = 16 * 1024
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
_API_PATH = re.compile(r"^/t/[^/]+/api/")
#: API routes whose bodies are not JSON (uploads and draft files, DESIGN.md §14).
NON_JSON_BODY_PATHS = re.compile(
    r"^/t/[^/]+/api/(?:_meta/draft/(?!publish/?$).+|[^/]+/_import|[^/]+/[^/]+/_files/[^/]+/?)$"
)
#: File uploads (API and screens): their handlers stream the body and enforce the file
#: field's own size limit (or the import's, API and wizard) instead of ``MAX_BODY_BYTES``.
UPLOAD_PATHS = re.compile(
    r"^/t/[^/]+/(?:(?:api|e)/[^/]+/[^/]+/_files/[^/]+/?|api/[^/]+/_import/?|e/[^/]+/_import/upload"
    r"|e/[^/]+/[^/]+/_field/[^/]+/file)$"
)


class UriTooLongError(RecordError):
    """The path and query string are too long (414)."""

    status = 414


class HeadersTooLargeError(RecordError):
    """The request headers are too large (431)."""

    status = 431


class UnsupportedMediaTypeError(RecordError):
    """The body is not JSON where the API reads JSON (415)."""

    status = 415


def is_json_media_type(value: str) -> bool:
    """Whether a ``Content-Type`` value is JSON (``application/json`` or ``…+json``)."""
    media = value.split(";", 1)[0].strip().lower()
    return media == JSON or (media.startswith("application/") and media.endswith("+json"))


def _headers(scope: Scope) -> dict[bytes, bytes]:
    return {name.lower(): value for name, value in scope.get("headers", ())}


def _content_length(headers: dict[bytes, bytes]) -> int | None:
    """The announced body size (None when not announced or not a number)."""
    text = headers.get(b"content-length", b"").strip()
    if not text.isdigit():
        return None
    return int(text) if len(text) <= 18 else MAX_BODY_BYTES + 1


def _refusal(scope: Scope) -> RecordError | None:
    """The error a request gets before reaching its handler, or None when it may pass."""
    raw_path = scope.get("raw_path") or str(scope.get("path", "")).encode("utf-8", "replace")
    raw_path = raw_path.split(b"?", 1)[0]  # some servers (and test clients) include it
    query = scope.get("query_string", b"")
    if len(raw_path) + len(query) > MAX_URL_BYTES:
        message = f"The URL is longer than {MAX_URL_BYTES} bytes."
        return UriTooLongError(message, {"__all__": [message]})
    headers = scope.get("headers", ())
    if sum(len(name) + len(value) for name, value in headers) > MAX_HEADER_BYTES:
        message = f"The request headers are larger than {MAX_HEADER_BYTES} bytes."
        return HeadersTooLargeError(message, {"__all__": [message]})
    path = str(scope.get("path", ""))
    if "\x00" in path or b"%00" in query or b"\x00" in query:
        message = "The URL must not contain NUL characters."
        return BadRequestError(message, {"__all__": [message]})
    found = _headers(scope)
    length = _content_length(found)
    if length is not None and length > MAX_BODY_BYTES and not UPLOAD_PATHS.match(path):
        message = f"The request body is larger than {MAX_BODY_BYTES} bytes."
        return PayloadTooLargeError(message, {"__all__": [message]})
    if scope.get("method") not in BODY_METHODS or not _API_PATH.match(path):
        return None
    has_body = bool(length) or b"transfer-encoding" in found
    if not has_body or NON_JSON_BODY_PATHS.match(path):
        return None
    content_type = found.get(b"content-type", b"").decode("latin-1")
    if is_json_media_type(content_type):
        return None
    shown = content_type.strip()[:60] or "none"
    message = f"Send the body as JSON with Content-Type: application/json (got '{shown}')."
    return UnsupportedMediaTypeError(message, {"Content-Type": [message]})


def request_hygiene_middleware(app: ASGIApp) -> ASGIApp:
    """ASGI middleware: refuse malformed requests before any handler reads them."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == ScopeType.HTTP:
            refusal = _refusal(scope)
            if refusal is not None:
                raise refusal
        await app(scope, receive, send)

    return middleware


__all__ = [
    "MAX_HEADER_BYTES",
    "MAX_URL_BYTES",
    "NON_JSON_BODY_PATHS",
    "UPLOAD_PATHS",
    "HeadersTooLargeError",
    "UnsupportedMediaTypeError",
    "UriTooLongError",
    "is_json_media_type",
    "request_hygiene_middleware",
]
