"""The default file store: one folder per tenant under the data directory."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from trellis.platform.files.store import CHUNK_BYTES


class LocalFileStore:
    """Files under ``<root>/<tenant>/<key>``, written to a temporary file then renamed."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, tenant: str, key: str) -> Path:
        """Where the file of ``key`` lives."""
        return self.root / tenant / key

    def put(self, tenant: str, key: str, source: BinaryIO) -> None:
        """Copy ``source`` to a temporary file beside the target, then rename it."""
        target = self.path(tenant, key)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as out:
                shutil.copyfileobj(source, out, CHUNK_BYTES)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temp, target)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise

    def chunks(self, tenant: str, key: str) -> Iterator[bytes]:
        """Read the file in chunks (opened at once: a missing file raises here)."""
        handle = self.path(tenant, key).open("rb")

        def read() -> Iterator[bytes]:
            with handle:
                while chunk := handle.read(CHUNK_BYTES):
                    yield chunk

        return read()

    def delete(self, tenant: str, key: str) -> None:
        """Remove the file if present."""
        self.path(tenant, key).unlink(missing_ok=True)

    def exists(self, tenant: str, key: str) -> bool:
        """Whether the file is present."""
        return self.path(tenant, key).is_file()


__all__ = ["LocalFileStore"]
