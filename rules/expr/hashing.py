"""``hash_bucket(value, n)``: a bucket every process and both databases agree on.

The hash is the first 8 hex digits of the MD5 of the value's UTF-8 text (an
integer is written in decimal), read as an unsigned 32-bit number; the bucket is
that number modulo ``n``. PostgreSQL computes it with its ``md5()``; SQLite
connections get :func:`hash32` as ``trellis_hash32`` (:func:`install_hash_function`).
An empty value (null or ``""``) has no bucket.
"""

from __future__ import annotations

import hashlib
from typing import Any

SQLITE_HASH32 = "trellis_hash32"


def hash32(text: str) -> int:
    """The first 32 bits of the MD5 of ``text`` (UTF-8), as an unsigned integer."""
    digest = hashlib.md5(text.encode("utf-8"), usedforsecurity=False).hexdigest()
    return int(digest[:8], 16)


def as_hash_text(value: Any) -> str | None:
    """The text a value is hashed as: itself, or an integer in decimal; None if empty."""
    if value is None or value == "":
        return None
    return value if isinstance(value, str) else str(int(value))


def hash_bucket(value: Any, n: Any) -> int | None:
    """The bucket 0..n-1 of ``value``; empty when ``value`` or ``n`` is empty."""
    text = as_hash_text(value)
    if text is None or n is None:
        return None
    return hash32(text) % int(n)


def _sqlite_hash32(value: Any) -> int | None:
    text = None if value is None else as_hash_text(value)
    return None if text is None else hash32(text)


def install_hash_function(dbapi_connection: Any) -> None:
    """Register ``trellis_hash32`` on a sqlite3 connection."""
    dbapi_connection.create_function(SQLITE_HASH32, 1, _sqlite_hash32, deterministic=True)
