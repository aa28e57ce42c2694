"""Records a user wrote lately, newest first: the "recent items" of their home page."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from trellis.platform.records.compiled import CompiledApp

#: Change rows read per wanted item (a record written many times shows once).
_SCAN = 8


@dataclass(frozen=True, slots=True)
class Touched:
    """One record the user wrote, and when they last did."""

    entity: str
    record_id: int
    at: datetime


def touched_by(
    conn: sa.Connection,
    app: CompiledApp,
    user_id: int,
    entities: Collection[str],
    limit: int,
) -> list[Touched]:
    """Up to ``limit`` distinct records of ``entities`` that ``user_id`` last wrote, newest
    first (read from the change history; scope is the caller's to apply)."""
    if not entities or limit <= 0:
        return []
    c = app.changes
    query = (
        sa.select(c.c.entity, c.c.record_id, c.c.at)
        .where(c.c.user_id == user_id, c.c.entity.in_(sorted(entities)))
        .order_by(c.c.id.desc())
        .limit(limit * _SCAN)
    )
    seen: set[tuple[str, int]] = set()
    found: list[Touched] = []
    for row in conn.execute(query):
        key = (str(row.entity), int(row.record_id))
        if key in seen:
            continue
        seen.add(key)
        found.append(Touched(key[0], key[1], row.at))
        if len(found) == limit:
            break
    return found


__all__ = ["Touched", "touched_by"]
