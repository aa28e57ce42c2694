"""The HTTP/1.1 protocol ``trellis serve`` runs: uvicorn's httptools one, with size limits.

uvicorn's h11 protocol refuses a request head larger than ``h11_max_incomplete_event_size``;
its httptools protocol (C parser, about a fifth less CPU per request) buffers any URL and
any number of header bytes. ``BoundedHttpToolsProtocol`` restores a bound: a request line
or a header block over ``HEAD_LIMIT_BYTES`` (four times the app's own 414/431 limits, so
ordinary oversize still gets the app's JSON answer from ``hygiene``) is answered
``414``/``431`` in plain text and the connection closed, before the app sees it.
"""

from __future__ import annotations

import asyncio
import importlib.util

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from trellis.platform.api.hygiene import MAX_HEADER_BYTES, MAX_URL_BYTES

#: Largest URL, and largest header block, read before the connection is refused.
URL_LIMIT_BYTES = 4 * MAX_URL_BYTES
HEAD_LIMIT_BYTES = 4 * MAX_HEADER_BYTES
_REASONS = {414: "URI Too Long", 431: "Request Header Fields Too Large"}


class HeadTooLargeError(Exception):
    """Raised inside a parser callback; the parser turns it into an ``HttpParserError``."""


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol refusing oversized request lines and header blocks."""

    _url_bytes = 0
    _head_bytes = 0
    _refusal: int | None = None

    def on_message_begin(self) -> None:
        """A new request on the connection: its counters start at zero."""
        super().on_message_begin()
        self._url_bytes = self._head_bytes = 0
        self._refusal = None

    def on_url(self, url: bytes) -> None:
        """Count the request target's bytes (the parser may deliver it in pieces)."""
        self._url_bytes += len(url)
        if self._url_bytes > URL_LIMIT_BYTES:
            self._refusal = 414
            raise HeadTooLargeError
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        """Count the header block's bytes."""
        self._head_bytes += len(name) + len(value)
        if self._head_bytes > HEAD_LIMIT_BYTES:
            self._refusal = 431
            raise HeadTooLargeError
        super().on_header(name, value)

    def send_400_response(self, msg: str) -> None:
        """The parser stopped: say why when it was a limit of ours, then close."""
        if self._refusal is None:
            super().send_400_response(msg)
            return
        text = _REASONS[self._refusal].encode("ascii")
        head = [STATUS_LINE[self._refusal]]
        head += [b"content-type: text/plain; charset=utf-8\r\n", b"connection: close\r\n"]
        head += [b"content-length: " + str(len(text)).encode("ascii") + b"\r\n\r\n", text]
        self.transport.write(b"".join(head))
        self.transport.close()


def http_protocol(choice: str) -> type[asyncio.Protocol] | str:
    """What to give uvicorn's ``http=`` for ``--http auto|httptools|h11``."""
    if choice == "h11" or (choice == "auto" and importlib.util.find_spec("httptools") is None):
        return "h11"
    return BoundedHttpToolsProtocol
