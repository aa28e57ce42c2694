"""Due timers of time rules (``after/before N … from <date field>``).

A due timer is claimed in a write transaction (``FOR UPDATE SKIP LOCKED`` on
PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite); its rule's condition is evaluated on the
current record and, when it holds, the rule's email, webhook and notify actions
write outbox rows and notifications in that same transaction. The timer is then
marked fired (``fired_at``); saving a new date re-plans it. Actions that change
records (set, assign, create) are not run from timers yet: the rule run records
them as skipped.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from trellis.platform.records.compiled import CompiledApp
from trellis.platform.records.values import to_json
from trellis.platform.triggers import RuleStore, trigger_hook
from trellis.rules.expr import EvalContext
from trellis.rules.triggers import CompiledAction, CompiledRule

LOG = logging.getLogger("trellis.jobs")
#: Action kinds a timer runs; the others are recorded as skipped.
TIMER_ACTIONS = frozenset({"email", "webhook", "notify"})


class TimerRunner:
    """Fires the due timers of one compiled app."""

    def __init__(self, app: CompiledApp) -> None:
        self.app = app
        self.store = RuleStore(app)
        hook = trigger_hook(app)
        self.rules: dict[tuple[str, str], CompiledRule] = {}
        for rules in hook.timers.values() if hook is not None else ():
            for rule in rules:
                self.rules[(str(rule.entity), rule.name)] = rule

    def fire_due(self, conn: sa.Connection, now: datetime, limit: int) -> int:
        """Fire up to ``limit`` due timers; call inside a write transaction."""
        t = self.store.timers
        rows = conn.execute(
            sa.select(t.c.id, t.c.rule, t.c.entity, t.c.record_id)
            .where(t.c.fired_at.is_(None), t.c.due_at <= now)
            .order_by(t.c.due_at, t.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
        for row in rows:
            self._fire(conn, row.entity, row.rule, int(row.record_id), now)
            conn.execute(t.update().where(t.c.id == row.id).values(fired_at=now))
        return len(rows)

    def _fire(
        self, conn: sa.Connection, entity: str, name: str, record_id: int, now: datetime
    ) -> None:
        rule = self.rules.get((entity, name))
        compiled = self.app.entities.get(entity)
        if rule is None or compiled is None:
            LOG.info("timer of rule %r on %s %s: the rule is gone", name, entity, record_id)
            return
        table = compiled.table
        row = conn.execute(
            sa.select(table).where(table.c.id == record_id, table.c.deleted_at.is_(None))
        ).first()
        if row is None:
            return
        record = dict(row._mapping)
        ev = EvalContext(now=now)
        if rule.when is not None and not rule.when.evaluate(record, ev):
            run = self.store.run_row(rule, record_id, "condition false", {}, now)
            self.store.record_runs(conn, [run])
            return
        fields = compiled.entity.fields
        data = {k: to_json(v, fields.get(k)) for k, v in record.items()}
        changes: dict[str, Any] = {}
        for action in rule.actions:
            self._action(conn, rule, action, record, data, changes, now)
        self.store.record_runs(conn, [self.store.run_row(rule, record_id, "applied", changes, now)])

    def _action(
        self,
        conn: sa.Connection,
        rule: CompiledRule,
        action: CompiledAction,
        record: dict[str, Any],
        data: dict[str, Any],
        changes: dict[str, Any],
        now: datetime,
    ) -> None:
        record_id = int(record["id"])
        payload: dict[str, Any] = {"rule": rule.name, "entity": rule.entity, "record_id": record_id}
        if action.kind not in TIMER_ACTIONS:
            changes[action.kind] = "skipped: not run from timers"
            LOG.warning("rule %r: action %r is not run from timers", rule.name, action.kind)
            return
        if action.kind == "webhook":
            payload.update(url=action.text, event="timer", record=data)
            self.store.enqueue(conn, "webhook", payload, now)
            changes["webhook"] = action.text
            return
        column = "owner_id" if action.target in (None, "owner") else str(action.target)
        recipient = record.get(column)
        if action.kind == "email":
            payload.update(template=action.text, to=recipient, record=data)
            self.store.enqueue(conn, "email", payload, now)
            changes["send email"] = action.text
        elif action.kind == "notify" and action.template is not None:
            if not isinstance(recipient, int):
                changes["notify"] = None
                return
            at = to_json(now, None)
            text = action.template.render({**data, "record": data, "at": at})
            self.store.notify(conn, recipient, text, rule, record_id, now)
            changes["notify"] = recipient


def scheduled_count(app: CompiledApp, conn: sa.Connection) -> int:
    """Timers waiting to fire."""
    t = RuleStore(app).timers
    return int(conn.execute(sa.select(sa.func.count()).where(t.c.fired_at.is_(None))).scalar() or 0)


__all__ = ["TIMER_ACTIONS", "TimerRunner", "scheduled_count"]
