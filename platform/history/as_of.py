"""A record as it was at a moment, rebuilt from its change rows.

Every write appends one ``_changes`` row (``{field: [before, after]}``, in JSON form),
so the record at time *t* is today's row with every change made after *t* undone,
newest first. The standard columns follow the last change at or before *t*: its
version, time and user. A record created after *t*, or in the recycle bin at *t*,
did not exist then (None).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from trellis.platform.records.compiled import CompiledApp, CompiledEntity
from trellis.platform.records.values import as_utc, to_json
from trellis.platform.records.views import record_json

Record = dict[str, Any]


def record_as_of(
    conn: sa.Connection, app: CompiledApp, entity: CompiledEntity, record_id: int, at: datetime
) -> Record | None:
    """The JSON form of record ``record_id`` as it was at ``at``; None: it did not exist.

    Works for live and soft-deleted records alike; a purged one has no row (None).
    """
    t = entity.table
    row = conn.execute(sa.select(t).where(t.c.id == record_id)).first()
    if row is None:
        return None
    current = dict(row._mapping)
    at = as_utc(at)
    if as_utc(current["created_at"]) > at:
        return None
    record = record_json(entity, current)
    c = app.changes
    mine = (c.c.entity == entity.name, c.c.record_id == record_id)
    later = conn.execute(
        sa.select(c.c.version, c.c.changes).where(*mine, c.c.at > at).order_by(c.c.id.desc())
    ).all()
    if later:
        for _version, changes in later:
            for name, pair in (changes or {}).items():
                if name in record:
                    record[name] = pair[0]
        last = conn.execute(
            sa.select(c.c.at, c.c.user_id, c.c.version)
            .where(*mine, c.c.at <= at)
            .order_by(c.c.id.desc())
            .limit(1)
        ).first()
        if last is not None:
            stamp = (to_json(last.at, None), last.user_id, last.version)
        else:
            stamp = (record["created_at"], record["created_by"], 1)
        record["updated_at"], record["updated_by"], record["version"] = stamp
    if record.get("deleted_at") is not None:
        return None
    return record


__all__ = ["record_as_of"]
