"""The ``_schedules`` table: due rows of cron rules, SLA timers and activity reminders.

A row is (kind, key, entity, record_id, due_at); a unique index over those makes
planning the same due time twice a no-op, so two dispatchers arming a cron rule at
once leave one row. Due rows are claimed in the firing transaction with ``FOR UPDATE
SKIP LOCKED`` (PostgreSQL) or under SQLite's write lock, and marked ``fired_at``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from trellis.platform.db.tables import SCHEDULES_TABLE


@dataclass(frozen=True, slots=True)
class DueRow:
    """One claimed schedule row."""

    id: int
    kind: str
    key: str
    entity: str
    record_id: int
    due_at: datetime
    data: dict[str, Any]


class Schedules:
    """Operations over one tenant's ``_schedules`` table."""

    def __init__(self, metadata: sa.MetaData) -> None:
        self.table = metadata.tables[SCHEDULES_TABLE]

    def plan(
        self,
        conn: sa.Connection,
        kind: str,
        key: str,
        due_at: datetime,
        *,
        entity: str = "",
        record_id: int = 0,
        data: dict[str, Any] | None = None,
    ) -> bool:
        """Add a row unless the same one exists; True when added (in a savepoint)."""
        values = {
            "kind": kind,
            "key": key,
            "entity": entity,
            "record_id": record_id,
            "due_at": due_at,
            "data": data or {},
        }
        try:
            with conn.begin_nested():
                conn.execute(self.table.insert().values(values))
        except IntegrityError:
            return False
        return True

    def replace(
        self,
        conn: sa.Connection,
        kind: str,
        key: str,
        entity: str,
        record_id: int,
        due_at: datetime | None,
        data: dict[str, Any] | None = None,
    ) -> None:
        """Drop the record's waiting rows of (kind, key) and plan ``due_at`` (None: none)."""
        self.cancel(conn, kind, entity, record_id, key=key)
        if due_at is not None:
            self.plan(conn, kind, key, due_at, entity=entity, record_id=record_id, data=data)

    def cancel(
        self,
        conn: sa.Connection,
        kind: str,
        entity: str,
        record_id: int,
        *,
        key: str | None = None,
    ) -> int:
        """Drop waiting rows of a record (of one key, or all of the kind)."""
        t = self.table
        where = [t.c.kind == kind, t.c.entity == entity, t.c.record_id == record_id]
        where.append(t.c.fired_at.is_(None))
        if key is not None:
            where.append(t.c.key == key)
        return int(conn.execute(t.delete().where(*where)).rowcount)

    def pending(self, conn: sa.Connection, kind: str, key: str) -> datetime | None:
        """The earliest waiting due time of (kind, key) with no record, or None."""
        t = self.table
        query = sa.select(sa.func.min(t.c.due_at)).where(
            t.c.kind == kind, t.c.key == key, t.c.fired_at.is_(None)
        )
        return conn.execute(query).scalar()

    def claim(
        self, conn: sa.Connection, kinds: tuple[str, ...], now: datetime, limit: int
    ) -> list[DueRow]:
        """Lock up to ``limit`` due rows of ``kinds``; call inside a write transaction."""
        t = self.table
        rows = conn.execute(
            sa.select(t)
            .where(t.c.kind.in_(kinds), t.c.fired_at.is_(None), t.c.due_at <= now)
            .order_by(t.c.due_at, t.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
        return [
            DueRow(
                int(r.id), r.kind, r.key, r.entity, int(r.record_id), r.due_at, dict(r.data or {})
            )
            for r in rows
        ]

    def mark_fired(self, conn: sa.Connection, row: DueRow, now: datetime) -> None:
        """Mark a claimed row fired."""
        t = self.table
        conn.execute(t.update().where(t.c.id == row.id).values(fired_at=now))

    def waiting(self, conn: sa.Connection) -> int:
        """Rows waiting to fire."""
        t = self.table
        return int(
            conn.execute(sa.select(sa.func.count()).where(t.c.fired_at.is_(None))).scalar() or 0
        )

    def rows_of(self, conn: sa.Connection, entity: str, record_id: int) -> list[dict[str, Any]]:
        """Every row of a record, by id (tests and the record's timeline)."""
        t = self.table
        query = (
            sa.select(t).where(t.c.entity == entity, t.c.record_id == record_id).order_by(t.c.id)
        )
        return [dict(r._mapping) for r in conn.execute(query)]


__all__ = ["DueRow", "Schedules"]
