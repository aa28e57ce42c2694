"""Named counters in a tenant's ``_sequences`` table, safe under concurrent first use.

A counter is one row (name, value) bumped with ``UPDATE … RETURNING`` inside the
caller's transaction: the row lock (PostgreSQL) or the write lock (SQLite) hands
each transaction its own value. Its first use creates the row with ``INSERT … ON
CONFLICT DO NOTHING``, so two transactions starting the same counter at once both
go on to the UPDATE instead of one failing on the primary key.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite


def _insert_if_missing(conn: sa.Connection, table: sa.Table, name: str, value: int) -> None:
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(table).values(name=name, value=value)
    conn.execute(statement.on_conflict_do_nothing(index_elements=["name"]))


def next_value(conn: sa.Connection, table: sa.Table, name: str, *, first: int = 1) -> int:
    """Increment counter ``name`` and return its new value (``first`` on first use)."""
    bump = (
        table.update()
        .where(table.c.name == name)
        .values(value=table.c.value + 1)
        .returning(table.c.value)
    )
    updated = conn.execute(bump).scalar()
    if updated is None:
        _insert_if_missing(conn, table, name, first - 1)
        updated = conn.execute(bump).scalar_one()
    return int(updated)


__all__ = ["next_value"]
