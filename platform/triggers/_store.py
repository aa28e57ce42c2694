"""Rows the trigger rules write: runs, timers, notifications, outbox, counters."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from trellis.platform.db.counters import next_value
from trellis.platform.db.engines import mark_outbox_write
from trellis.platform.db.tables import (
    NOTIFICATIONS_TABLE,
    OUTBOX_TABLE,
    RULE_RUNS_TABLE,
    SEQUENCES_TABLE,
    TIMERS_TABLE,
)
from trellis.platform.records.compiled import CompiledApp
from trellis.platform.records.values import as_utc
from trellis.rules.triggers import CompiledRule


class RuleStore:
    """The internal tables of one compiled app used by trigger rules."""

    def __init__(self, app: CompiledApp) -> None:
        tables = app.metadata.tables
        self.runs = tables[RULE_RUNS_TABLE]
        self.timers = tables[TIMERS_TABLE]
        self.notifications = tables[NOTIFICATIONS_TABLE]
        self.outbox = tables[OUTBOX_TABLE]
        self.sequences = tables[SEQUENCES_TABLE]
        #: One INSERT for every batch of runs, its parameters bound per row.
        self._insert_runs = self.runs.insert().inline()  # inline: no RETURNING of ids
        #: The columns of a run row that depend on the rule only, by rule name.
        self._heads: dict[str, dict[str, Any]] = {}

    def run_row(
        self,
        rule: CompiledRule,
        record_id: int | None,
        outcome: str,
        changes: Mapping[str, Any],
        at: datetime,
    ) -> dict[str, Any]:
        """The row recording one firing of ``rule`` (``record_id`` None: claimed later)."""
        head = self._heads.get(rule.name)
        if head is None:
            head = self._heads[rule.name] = {
                "rule": rule.name,
                "entity": rule.entity,
                "trigger": rule.trigger[:200],
                "phase": rule.phase.value,
            }
        row = head.copy()
        row.update(record_id=record_id, outcome=outcome, changes=dict(changes), at=at)
        return row

    def record_runs(self, conn: sa.Connection, rows: list[dict[str, Any]]) -> None:
        """Write the firings of one save in a single multi-row (executemany) insert."""
        if rows:
            conn.execute(self._insert_runs, rows)

    def sync_timer(
        self, conn: sa.Connection, rule: CompiledRule, record_id: int, due: datetime | None
    ) -> str:
        """Make the rule's waiting timer for the record due at ``due`` (None: no timer).

        A timer that already fired at ``due`` is kept and not planned again, so one
        due time fires once. Returns ``planned``, ``kept``, ``cancelled`` or ``none``.
        """
        t = self.timers
        mine = sa.and_(t.c.rule == rule.name, t.c.entity == rule.entity, t.c.record_id == record_id)
        rows = conn.execute(sa.select(t.c.id, t.c.due_at, t.c.fired_at).where(mine)).all()
        same = {r.id for r in rows if due is not None and as_utc(r.due_at) == due}
        stale = [r.id for r in rows if r.fired_at is None and r.id not in same]
        if stale:
            conn.execute(t.delete().where(t.c.id.in_(stale)))
        if due is None:
            return "cancelled" if stale else "none"
        if same:
            return "kept"
        conn.execute(
            t.insert().values(rule=rule.name, entity=rule.entity, record_id=record_id, due_at=due)
        )
        return "planned"

    def drop_timers(self, conn: sa.Connection, entity: str, record_id: int) -> None:
        """Forget every timer of a deleted record."""
        t = self.timers
        conn.execute(t.delete().where(t.c.entity == entity, t.c.record_id == record_id))

    def notify(
        self,
        conn: sa.Connection,
        user_id: int,
        text: str,
        rule: CompiledRule,
        record_id: int | None,
        at: datetime,
    ) -> None:
        """Leave a notification for ``user_id``."""
        conn.execute(
            self.notifications.insert().values(
                user_id=user_id,
                text=text,
                entity=rule.entity,
                record_id=record_id,
                rule=rule.name,
                at=at,
            )
        )

    def enqueue(
        self, conn: sa.Connection, kind: str, payload: Mapping[str, Any], at: datetime
    ) -> None:
        """Add a pending outbox row (``email`` or ``webhook``) for the job runner."""
        conn.execute(
            self.outbox.insert().values(
                kind=kind, payload=dict(payload), created_at=at, state="pending"
            )
        )
        mark_outbox_write(conn)

    def next_turn(self, conn: sa.Connection, key: str) -> int:
        """Increment and return the counter ``key`` (0 on first use), in the transaction."""
        return next_value(conn, self.sequences, key, first=0)


def due_time(rule: CompiledRule, when: date | datetime | None) -> datetime | None:
    """When a time rule fires for a record whose date field holds ``when`` (UTC)."""
    if when is None:
        return None
    if isinstance(when, datetime):
        start = as_utc(when)
    else:
        start = datetime(when.year, when.month, when.day, tzinfo=UTC)
    return start + timedelta(seconds=rule.offset_seconds)


def list_runs(
    conn: sa.Connection,
    app: CompiledApp,
    *,
    entity: str | None = None,
    record_id: int | None = None,
    limit: int = 50,
    visible: Callable[[sa.Table], sa.ColumnElement[bool] | None] | None = None,
) -> list[dict[str, Any]]:
    """The newest rule runs first, optionally of one entity or record.

    ``visible`` builds, from the runs table, the condition a run must meet to be
    listed (the caller's reach); None lists every run.
    """
    r = app.metadata.tables[RULE_RUNS_TABLE]
    query = sa.select(r).order_by(r.c.id.desc()).limit(limit)
    condition = visible(r) if visible is not None else None
    if condition is not None:
        query = query.where(condition)
    if entity is not None:
        query = query.where(r.c.entity == entity)
    if record_id is not None:
        query = query.where(r.c.record_id == record_id)
    out: list[dict[str, Any]] = []
    for row in conn.execute(query):
        item = dict(row._mapping)
        item["at"] = as_utc(item["at"]).isoformat().replace("+00:00", "Z")
        out.append(item)
    return out


__all__ = ["RuleStore", "due_time", "list_runs"]
