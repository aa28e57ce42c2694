"""A record as it was at a moment, rebuilt from its change rows.

Every write appends one ``_changes`` row (``{field: [before, after]}``, in JSON form),
so the record at time *t* is today's row with every change made after *t* undone,
newest first. The standard columns follow the last change at or before *t*: its
version, time and user. A record created after *t*, or in the recycle bin at *t*,
did not exist then (None). Two queries: the row, then the later changes together
with the last earlier one.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import msgspec
import sqlalchemy as sa

from trellis.platform.records.compiled import CompiledApp, CompiledEntity
from trellis.platform.records.values import as_utc, to_json
from trellis.platform.records.views import record_json

Record = dict[str, Any]
_DECODER = msgspec.json.Decoder()


def record_as_of(
    conn: sa.Connection,
    app: CompiledApp,
    entity: CompiledEntity,
    current: Mapping[str, Any],
    at: datetime,
) -> Record | None:
    """The JSON form of the stored row ``current`` as it was at ``at``; None: it did not
    exist then. Works for live and soft-deleted rows alike."""
    at = as_utc(at)
    if as_utc(current["created_at"]) > at:
        return None
    record = record_json(entity, current)
    c = app.changes
    mine = (c.c.entity == entity.name, c.c.record_id == current["id"])
    last_before = sa.select(sa.func.max(c.c.id)).where(*mine, c.c.at <= at).scalar_subquery()
    # The JSON as text, decoded in one go by msgspec: the dialects' per-row json.loads
    # is most of the time of a read that undoes a thousand changes.
    rows = conn.execute(
        sa.select(c.c.at, c.c.user_id, c.c.version, sa.cast(c.c.changes, sa.Text))
        .where(*mine, sa.or_(c.c.at > at, c.c.id == last_before))
        .order_by(c.c.id.desc())
    ).all()
    if not rows or as_utc(rows[0][0]) <= at:
        return record if record.get("deleted_at") is None else None  # nothing changed since
    last = rows[-1] if as_utc(rows[-1][0]) <= at else None
    later = rows[:-1] if last is not None else rows
    undone: list[dict[str, list[Any]] | None] = _DECODER.decode(
        "[" + ",".join(str(r[3]) for r in later) + "]"
    )
    for changes in undone:
        for name, pair in (changes or {}).items():
            if name in record:
                record[name] = pair[0]
    if last is not None:
        stamp = (to_json(last[0], None), last[1], last[2])
    else:
        stamp = (record["created_at"], record["created_by"], 1)
    record["updated_at"], record["updated_by"], record["version"] = stamp
    if record.get("deleted_at") is not None:
        return None
    return record


__all__ = ["record_as_of"]
