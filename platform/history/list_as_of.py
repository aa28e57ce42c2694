"""Every record of an entity as it was at a moment, for lists and aggregates.

The same undo as :mod:`record_as_of <trellis.platform.history.as_of>`, over many rows:
candidates are the rows created at or before *t* (live or in the recycle bin today),
read in id batches; for each batch one query fetches the changes made after *t*
(undone newest first) and one the last change at or before it (the standard columns).
Values come back in their stored Python form (int, Decimal, date, UTC datetime …), so
a filter's compiled closure can test them; records in the recycle bin at *t* are left
out. Memory holds one batch of rows and the records the caller keeps.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

import msgspec
import sqlalchemy as sa

from trellis.metadata.model import FIELD_TYPES
from trellis.metadata.model.coerce import FieldValueError
from trellis.platform.records.compiled import CompiledApp, CompiledEntity
from trellis.platform.records.values import as_utc

Record = dict[str, Any]
BATCH = 1000
_DECODER = msgspec.json.Decoder()
_STANDARD_TIMES = frozenset({"created_at", "updated_at", "deleted_at"})


def _stored(entity: CompiledEntity, name: str, value: Any) -> Any:
    """A value of a change row (JSON form) as the column stores it."""
    if value is None:
        return None
    f = entity.entity.fields.get(name)
    if f is not None:
        try:
            return FIELD_TYPES[f.type].coerce(value, f)
        except FieldValueError:
            return value  # a value an older version of the field allowed
    if name in _STANDARD_TIMES and isinstance(value, str):
        return as_utc(datetime.fromisoformat(value.replace("Z", "+00:00")))
    return value


def _undo(entity: CompiledEntity, record: Record, later: list[Any]) -> None:
    """Undo the JSON change sets ``later`` (newest first) on ``record`` in place."""
    for changes in later:
        for name, pair in (changes or {}).items():
            if name in record:
                record[name] = _stored(entity, name, pair[0])


def _changes_by_record(
    conn: sa.Connection, app: CompiledApp, entity: CompiledEntity, ids: list[int], at: datetime
) -> tuple[dict[int, list[str]], dict[int, tuple[Any, Any, Any]]]:
    """Per record: the change sets after ``at`` (newest first, JSON text) and the stamp
    (time, user, version) of the last change at or before it."""
    c = app.changes
    mine = (c.c.entity == entity.name, c.c.record_id.in_(ids))
    later: dict[int, list[str]] = {}
    query = (
        sa.select(c.c.record_id, sa.cast(c.c.changes, sa.Text))
        .where(*mine, c.c.at > at)
        .order_by(c.c.id.desc())
    )
    for record_id, text in conn.execute(query):
        later.setdefault(int(record_id), []).append(str(text))
    last = sa.select(sa.func.max(c.c.id)).where(*mine, c.c.at <= at).group_by(c.c.record_id)
    stamps = {
        int(r[0]): (r[1], r[2], r[3])
        for r in conn.execute(
            sa.select(c.c.record_id, c.c.at, c.c.user_id, c.c.version).where(c.c.id.in_(last))
        )
    }
    return later, stamps


def records_as_of(
    conn: sa.Connection,
    app: CompiledApp,
    entity: CompiledEntity,
    at: datetime,
    *,
    scope: Any = None,
) -> Iterator[Record]:
    """Each record of ``entity`` that existed at ``at``, rebuilt as it was then.

    ``scope`` (a SQL condition over today's row, the caller's record scope) limits the
    candidates. Records are yielded in id order, values in their stored form.
    """
    at = as_utc(at)
    t = entity.table
    where = [t.c.created_at <= at, *([scope] if scope is not None else [])]
    after = 0
    while True:
        rows = conn.execute(
            sa.select(t).where(*where, t.c.id > after).order_by(t.c.id).limit(BATCH)
        ).all()
        if not rows:
            return
        after = int(rows[-1]._mapping["id"])
        later, stamps = _changes_by_record(conn, app, entity, [r.id for r in rows], at)
        for row in rows:
            yield from _rebuilt(entity, dict(row._mapping), later, stamps)


def _rebuilt(
    entity: CompiledEntity,
    row: Mapping[str, Any],
    later: dict[int, list[str]],
    stamps: dict[int, tuple[Any, Any, Any]],
) -> Iterator[Record]:
    """The row as it was (nothing when it was in the recycle bin then)."""
    record = dict(row)
    undone = later.get(record["id"])
    if undone:
        _undo(entity, record, _DECODER.decode("[" + ",".join(undone) + "]"))
        at, user, version = stamps.get(record["id"], (row["created_at"], row["created_by"], 1))
        record["updated_at"], record["updated_by"], record["version"] = at, user, version
    if record.get("deleted_at") is None:
        yield record


__all__ = ["BATCH", "records_as_of"]
