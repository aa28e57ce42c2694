"""A streamed export: the export runs in its own thread, its bytes come out as chunks.

The database work stays in one thread (the producer) while the web server pulls
chunks from a bounded queue, so at most ``DEPTH`` chunks of ``CHUNK`` bytes are held
whatever the row count. A consumer that stops (the client went away) makes the
producer's next write fail, which ends the export and releases its connection.
"""

from __future__ import annotations

import io
import queue
import threading
from collections.abc import Callable, Iterator
from typing import Any

#: Bytes per chunk handed to the web server, and how many chunks may wait.
CHUNK = 64 << 10
DEPTH = 8
_END = object()


class StreamClosedError(Exception):
    """The reader of a streamed export went away."""


class QueueSink(io.RawIOBase):
    """A write-only, unseekable binary file whose bytes go to a bounded queue."""

    def __init__(self, chunks: queue.Queue[Any], stopped: threading.Event) -> None:
        super().__init__()
        self._chunks = chunks
        self._stopped = stopped
        self._buffer = bytearray()

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        view = bytes(data)
        self._buffer += view
        if len(self._buffer) >= CHUNK:
            self._hand_over()
        return len(view)

    def _hand_over(self) -> None:
        if not self._buffer:
            return
        chunk, self._buffer = bytes(self._buffer), bytearray()
        _put(self._chunks, self._stopped, chunk)

    def flush_all(self) -> None:
        """Hand over what is buffered."""
        self._hand_over()


def _put(chunks: queue.Queue[Any], stopped: threading.Event, item: Any) -> None:
    while True:
        if stopped.is_set():
            raise StreamClosedError("The reader went away.")
        try:
            chunks.put(item, timeout=0.5)
            return
        except queue.Full:
            continue


def stream_bytes(write: Callable[[QueueSink], object]) -> Iterator[bytes]:
    """The bytes ``write(sink)`` writes, as chunks, with ``write`` run in a thread.

    An error of ``write`` is raised from the iterator (the answer is cut short).
    """
    chunks: queue.Queue[Any] = queue.Queue(maxsize=DEPTH)
    stopped = threading.Event()
    failure: list[BaseException] = []

    def produce() -> None:
        sink = QueueSink(chunks, stopped)
        try:
            write(sink)
            sink.flush_all()
        except StreamClosedError:
            return
        except BaseException as exc:  # handed to the reader
            failure.append(exc)
        try:
            _put(chunks, stopped, _END)
        except StreamClosedError:
            return

    worker = threading.Thread(target=produce, name="trellis-export", daemon=True)
    worker.start()
    try:
        while True:
            item = chunks.get()
            if item is _END:
                break
            yield item
    finally:
        stopped.set()
    worker.join()
    if failure:
        raise failure[0]


__all__ = ["CHUNK", "DEPTH", "QueueSink", "StreamClosedError", "stream_bytes"]
