"""``every "<cron>"`` trigger rules: per-tenant schedules kept as ``_schedules`` rows.

Each cron rule has one waiting row (kind ``cron``, key = rule name) whose due time
is the next match of its cron expression (UTC, 5 fields, via ``croniter``). The
dispatcher arms missing rows, fires due ones (the rule's webhooks go to the outbox in
the same transaction) and re-arms at the next match after *now*: a dispatcher that
was down for several periods fires once, not once per missed period. Arming is
idempotent (unique due time) and a due row is claimed by one dispatcher only, so two
dispatchers never fire a period twice.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from croniter import croniter

from trellis.platform.records.compiled import CompiledApp
from trellis.platform.records.values import as_utc, to_json
from trellis.platform.schedules.table import DueRow, Schedules
from trellis.platform.triggers import RuleStore
from trellis.rules.triggers import CompiledRule, check_rules

LOG = logging.getLogger("trellis.jobs")
CRON = "cron"


def next_due(expression: str, after: datetime) -> datetime:
    """The first match of ``expression`` strictly after ``after`` (UTC, whole minutes)."""
    start = as_utc(after).replace(tzinfo=None)
    following: datetime = croniter(expression, start).get_next(datetime)
    return following.replace(tzinfo=UTC)


class CronRunner:
    """Arms and fires the cron rules of one compiled app."""

    def __init__(self, app: CompiledApp) -> None:
        self.app = app
        self.schedules = Schedules(app.metadata)
        self.store = RuleStore(app)
        rules, _problems = check_rules(app.model) if app.model.rule_sources else ([], [])
        self.rules: dict[str, CompiledRule] = {r.name: r for r in rules if r.kind == CRON}

    def arm(self, conn: sa.Connection, now: datetime) -> int:
        """Give every cron rule a waiting row; drop rows of rules gone or changed."""
        if not self.rules:
            return 0  # rows of removed rules fire as no-ops and are not re-armed
        t = self.schedules.table
        waiting = conn.execute(
            sa.select(t.c.id, t.c.key, t.c.data).where(t.c.kind == CRON, t.c.fired_at.is_(None))
        ).all()
        armed: set[str] = set()
        for row in waiting:
            rule = self.rules.get(row.key)
            if rule is None or (row.data or {}).get("cron") != rule.cron:
                conn.execute(t.delete().where(t.c.id == row.id))
            else:
                armed.add(row.key)
        added = 0
        for name, rule in self.rules.items():
            if name not in armed:
                due = next_due(rule.cron, now)
                added += self.schedules.plan(conn, CRON, name, due, data={"cron": rule.cron})
        return added

    def fire(self, conn: sa.Connection, row: DueRow, now: datetime) -> None:
        """Run a due cron row's rule and arm its next period (in the claim's transaction)."""
        rule = self.rules.get(row.key)
        if rule is None or row.data.get("cron") != rule.cron:
            LOG.info("cron row of rule %r: the rule is gone or changed", row.key)
            return
        changes: dict[str, Any] = {}
        scheduled = to_json(as_utc(row.due_at), None)
        for action in rule.actions:
            if action.kind == "webhook":
                payload = {
                    "rule": rule.name,
                    "entity": None,
                    "record_id": None,
                    "url": action.text,
                    "event": "schedule",
                    "record": {"scheduled_at": scheduled},
                }
                self.store.enqueue(conn, "webhook", payload, now)
                changes["webhook"] = action.text
        self.store.record_runs(conn, [self.store.run_row(rule, None, "applied", changes, now)])
        due = next_due(rule.cron, max(as_utc(now), as_utc(row.due_at)))
        self.schedules.plan(conn, CRON, rule.name, due, data={"cron": rule.cron})


__all__ = ["CRON", "CronRunner", "next_due"]
