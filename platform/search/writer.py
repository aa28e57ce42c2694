"""Keeping the index in step with the records, inside the caller's transaction.

:func:`index_record` is called by the save pipeline after every write (create, update,
delete, restore, recomputation): the live record's words replace its index row, and
a deleted record leaves the index. :func:`rebuild_entity` refills one entity's index
from its rows, a batch at a time (``trellis search reindex``, a publish that changes
which fields are indexed).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Any

import sqlalchemy as sa

from trellis.platform.records.compiled import CompiledEntity
from trellis.platform.search.fields import index_column, indexed_fields, source_column
from trellis.platform.search.tables import index_table, to_vector
from trellis.platform.search.text import index_text

#: Records read and indexed at a time by a rebuild.
BATCH = 2000


def _statement(conn: sa.Connection, entity: CompiledEntity) -> tuple[sa.Table, sa.Insert]:
    fields = indexed_fields(entity)
    table = index_table(conn.dialect.name, entity.name, fields)
    if conn.dialect.name == "postgresql":
        values: dict[str, Any] = {
            "record_id": sa.bindparam("rid"),
            "doc": to_vector(sa.bindparam("doc", type_=sa.Text)),
        }
        for f in fields:
            values[index_column(f)] = to_vector(sa.bindparam(index_column(f), type_=sa.Text))
    else:
        values = {"rowid": sa.bindparam("rid")}
        values.update({index_column(f): sa.bindparam(index_column(f)) for f in fields})
    return table, table.insert().values(values)


def _params(entity: CompiledEntity, row: Mapping[str, Any]) -> dict[str, Any]:
    fields = indexed_fields(entity)
    texts = {index_column(f): index_text(_text(row.get(source_column(entity, f)))) for f in fields}
    return {"rid": int(row["id"]), "doc": " ".join(t for t in texts.values() if t), **texts}


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else (None if value is None else str(value))


def _key(table: sa.Table) -> sa.ColumnElement[Any]:
    return table.c.record_id if "record_id" in table.c else table.c.rowid


def _source(entity: CompiledEntity) -> list[sa.ColumnElement[Any]]:
    t = entity.table
    return [t.c.id, *(t.c[source_column(entity, f)] for f in indexed_fields(entity))]


def index_record(
    conn: sa.Connection,
    entity: CompiledEntity,
    record_id: int,
    changed: Collection[str] | None = None,
) -> None:
    """Make ``record_id``'s index row match the stored record (none once it is deleted).

    ``changed`` (the fields a write changed) skips writes that touch no indexed field.
    """
    fields = indexed_fields(entity)
    if not fields:
        return
    if changed is not None and "deleted_at" not in changed and not set(fields) & set(changed):
        return
    table, insert = _statement(conn, entity)
    conn.execute(table.delete().where(_key(table) == record_id))
    t = entity.table
    query = sa.select(*_source(entity)).where(t.c.id == record_id, t.c.deleted_at.is_(None))
    row = conn.execute(query).first()
    if row is not None:
        conn.execute(insert, _params(entity, dict(row._mapping)))


def write_rows(
    conn: sa.Connection, entity: CompiledEntity, rows: Iterable[Mapping[str, Any]]
) -> int:
    """Insert the index rows of ``rows`` (records not indexed yet); how many."""
    _, insert = _statement(conn, entity)
    params = [_params(entity, r) for r in rows]
    if params:
        conn.execute(insert, params)
    return len(params)


def rebuild_entity(conn: sa.Connection, entity: CompiledEntity) -> int:
    """Empty ``entity``'s index and refill it from its live records; how many were indexed."""
    if not indexed_fields(entity):
        return 0
    table, _ = _statement(conn, entity)
    conn.execute(table.delete())
    t = entity.table
    last, total = 0, 0
    while True:
        query = (
            sa.select(*_source(entity))
            .where(t.c.deleted_at.is_(None), t.c.id > last)
            .order_by(t.c.id)
            .limit(BATCH)
        )
        rows = [dict(r._mapping) for r in conn.execute(query)]
        if not rows:
            return total
        total += write_rows(conn, entity, rows)
        last = int(rows[-1]["id"])


__all__ = ["BATCH", "index_record", "rebuild_entity", "write_rows"]
