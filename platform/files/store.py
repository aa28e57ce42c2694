"""The file store interface and where a record's file lives in it.

A store keeps bytes under a tenant and a key; keys are built here from names the
platform chose (entity, record id, field, generated file id), never from what a
client sent, so no upload can reach another tenant's or record's place.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO, Protocol

#: Bytes per chunk when streaming a file out of a store.
CHUNK_BYTES = 64 * 1024


class FileStore(Protocol):
    """Where the bytes of uploaded files live, one namespace per tenant."""

    def put(self, tenant: str, key: str, source: BinaryIO) -> None:
        """Store ``source`` (read from its current position to the end) under ``key``.

        The file appears whole or not at all.
        """
        ...

    def chunks(self, tenant: str, key: str) -> Iterator[bytes]:
        """The stored bytes in chunks; raises ``FileNotFoundError`` if absent."""
        ...

    def delete(self, tenant: str, key: str) -> None:
        """Remove the file (nothing happens when it is absent)."""
        ...

    def exists(self, tenant: str, key: str) -> bool:
        """Whether a file is stored under ``key``."""
        ...


def file_key(entity: str, record_id: int, field: str, file_id: str) -> str:
    """The store key of one file of a record's file field."""
    return f"{entity}/{record_id}/{field}/{file_id}"


__all__ = ["CHUNK_BYTES", "FileStore", "file_key"]
