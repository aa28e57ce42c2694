"""An entity's records as they were at a moment, in a temporary table SQL can query.

Aggregates as of a past moment (dashboard tiles, stage reports) run the live query
over this table instead of the entity's: it holds the rows that
:func:`~trellis.platform.history.list_as_of.records_as_of` rebuilds (records that
existed then and were not in the recycle bin, inside the caller's record scope as it
is today), with the entity's columns and types. The table lives in the connection's
temporary schema and is dropped when the block ends (or rolled back with the
connection's transaction after an error); memory holds one batch of rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any
from uuid import uuid4

import sqlalchemy as sa
from sqlalchemy.sql import visitors

from trellis.platform.history.list_as_of import BATCH, records_as_of
from trellis.platform.records.compiled import CompiledApp, CompiledEntity


def _temporary(conn: sa.Connection, source: sa.Table) -> sa.Table:
    """A new temporary table with ``source``'s column names and types (no constraints)."""
    schema = "pg_temp" if conn.dialect.name == "postgresql" else "temp"
    columns = [sa.Column(c.name, c.type) for c in source.columns]
    name = f"trellis_past_{uuid4().hex[:16]}"
    return sa.Table(name, sa.MetaData(), *columns, schema=schema, prefixes=["TEMPORARY"])


@contextmanager
def past_table(
    conn: sa.Connection,
    app: CompiledApp,
    entity: CompiledEntity,
    at: datetime,
    *,
    scope: sa.ColumnElement[Any] | None = None,
) -> Iterator[sa.Table]:
    """A temporary table of ``entity``'s records as they were at ``at`` within ``scope``."""
    past = _temporary(conn, entity.table)
    past.create(conn)
    names = [c.name for c in past.columns]
    batch: list[dict[str, Any]] = []
    for record in records_as_of(conn, app, entity, at, scope=scope):
        batch.append({name: record.get(name) for name in names})
        if len(batch) >= BATCH:
            conn.execute(past.insert(), batch)
            batch = []
    if batch:
        conn.execute(past.insert(), batch)
    yield past
    # After an error the connection's transaction is rolled back, the table with it.
    past.drop(conn)


def swap_table(
    expression: sa.ColumnElement[Any], live: sa.Table, past: sa.Table
) -> sa.ColumnElement[Any]:
    """``expression`` with every column of ``live`` read from ``past`` instead."""

    def replace(element: Any, **_: Any) -> Any:
        if isinstance(element, sa.Column) and element.table is live:
            return past.c[element.name]
        return None

    return visitors.replacement_traverse(expression, {}, replace)  # type: ignore[no-any-return]


__all__ = ["past_table", "swap_table"]
