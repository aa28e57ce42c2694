"""``Idempotency-Key`` on creates: the first answer is stored and replayed to a retry.

A key belongs to one user; reusing it with a different request body is a 409.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

import sqlalchemy as sa

from trellis.platform.records.compiled import CompiledApp
from trellis.platform.records.errors import ConflictError


def request_hash(entity: str, raw: bytes) -> str:
    """The fingerprint of a create request: its entity and its exact body."""
    return hashlib.sha256(entity.encode() + b"\0" + raw).hexdigest()


def stored_answer(
    conn: sa.Connection, app: CompiledApp, key: str, fingerprint: str
) -> tuple[int, bytes] | None:
    """The status and body stored under ``key``, or None when the key is new.

    Raises:
        ConflictError: the key was used with another request.
    """
    t = app.idempotency
    row = conn.execute(sa.select(t).where(t.c.key == key)).first()
    if row is None:
        return None
    if row.request_hash != fingerprint:
        raise ConflictError(
            "This Idempotency-Key was used with a different request.",
            {"Idempotency-Key": ["Already used with another request."]},
        )
    return int(row.status), bytes(row.body)


def store_answer(
    conn: sa.Connection,
    app: CompiledApp,
    key: str,
    fingerprint: str,
    answer: tuple[int, bytes | None],
    at: datetime,
) -> None:
    """Keep the ``(status, body)`` answered to the request ``key`` names."""
    status, body = answer
    conn.execute(
        app.idempotency.insert().values(
            key=key, request_hash=fingerprint, status=status, body=body, created_at=at
        )
    )


__all__ = ["request_hash", "store_answer", "stored_answer"]
