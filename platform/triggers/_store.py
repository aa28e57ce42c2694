"""Rows the trigger rules write: runs, timers, notifications, outbox, counters."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

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

    def run_row(
        self,
        rule: CompiledRule,
        record_id: int | None,
        outcome: str,
        changes: Mapping[str, Any],
        at: datetime,
    ) -> dict[str, Any]:
        """The row recording one firing of ``rule`` (``record_id`` None: claimed later)."""
        return {
            "rule": rule.name,
            "entity": rule.entity,
            "record_id": record_id,
            "trigger": rule.trigger[:200],
            "phase": rule.phase,
            "outcome": outcome,
            "changes": dict(changes),
            "at": at,
        }

    def record_runs(self, conn: sa.Connection, rows: list[dict[str, Any]]) -> None:
        """Write the firings of one save in a single multi-row insert."""
        if rows:
            conn.execute(self.runs.insert(), rows)

    def plan_timer(
        self,
        conn: sa.Connection,
        rule: CompiledRule,
        record_id: int,
        when: date | datetime | None,
    ) -> datetime | None:
        """Replace the rule's timer for the record; returns the due time (None: no timer)."""
        t = self.timers
        conn.execute(
            t.delete().where(
                t.c.rule == rule.name, t.c.entity == rule.entity, t.c.record_id == record_id
            )
        )
        if when is None or rule.entity is None:
            return None
        if isinstance(when, datetime):
            start = as_utc(when)
        else:
            start = datetime(when.year, when.month, when.day, tzinfo=UTC)
        due = start + timedelta(seconds=rule.offset_seconds)
        conn.execute(
            t.insert().values(rule=rule.name, entity=rule.entity, record_id=record_id, due_at=due)
        )
        return due

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

    def next_turn(self, conn: sa.Connection, key: str) -> int:
        """Increment and return the counter ``key`` (0 on first use), in the transaction."""
        seq = self.sequences
        updated = conn.execute(
            seq.update()
            .where(seq.c.name == key)
            .values(value=seq.c.value + 1)
            .returning(seq.c.value)
        ).scalar()
        if updated is None:
            conn.execute(seq.insert().values(name=key, value=0))
            return 0
        return int(updated)


def list_runs(
    conn: sa.Connection,
    app: CompiledApp,
    *,
    entity: str | None = None,
    record_id: int | None = None,
    limit: int = 50,
) -> list[dict[str, Any]]:
    """The newest rule runs first, optionally of one entity or record."""
    r = app.metadata.tables[RULE_RUNS_TABLE]
    query = sa.select(r).order_by(r.c.id.desc()).limit(limit)
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


__all__ = ["RuleStore", "list_runs"]
