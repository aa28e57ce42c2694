"""What each retention rule would handle now and what its runs have handled (for admins)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from trellis.platform.db.privacy_tables import RETENTION_RUNS_TABLE
from trellis.platform.privacy.retention_rules import matching
from trellis.platform.records.compiled import CompiledApp
from trellis.rules.expr import compile_expression


@dataclass(frozen=True, slots=True)
class RuleOverview:
    """One rule: its definition, the records it would handle now, and its past runs."""

    rule: str
    entity: str
    action: str
    when: str
    #: Live records the rule matches now (its next run handles up to 500 of them).
    pending: int
    last_at: datetime | None
    last_count: int
    last_failed: int
    #: Records handled over every recorded run.
    total: int


def retention_overview(app: CompiledApp, conn: sa.Connection, now: datetime) -> list[RuleOverview]:
    """Every retention rule of ``app``, in declaration order, counted at ``now``."""
    runs = app.metadata.tables[RETENTION_RUNS_TABLE]
    found: list[RuleOverview] = []
    for rule in app.model.retention:
        condition = compile_expression(rule.when, app.model.entities[rule.entity], app.model)
        query = matching(app, rule, condition, now)
        pending = 0
        if query is not None:
            counted = sa.select(sa.func.count()).select_from(query.order_by(None).subquery())
            pending = int(conn.execute(counted).scalar() or 0)
        mine = runs.c.rule == rule.name
        last = (
            conn.execute(
                sa.select(runs.c.at, runs.c["count"], runs.c.failed)
                .where(mine)
                .order_by(runs.c.at.desc())
                .limit(1)
            )
            .mappings()
            .first()
        )
        total = conn.execute(sa.select(sa.func.sum(runs.c["count"])).where(mine)).scalar()
        found.append(
            RuleOverview(
                rule=rule.name,
                entity=rule.entity,
                action=rule.action,
                when=rule.when,
                pending=pending,
                last_at=None if last is None else last["at"],
                last_count=0 if last is None else int(last["count"]),
                last_failed=0 if last is None else int(last["failed"]),
                total=int(total or 0),
            )
        )
    return found


__all__ = ["RuleOverview", "retention_overview"]
