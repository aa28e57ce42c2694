"""Writing archive entries while counting their bytes, rows and SHA-256."""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Iterable, Iterator
from typing import IO, Any

from trellis.platform.backup.manifest import Entry

#: Entries get this time so the archive's bytes depend on its contents only.
ZIP_TIME = (1980, 1, 1, 0, 0, 0)


class _Counting:
    """Wraps an entry stream: hashes and counts everything written through it."""

    def __init__(self, sink: IO[bytes]) -> None:
        self.sink = sink
        self.digest = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> None:
        self.digest.update(data)
        self.size += len(data)
        self.sink.write(data)


def _info(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    return info


def write_lines(archive: zipfile.ZipFile, name: str, rows: Iterable[dict[str, Any]]) -> Entry:
    """Write ``rows`` as JSON Lines (keys sorted, UTF-8) into entry ``name``."""
    count = 0
    with archive.open(_info(name), "w", force_zip64=True) as raw:
        out = _Counting(raw)
        for row in rows:
            line = json.dumps(row, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
            out.write(line.encode("utf-8") + b"\n")
            count += 1
    return Entry(out.digest.hexdigest(), out.size, count)


def write_chunks(archive: zipfile.ZipFile, name: str, chunks: Iterator[bytes]) -> Entry:
    """Write the bytes of ``chunks`` into entry ``name``."""
    with archive.open(_info(name), "w", force_zip64=True) as raw:
        out = _Counting(raw)
        for chunk in chunks:
            out.write(chunk)
    return Entry(out.digest.hexdigest(), out.size)


def write_bytes(archive: zipfile.ZipFile, name: str, data: bytes) -> Entry:
    """Write ``data`` as entry ``name``."""
    return write_chunks(archive, name, iter([data]))


__all__ = ["ZIP_TIME", "write_bytes", "write_chunks", "write_lines"]
