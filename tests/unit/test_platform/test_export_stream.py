"""``stream_bytes``: a writer's bytes come out in order and in bounded chunks; its error
reaches the reader; a reader that stops ends the writer."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from trellis.platform.exports.stream import CHUNK, stream_bytes


def test_bytes_arrive_in_order_in_bounded_chunks() -> None:
    def write(sink: Any) -> None:
        for i in range(20_000):
            sink.write(f"{i:08d}\n".encode())

    chunks = list(stream_bytes(write))
    assert b"".join(chunks) == b"".join(f"{i:08d}\n".encode() for i in range(20_000))
    assert len(chunks) > 1 and max(len(c) for c in chunks) < CHUNK + 10


def test_a_writer_error_reaches_the_reader_after_what_was_written() -> None:
    def write(sink: Any) -> None:
        sink.write(b"x" * (CHUNK + 1))
        raise ValueError("the database went away")

    chunks = stream_bytes(write)
    assert next(chunks) == b"x" * (CHUNK + 1)
    with pytest.raises(ValueError, match="went away"):
        next(chunks)


def test_a_reader_that_stops_ends_the_writer() -> None:
    ended = threading.Event()

    def write(sink: Any) -> None:
        try:
            while True:
                sink.write(b"y" * 1024)
        finally:
            ended.set()

    chunks = stream_bytes(write)
    next(chunks)
    chunks.close()  # the client went away
    assert ended.wait(timeout=10)
