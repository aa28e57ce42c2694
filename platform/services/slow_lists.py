"""The slow-list log: list queries at least ``TRELLIS_SLOW_LIST_MS`` slow, noted by shape.

A list is noted after its page was read, in the request's worker thread. Counts gather in
memory per app version and reach the tenant's ``_slow_lists`` table at most once a minute
per shape (by the runtime's clock), in a short write transaction of their own: a table slow
on every request does not turn every read into a write. The first slow list of a shape is
written at once. Counts not yet written when a process stops or a new version is published
are lost (under a minute's worth); a failed write is logged and never fails the list.
``trellis db advise`` reads the table (platform/records/index_advice.py).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from trellis.platform.db.view_tables import SLOW_LISTS_TABLE
from trellis.platform.records.index_advice import NotedShape
from trellis.platform.records.list_shape import ListShape
from trellis.platform.runtime import AppRuntime, PartKey, Runtime

LOG = logging.getLogger("trellis.slow_lists")

#: Longest time a shape's counts wait in memory before they are written.
FLUSH_EVERY = timedelta(seconds=60)


@dataclass(slots=True)
class SlowTally:
    """Slow lists of one shape not yet written."""

    count: int
    total_ms: float
    max_ms: float
    first_at: datetime
    last_at: datetime


@dataclass(slots=True)
class _Shape:
    written_at: datetime | None = None
    tally: SlowTally | None = None


class SlowListLog:
    """The in-memory side of the log for one app version (thread-safe)."""

    def __init__(self) -> None:
        self._shapes: dict[tuple[str, str], _Shape] = {}
        self._lock = threading.Lock()

    def note(self, entity: str, shape: str, ms: float, now: datetime) -> SlowTally | None:
        """Count one slow list; returns the tally to write now, or None to wait."""
        with self._lock:
            state = self._shapes.setdefault((entity, shape), _Shape())
            tally = state.tally
            if tally is None:
                state.tally = SlowTally(1, ms, ms, now, now)
            else:
                tally.count += 1
                tally.total_ms += ms
                tally.max_ms = max(tally.max_ms, ms)
                tally.last_at = now
            if state.written_at is not None and now - state.written_at < FLUSH_EVERY:
                return None
            due, state.tally, state.written_at = state.tally, None, now
            return due


_LOG_PART: PartKey[SlowListLog] = PartKey("records.slow_lists")


def note_slow_list(
    runtime: Runtime, rt: AppRuntime, entity: str, shape: ListShape, ms: float
) -> None:
    """Note a list that took ``ms`` milliseconds when it is at least the configured
    threshold; writes the shape's counts when they are due."""
    threshold = runtime.config.slow_list_ms
    if threshold <= 0 or ms < threshold:
        return
    key = shape.key()
    due = rt.part(_LOG_PART, lambda _rt: SlowListLog()).note(entity, key, ms, runtime.clock.now())
    if due is None:
        return
    try:
        with runtime.engines.tenant_connection(rt.tenant, write=True) as conn, conn.begin():
            write_tally(conn, rt.app.metadata.tables[SLOW_LISTS_TABLE], entity, key, due)
    except SQLAlchemyError:
        LOG.warning("could not note a slow list of %s in tenant %s", entity, rt.tenant)


def write_tally(
    conn: sa.Connection, table: sa.Table, entity: str, shape: str, tally: SlowTally
) -> None:
    """Add ``tally`` to the shape's row (created when missing)."""
    if _add(conn, table, entity, shape, tally):
        return
    try:
        with conn.begin_nested():
            conn.execute(
                table.insert().values(
                    entity=entity,
                    shape=shape,
                    count=tally.count,
                    total_ms=tally.total_ms,
                    max_ms=tally.max_ms,
                    first_at=tally.first_at,
                    last_at=tally.last_at,
                )
            )
    except IntegrityError:  # another process created the row meanwhile
        _add(conn, table, entity, shape, tally)


def _add(conn: sa.Connection, table: sa.Table, entity: str, shape: str, tally: SlowTally) -> bool:
    c = table.c
    result = conn.execute(
        table.update()
        .where(c.entity == entity, c.shape == shape)
        .values(
            count=c.count + tally.count,
            total_ms=c.total_ms + tally.total_ms,
            max_ms=sa.case((c.max_ms < tally.max_ms, tally.max_ms), else_=c.max_ms),
            last_at=tally.last_at,
        )
    )
    return bool(result.rowcount)


def read_slow_lists(runtime: Runtime, tenant: str) -> list[NotedShape]:
    """Every shape noted in ``tenant``'s log, most total time first."""
    t = runtime.app(tenant).metadata.tables[SLOW_LISTS_TABLE]
    query = sa.select(t.c.entity, t.c.shape, t.c.count, t.c.total_ms, t.c.max_ms).order_by(
        t.c.total_ms.desc(), t.c.id
    )
    with runtime.engines.tenant_connection(tenant) as conn:
        rows = conn.execute(query).all()
    return [
        NotedShape(entity, ListShape.from_key(shape), int(count), float(total), float(most))
        for entity, shape, count, total, most in rows
    ]


def clear_slow_lists(runtime: Runtime, tenant: str) -> int:
    """Empty ``tenant``'s log (after the advised indexes are published); returns the rows."""
    t = runtime.app(tenant).metadata.tables[SLOW_LISTS_TABLE]
    with runtime.engines.tenant_connection(tenant, write=True) as conn, conn.begin():
        return int(conn.execute(t.delete()).rowcount or 0)


__all__ = [
    "FLUSH_EVERY",
    "SlowListLog",
    "SlowTally",
    "clear_slow_lists",
    "note_slow_list",
    "read_slow_lists",
    "write_tally",
]
