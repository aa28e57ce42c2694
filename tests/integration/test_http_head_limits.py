"""The served HTTP protocol bounds request heads (httptools buffers any size by itself)."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser_support import LiveServer
from trellis.platform.api.http_protocol import (
    HEAD_LIMIT_BYTES,
    URL_LIMIT_BYTES,
    BoundedHttpToolsProtocol,
    http_protocol,
)
from trellis.platform.config import RuntimeConfig
from trellis.platform.runtime import Runtime


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    runtime = Runtime(RuntimeConfig(data_dir=Path(tmp_path_factory.mktemp("head-limits"))))
    live = LiveServer(runtime)
    live.start()
    yield live
    live.stop()
    runtime.close()


def _exchange(port: int, head: bytes) -> bytes:
    """Send a raw request head; everything the server answers until it closes or pauses."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        # The server may close while the rest is still being sent.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            conn.sendall(head)
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
            if b"\r\n\r\n" in answer and b"connection: close" not in answer.lower():
                break
        return answer


def test_the_served_protocol_is_the_bounded_httptools_one() -> None:
    assert http_protocol("auto") is BoundedHttpToolsProtocol
    assert http_protocol("httptools") is BoundedHttpToolsProtocol
    assert http_protocol("h11") == "h11"


def test_a_url_past_the_protocol_limit_is_414_and_the_connection_closes(
    server: LiveServer,
) -> None:
    path = b"/health?" + b"q" * (URL_LIMIT_BYTES + 1)
    answer = _exchange(server.port, b"GET " + path + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 414 ")
    assert b"connection: close" in answer.lower()
    assert answer.endswith(b"URI Too Long")  # the protocol's refusal, not the app's JSON


def test_a_header_block_past_the_protocol_limit_is_431(server: LiveServer) -> None:
    headers = b"".join(b"X-Pad-%d: %s\r\n" % (i, b"v" * 1000) for i in range(80))
    assert len(headers) > HEAD_LIMIT_BYTES
    answer = _exchange(server.port, b"GET /health HTTP/1.1\r\nHost: x\r\n" + headers + b"\r\n")
    assert answer.startswith(b"HTTP/1.1 431 ")
    assert answer.endswith(b"Request Header Fields Too Large")


def test_an_oversize_under_the_protocol_limit_gets_the_apps_json_answer(
    server: LiveServer,
) -> None:
    headers = b"".join(b"X-Pad-%d: %s\r\n" % (i, b"v" * 1000) for i in range(20))
    head = b"GET /t/none/api/x HTTP/1.1\r\nHost: x\r\n" + headers + b"Connection: close\r\n\r\n"
    answer = _exchange(server.port, head)
    assert answer.startswith(b"HTTP/1.1 431 ")
    assert b'"errors"' in answer


def test_requests_on_one_connection_each_start_from_zero(server: LiveServer) -> None:
    """Keep-alive: the counters reset per request, so many ordinary heads pass."""
    one = b"GET /health HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"v" * 8000 + b"\r\n\r\n"
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as conn:
        for _ in range(12):  # 12 x 8 KB > the limit if the count carried over
            conn.sendall(one)
            answer = b""
            while b"\r\n\r\n" not in answer:
                answer += conn.recv(65536)
            head, _, body = answer.partition(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 200 "), head[:80]
            length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
            while len(body) < length:
                body += conn.recv(65536)
