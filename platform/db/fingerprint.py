"""A fingerprint of a schema's declared tables, kept beside them, to skip a no-op sync.

Comparing declared tables with the database (``plan_sync``: reflection through Alembic)
is the slowest part of starting a process. The fingerprint of what was last synced is
stored in ``_schema_state``; a start whose declared tables hash the same skips the
comparison. Any change to the declared tables (a new column, index or table) changes
the hash, so the sync runs again exactly when it has something to do.
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from sqlalchemy.schema import CreateIndex, CreateTable

STATE_TABLE = "_schema_state"


def fingerprint(metadata: sa.MetaData, dialect: sa.Dialect) -> str:
    """SHA-256 of the DDL that creates every table and index of ``metadata``."""
    parts: list[str] = []
    for table in metadata.sorted_tables:
        parts.append(str(CreateTable(table).compile(dialect=dialect)))
        for index in sorted(table.indexes, key=lambda i: i.name or ""):
            parts.append(str(CreateIndex(index).compile(dialect=dialect)))
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _state_table(schema: str | None) -> sa.Table:
    return sa.Table(
        STATE_TABLE,
        sa.MetaData(schema=schema),
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("fingerprint", sa.String(64), nullable=False),
    )


def stored_fingerprint(conn: sa.Connection, schema: str | None, name: str) -> str | None:
    """The fingerprint recorded for ``name`` (None before the first sync)."""
    table = _state_table(schema)
    table.create(conn, checkfirst=True)
    found = conn.execute(sa.select(table.c.fingerprint).where(table.c.name == name)).scalar()
    return None if found is None else str(found)


def record_fingerprint(conn: sa.Connection, schema: str | None, name: str, value: str) -> None:
    """Record ``value`` as the fingerprint of ``name`` (in the caller's transaction)."""
    table = _state_table(schema)
    conn.execute(sa.delete(table).where(table.c.name == name))
    conn.execute(sa.insert(table).values(name=name, fingerprint=value))


__all__ = ["STATE_TABLE", "fingerprint", "record_fingerprint", "stored_fingerprint"]
