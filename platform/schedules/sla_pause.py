"""Paused SLA targets: where a target's clock stands while ``pause_when`` holds.

A running target is its ``sla`` rows (the target and its warning); their ``data``
carries ``paused``, the business seconds the target spent paused so far. Pausing turns
them into one ``sla_paused`` row of the target whose ``due_at`` and ``fired_at`` are
the moment it paused (so the dispatcher never claims it). Resuming drops that row and
adds the pause to ``paused``; the due times are then start + hours + paused, counted
in the target's calendar, so the paused business time is not spent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from trellis.platform.db.tables import SCHEDULES_TABLE
from trellis.platform.records.values import as_utc

#: The kind of a paused target's row.
PAUSED = "sla_paused"


@dataclass(frozen=True, slots=True)
class PauseState:
    """Where one target's clock stands."""

    #: When the current pause began (None: not paused).
    since: datetime | None
    #: Business seconds of earlier, finished pauses.
    paused: float
    #: Whether the target has a waiting (unfired) ``sla`` row.
    running: bool


class PausedTargets:
    """Reads and writes the paused rows of one tenant's ``_schedules`` table."""

    def __init__(self, metadata: sa.MetaData, kind: str) -> None:
        self.table = metadata.tables[SCHEDULES_TABLE]
        self.kind = kind

    def state(self, conn: sa.Connection, entity: str, record_id: int, key: str) -> PauseState:
        """The target's pause state (never paused and not running: zero, None)."""
        t = self.table
        query = sa.select(t.c.kind, t.c.due_at, t.c.data).where(
            t.c.entity == entity,
            t.c.record_id == record_id,
            t.c.key == key,
            sa.or_(t.c.kind == PAUSED, sa.and_(t.c.kind == self.kind, t.c.fired_at.is_(None))),
        )
        rows = conn.execute(query).all()
        for row in rows:
            if row.kind == PAUSED:
                return PauseState(as_utc(row.due_at), _paused(row.data), False)
        if rows:
            return PauseState(None, _paused(rows[0].data), True)
        return PauseState(None, 0.0, False)

    def park(
        self,
        conn: sa.Connection,
        entity: str,
        record_id: int,
        key: str,
        since: datetime,
        data: dict[str, Any],
    ) -> None:
        """Record that the target paused at ``since`` (``data`` keeps ``paused``)."""
        self.drop(conn, entity, record_id, key)
        values = {"kind": PAUSED, "key": key, "entity": entity, "record_id": record_id}
        conn.execute(self.table.insert().values(**values, due_at=since, fired_at=since, data=data))

    def drop(self, conn: sa.Connection, entity: str, record_id: int, key: str | None) -> int:
        """Forget the paused rows of a record (of one target, or all)."""
        t = self.table
        where = [t.c.kind == PAUSED, t.c.entity == entity, t.c.record_id == record_id]
        if key is not None:
            where.append(t.c.key == key)
        return int(conn.execute(t.delete().where(*where)).rowcount)


def _paused(data: Any) -> float:
    value = data.get("paused") if isinstance(data, dict) else None
    return float(value) if isinstance(value, int | float) else 0.0


__all__ = ["PAUSED", "PauseState", "PausedTargets"]
