"""The retention job: records in the recycle bin longer than the retention period go for good.

Each tenant keeps the time of its next purge in ``_settings`` (key ``recycle_bin.next_purge``,
an ISO 8601 UTC text, so text order is time order); the job dispatcher's "anything
due?" question asks for it too, so an idle tenant costs no extra query. A due purge
removes up to a batch of records deleted at or before now minus the retention
(``TRELLIS_RECYCLE_RETENTION_DAYS``, 30 by default), by the runtime's clock, then sets
the next run: at once when the batch was full, else a day later. A tenant that never
ran one is due at once. Each purged record is reported to ``on_purged`` (the audit log).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from trellis.platform.db.tables import SETTINGS_TABLE
from trellis.platform.records.compiled import CompiledApp
from trellis.platform.records.values import as_utc
from trellis.platform.recycle.purge import Purged, purge_expired

NEXT_PURGE_KEY = "recycle_bin.next_purge"
#: Records purged per run (the next run follows at once when there were more).
PURGE_BATCH = 500
#: Time between two runs once the bin holds nothing expired.
PURGE_EVERY = timedelta(days=1)

OnPurged = Callable[[list[Purged], datetime], None]


def stamp(at: datetime) -> str:
    """``at`` as fixed-width UTC ISO text (text order is time order)."""
    return as_utc(at).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def claim_due(conn: sa.Connection, settings: sa.Table, key: str, now: datetime) -> bool:
    """Whether the run kept under settings ``key`` is due at ``now``, holding its row.

    The row is locked (skipped when another dispatcher holds it, on PostgreSQL) or created
    when missing; a dispatcher that finds it locked, created by another or not yet due
    does nothing.
    """
    query = sa.select(settings.c.value).where(settings.c.key == key)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    value = conn.execute(query).scalar()
    if value is not None:
        return str(value) <= stamp(now)
    try:
        with conn.begin_nested():
            conn.execute(settings.insert().values(key=key, value=stamp(now)))
    except IntegrityError:
        return False  # another dispatcher created it and runs this time
    return True


def purge_due(metadata: sa.MetaData, now: sa.BindParameter[Any]) -> sa.ColumnElement[bool]:
    """SQL: the tenant's purge is due at ``now`` (a bound ISO text; never run: due)."""
    t = metadata.tables[SETTINGS_TABLE]
    key = t.c.key == NEXT_PURGE_KEY
    return sa.or_(
        ~sa.exists().where(key),
        sa.exists().where(key, t.c.value <= now),
    )


class RetentionPurge:
    """Runs the recycle bin's retention purge of one compiled app."""

    def __init__(
        self,
        app: CompiledApp,
        retention: timedelta,
        on_purged: OnPurged | None = None,
        *,
        batch: int = PURGE_BATCH,
    ) -> None:
        self.app = app
        self.retention = retention
        self.on_purged = on_purged
        self.batch = batch
        self.table = app.metadata.tables[SETTINGS_TABLE]

    def run(self, conn: sa.Connection, now: datetime) -> list[Purged]:
        """Purge a batch of expired records and set the next run (a write transaction).

        Two dispatchers at once: the one that holds the settings row purges; the other
        finds it locked or no longer due and does nothing.
        """
        if not claim_due(conn, self.table, NEXT_PURGE_KEY, now):
            return []
        purged = purge_expired(conn, self.app, now, self.retention, self.batch)
        if purged and self.on_purged is not None:
            self.on_purged(purged, now)
        due = now if len(purged) >= self.batch else now + PURGE_EVERY
        t = self.table
        conn.execute(t.update().where(t.c.key == NEXT_PURGE_KEY).values(value=stamp(due)))
        return purged


__all__ = [
    "NEXT_PURGE_KEY",
    "PURGE_BATCH",
    "PURGE_EVERY",
    "OnPurged",
    "RetentionPurge",
    "claim_due",
    "purge_due",
    "stamp",
]
