"""Where a record's SLA clock stands, for screens: paused, or the next target due.

Read from the tenant's ``_schedules`` rows (sla.py, sla_pause.py): a target parked while
``pause_when`` holds makes the clock *paused*; otherwise the earliest waiting (unfired)
target row, never a warning row, is when it runs out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from trellis.platform.db.tables import SCHEDULES_TABLE
from trellis.platform.records.values import as_utc
from trellis.platform.schedules.sla_pause import PAUSED

_SLA = "sla"
_WARNING = ":warning"


@dataclass(frozen=True, slots=True)
class SlaClock:
    """One record's SLA clock: paused, or running until ``due_at``."""

    paused: bool
    due_at: datetime | None = None


def sla_clocks(
    conn: sa.Connection, metadata: sa.MetaData, entity: str, ids: Iterable[int]
) -> dict[int, SlaClock]:
    """The clocks of ``ids`` that have one (a record with every target met has none)."""
    wanted = sorted(set(ids))
    if not wanted or SCHEDULES_TABLE not in metadata.tables:
        return {}
    t = metadata.tables[SCHEDULES_TABLE]
    running = sa.and_(t.c.kind == _SLA, t.c.fired_at.is_(None), ~t.c.key.like(f"%{_WARNING}"))
    query = sa.select(t.c.record_id, t.c.kind, t.c.due_at).where(
        t.c.entity == entity, t.c.record_id.in_(wanted), sa.or_(t.c.kind == PAUSED, running)
    )
    clocks: dict[int, SlaClock] = {}
    for row in conn.execute(query):
        rid = int(row.record_id)
        known = clocks.get(rid)
        if row.kind == PAUSED or (known is not None and known.paused):
            clocks[rid] = SlaClock(True)
            continue
        due = as_utc(row.due_at)
        if known is None or (known.due_at is not None and due is not None and due < known.due_at):
            clocks[rid] = SlaClock(False, due)
    return clocks


__all__ = ["SlaClock", "sla_clocks"]
