"""``on <entity> every "<cron>"`` rules: each period runs the rule on the matching records.

The records are the live records of the entity for which the rule's ``when`` holds
now (filtered in SQL when the condition has an SQL form, else read and tested one by
one). Each is fired like a due time rule (:class:`~trellis.platform.triggers.firing.
TimerFiring`): ``set`` and ``assign`` change it through the save pipeline as the
system (validations and the entity's other rules included), then the other actions
run; a refused record keeps its values and its run is recorded as ``failed`` while
the others go on. Every record fired writes one ``_rule_runs`` row.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from datetime import datetime

import sqlalchemy as sa

from trellis.platform.records.compiled import CompiledApp
from trellis.platform.records.service import RecordService
from trellis.platform.triggers.firing import TimerFiring
from trellis.rules.expr import EvalContext, ExpressionError
from trellis.rules.triggers import CompiledRule


class CronRecords:
    """Runs the record rules of one compiled app's cron schedule."""

    def __init__(self, app: CompiledApp, service: Callable[[], RecordService]) -> None:
        self.app = app
        self._service = service
        self._firing: TimerFiring | None = None

    def fire(self, conn: sa.Connection, rule: CompiledRule, now: datetime) -> dict[str, int]:
        """Fire ``rule`` on every matching record; the count of runs by outcome."""
        if self._firing is None:  # built on first use: most apps have no such rule
            self._firing = TimerFiring(self.app, self._service())
        outcomes: dict[str, int] = {}
        for record_id in self.matching(conn, rule, now):
            outcome = self._firing.fire(conn, rule, record_id, now)
            if outcome is not None:
                outcomes[outcome] = outcomes.get(outcome, 0) + 1
        return outcomes

    def matching(self, conn: sa.Connection, rule: CompiledRule, now: datetime) -> list[int]:
        """Ids of the live records of the rule's entity its ``when`` may select."""
        entity = self.app.entities.get(rule.entity or "")
        if entity is None:
            return []
        t = entity.table
        query = sa.select(t.c.id).where(t.c.deleted_at.is_(None)).order_by(t.c.id)
        if rule.when is not None:
            # No SQL form: every record is tested by the firing itself.
            with suppress(ExpressionError):
                query = query.where(rule.when.to_sql(self.app.table, EvalContext(now=now)))
        return [int(i) for i in conn.execute(query).scalars()]


__all__ = ["CronRecords"]
