"""Whether a tenant has anything due, in one read-only query.

The dispatcher visits every tenant every round; most have nothing to do. Asking first
(without the write lock that firing and claiming need) keeps an idle tenant's round to
one cheap SELECT instead of several write transactions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from trellis.platform.db.tables import OUTBOX_TABLE, SCHEDULES_TABLE, TIMERS_TABLE
from trellis.platform.jobs.outbox import due_rows
from trellis.platform.recycle.retention import purge_due, stamp


@dataclass(frozen=True, slots=True)
class DueWork:
    """What is due in one tenant at one moment."""

    timers: bool
    schedules: bool
    outbox: bool
    #: The recycle bin's retention purge (platform/recycle/retention.py).
    purge: bool = False


class DueQuery:
    """The question for one app's tables, built once (only ``now`` changes)."""

    def __init__(self, metadata: sa.MetaData) -> None:
        timers = metadata.tables[TIMERS_TABLE]
        schedules = metadata.tables[SCHEDULES_TABLE]
        outbox = metadata.tables[OUTBOX_TABLE]
        now = sa.bindparam("now", type_=sa.DateTime(timezone=True))
        self.statement = sa.select(
            sa.exists().where(timers.c.fired_at.is_(None), timers.c.due_at <= now),
            sa.exists().where(schedules.c.fired_at.is_(None), schedules.c.due_at <= now),
            sa.exists().where(due_rows(outbox, now)),
            purge_due(metadata, sa.bindparam("now_text", type_=sa.Text())),
        )

    def ask(self, conn: sa.Connection, now: datetime) -> DueWork:
        """Due time-rule timers, schedule rows (cron, SLA, reminders), outbox rows, purge."""
        row = conn.execute(self.statement, {"now": now, "now_text": stamp(now)}).one()
        return DueWork(bool(row[0]), bool(row[1]), bool(row[2]), bool(row[3]))


__all__ = ["DueQuery", "DueWork"]
