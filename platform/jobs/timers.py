"""Due timers of time rules (``after/before N … from <date field>``).

A due timer is claimed in a write transaction (``FOR UPDATE SKIP LOCKED`` on
PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite) and fired by
:class:`~trellis.platform.triggers.firing.TimerFiring` in that same transaction: the
rule's condition is checked again on the current record and, when it holds, every
action runs (set, assign, create, transition, escalate, notify, send email,
webhook). The timer is then marked fired (``fired_at``); saving a new date re-plans it.
"""

from __future__ import annotations

import logging
from datetime import datetime

import sqlalchemy as sa

# A module import, read at call time: automation imports the jobs package (its save
# hook), and the jobs package imports this module; either may be imported first.
import trellis.platform.automation as automation
from trellis.platform.records.compiled import CompiledApp
from trellis.platform.records.service import RecordService
from trellis.platform.triggers import RuleStore, trigger_hook
from trellis.platform.triggers.firing import TimerFiring
from trellis.rules.triggers import CompiledRule

LOG = logging.getLogger("trellis.jobs")


class TimerRunner:
    """Fires the due timers of one compiled app."""

    def __init__(self, app: CompiledApp, service: RecordService | None = None) -> None:
        self.app = app
        self.store = RuleStore(app)
        saver = service or RecordService(app, automation.build_hooks(app))
        self.firing = TimerFiring(app, saver)
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
            # Marked first: a firing that moves the date plans a new timer beside this one.
            conn.execute(t.update().where(t.c.id == row.id).values(fired_at=now))
            self._fire(conn, row.entity, row.rule, int(row.record_id), now)
        return len(rows)

    def _fire(
        self, conn: sa.Connection, entity: str, name: str, record_id: int, now: datetime
    ) -> None:
        rule = self.rules.get((entity, name))
        if rule is None:
            LOG.info("timer of rule %r on %s %s: the rule is gone", name, entity, record_id)
            return
        self.firing.fire(conn, rule, record_id, now)


def scheduled_count(app: CompiledApp, conn: sa.Connection) -> int:
    """Timers waiting to fire."""
    t = RuleStore(app).timers
    return int(conn.execute(sa.select(sa.func.count()).where(t.c.fired_at.is_(None))).scalar() or 0)


__all__ = ["TimerRunner", "scheduled_count"]
