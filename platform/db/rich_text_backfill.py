"""Fill a rich text field's plain-text column when a sync adds it to a table with rows.

That happens when a field's type becomes ``rich_text`` (from ``text``, say): its stored
values were never sanitised, so they are cleaned now, before any screen shows them as
HTML, and their words are written to ``_plain_<field>`` for search.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic.operations import ops

from trellis.metadata.model.rich_text import PLAIN_PREFIX, plain_text, sanitise

#: Rows read and written per round trip.
BATCH = 500


def added_plain_columns(operations: list[Any]) -> list[tuple[str | None, str, str]]:
    """``(schema, table, field)`` of each plain-text column an existing table gets."""
    created = {op.table_name for op in operations if isinstance(op, ops.CreateTableOp)}
    found: list[tuple[str | None, str, str]] = []
    for op in operations:
        if isinstance(op, ops.AddColumnOp) and op.table_name not in created:
            name = str(op.column.name)
            if name.startswith(PLAIN_PREFIX):
                found.append((op.schema, op.table_name, name.removeprefix(PLAIN_PREFIX)))
    return found


def backfill(
    conn: sa.Connection, metadata: sa.MetaData, schema: str | None, table: str, field: str
) -> None:
    """Sanitise the stored values of ``field`` and write their plain text."""
    t = metadata.tables.get(table)
    if t is None:
        t = metadata.tables.get(f"{schema}.{table}")
    if t is None or field not in t.c:
        return
    plain = t.c[PLAIN_PREFIX + field]
    last = 0
    while True:
        rows = conn.execute(
            sa.select(t.c.id, t.c[field])
            .where(t.c.id > last, t.c[field].is_not(None))
            .order_by(t.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        for ident, value in rows:
            clean = sanitise(str(value))
            conn.execute(
                t.update()
                .where(t.c.id == ident)
                .values({field: clean, plain.name: plain_text(clean)})
            )
        last = int(rows[-1][0])


__all__ = ["BATCH", "added_plain_columns", "backfill"]
