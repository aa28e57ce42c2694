"""Hard delete: a record in the recycle bin removed for good, with what went with it.

A purge deletes the soft-deleted row, the records deleted with it by cascade that are
still in the bin, and every platform row about them (change history, comments, stage
history, schedules … any internal table with ``entity`` and ``record_id``), except the
delivery log and the outbox, which are the record of what was sent. The retention job
purges records deleted longer ago than the retention period, a batch at a time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from trellis.platform.db.tables import CASCADES_TABLE, DELIVERIES_TABLE, OUTBOX_TABLE
from trellis.platform.records.compiled import CompiledApp, CompiledEntity
from trellis.platform.recycle.cascade import CascadeLog

#: Internal tables whose rows about a record outlive it (what was sent stays on record).
_KEPT = frozenset({DELIVERIES_TABLE, OUTBOX_TABLE, CASCADES_TABLE})


@dataclass(frozen=True, slots=True)
class Purged:
    """What one purge removed: the record, then those deleted with it."""

    entity: str
    record_id: int
    taken: tuple[tuple[str, int], ...]

    @property
    def count(self) -> int:
        """Records removed in all."""
        return 1 + len(self.taken)


def _about_records(app: CompiledApp) -> list[sa.Table]:
    tables = []
    for table in app.metadata.tables.values():
        internal = table.name.startswith("_") and table.name not in _KEPT
        if internal and "entity" in table.c and "record_id" in table.c:
            tables.append(table)
    return tables


def _remove(conn: sa.Connection, app: CompiledApp, entity: CompiledEntity, record_id: int) -> bool:
    t = entity.table
    gone = conn.execute(t.delete().where(t.c.id == record_id, t.c.deleted_at.is_not(None)))
    if gone.rowcount != 1:
        return False
    for table in _about_records(app):
        conn.execute(
            table.delete().where(table.c.entity == entity.name, table.c.record_id == record_id)
        )
    return True


def purge_record(
    conn: sa.Connection, app: CompiledApp, entity: CompiledEntity, record_id: int
) -> Purged | None:
    """Remove deleted record ``record_id`` and what cascade deleted with it; None: not in
    the bin (live, already purged or never there). Call inside a write transaction."""
    log = CascadeLog(app)
    taken = log.of(conn, (entity.name, record_id))
    if not _remove(conn, app, entity, record_id):
        return None
    removed: list[tuple[str, int]] = []
    for child_name, child_id in taken:
        child = app.entities.get(child_name)
        if child is not None and _remove(conn, app, child, child_id):
            removed.append((child_name, child_id))
    log.forget(conn, entity.name, record_id)
    for child_name, child_id in removed:
        log.forget(conn, child_name, child_id)
    return Purged(entity.name, record_id, tuple(removed))


def purge_expired(
    conn: sa.Connection, app: CompiledApp, now: datetime, retention: timedelta, limit: int
) -> list[Purged]:
    """Purge up to ``limit`` records deleted at or before ``now - retention``."""
    cutoff = now - retention
    purged: list[Purged] = []
    for entity in app.entities.values():
        if len(purged) >= limit:
            break
        t = entity.table
        ids = conn.execute(
            sa.select(t.c.id)
            .where(t.c.deleted_at.is_not(None), t.c.deleted_at <= cutoff)
            .order_by(t.c.deleted_at, t.c.id)
            .limit(limit - len(purged))
        ).all()
        for (record_id,) in ids:
            done = purge_record(conn, app, entity, int(record_id))
            if done is not None:
                purged.append(done)
    return purged


__all__ = ["Purged", "purge_expired", "purge_record"]
