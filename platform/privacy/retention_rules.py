"""Retention rules (``retention:`` in app.yaml) run daily: matching records anonymised or
deleted, a report row per rule (``_retention_runs``) and one audit entry per run.

Each tenant keeps the time of its next run in ``_settings`` (``privacy.retention.next_run``,
fixed-width UTC text); the job dispatcher runs it when due and sets the next one a day
later (at once when a rule met its batch limit). ``anonymise`` replaces the personal
fields as an erasure does (tokens, files removed, history cut; records already
anonymised are left alone); ``delete`` soft-deletes through the save pipeline as the
system (``on_delete`` rules apply; the recycle bin's purge removes them later). A record
that cannot be deleted (``on_delete: restrict``) is counted as failed, not fatal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from trellis.metadata.model.retention import RetentionRuleDef
from trellis.platform.db.privacy_tables import RETENTION_RUNS_TABLE
from trellis.platform.db.tables import SETTINGS_TABLE
from trellis.platform.privacy.erase import anonymise_record
from trellis.platform.privacy.person import personal_fields, privacy_secret
from trellis.platform.records.compiled import CompiledApp
from trellis.platform.records.errors import RecordError
from trellis.platform.records.principal import System
from trellis.platform.records.save_context import SaveContext
from trellis.platform.records.service import RecordService
from trellis.platform.recycle.retention import claim_due, stamp
from trellis.rules.expr import EvalContext, compile_expression
from trellis.rules.expr.compiled import CompiledExpression

NEXT_RUN_KEY = "privacy.retention.next_run"
RUN_EVERY = timedelta(days=1)
#: Records one rule handles per run (the next run follows at once when it had more).
BATCH = 500
RETENTION = System("retention")
AUDIT_ACTION = "privacy.retention"
ERASED = "erased-"


@dataclass(slots=True)
class RuleReport:
    """One rule's outcome in one run."""

    rule: str
    entity: str
    action: str
    count: int = 0
    failed: int = 0

    def as_json(self) -> dict[str, Any]:
        """The JSON form (report, audit detail)."""
        return {
            "rule": self.rule,
            "entity": self.entity,
            "action": self.action,
            "count": self.count,
            "failed": self.failed,
        }


@dataclass(slots=True)
class RetentionReport:
    """A run: each rule's report, and the files to remove after the commit."""

    at: datetime
    rules: list[RuleReport] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    full: bool = False


class RetentionRunner:
    """Runs the retention rules of one compiled app."""

    def __init__(self, app: CompiledApp, service: RecordService, *, batch: int = BATCH) -> None:
        self.app = app
        self.service = service
        self.batch = batch
        self.rules: list[tuple[RetentionRuleDef, CompiledExpression]] = [
            (r, compile_expression(r.when, app.model.entities[r.entity], app.model))
            for r in app.model.retention
        ]
        self.settings = app.metadata.tables[SETTINGS_TABLE]
        self.runs = app.metadata.tables[RETENTION_RUNS_TABLE]

    def due(self, conn: sa.Connection, now: datetime) -> bool:
        """Whether a run is due (never run: due)."""
        t = self.settings
        value = conn.execute(sa.select(t.c.value).where(t.c.key == NEXT_RUN_KEY)).scalar()
        return value is None or str(value) <= stamp(now)

    def run(self, conn: sa.Connection, now: datetime, *, force: bool = False) -> RetentionReport:
        """Run every rule if due (or ``force``), in the caller's write transaction."""
        report = RetentionReport(now)
        if not claim_due(conn, self.settings, NEXT_RUN_KEY, now) and not force:
            return report
        secret = privacy_secret(conn, self.app.metadata)
        for rule, condition in self.rules:
            done = RuleReport(rule.name, rule.entity, rule.action)
            self._apply(conn, rule, condition, now, secret, done, report.files)
            report.rules.append(done)
            report.full = report.full or done.count + done.failed >= self.batch
            conn.execute(self.runs.insert(), {**done.as_json(), "at": now})
        due = now if report.full else now + RUN_EVERY
        t = self.settings
        conn.execute(t.update().where(t.c.key == NEXT_RUN_KEY).values(value=stamp(due)))
        return report

    def _apply(
        self,
        conn: sa.Connection,
        rule: RetentionRuleDef,
        condition: CompiledExpression,
        now: datetime,
        secret: bytes,
        done: RuleReport,
        files: list[str],
    ) -> None:
        entity = self.app.entities[rule.entity]
        query = matching(self.app, rule, condition, now)
        if query is None:
            return  # nothing personal to anonymise
        rows = [dict(r._mapping) for r in conn.execute(query.limit(self.batch))]
        for row in rows:
            if rule.action == "anonymise":
                anonymise_record(
                    conn, self.app, entity, row, secret, now, files.append, "retention"
                )
                done.count += 1
                continue
            ctx = SaveContext(conn=conn, principal=RETENTION, now=now, source="retention")
            try:
                with conn.begin_nested():
                    self.service.delete(ctx, entity, int(row["id"]), None)
                done.count += 1
            except RecordError:
                done.failed += 1


def matching(
    app: CompiledApp, rule: RetentionRuleDef, condition: CompiledExpression, now: datetime
) -> sa.Select[Any] | None:
    """The live records ``rule`` handles at ``now``, by id (None: it can handle none)."""
    t = app.entities[rule.entity].table
    where = condition.to_sql(app.table, EvalContext(now=now))
    query = sa.select(t).where(t.c.deleted_at.is_(None), where).order_by(t.c.id)
    if rule.action == "anonymise":
        personal = [f.name for f in personal_fields(app.entities[rule.entity])]
        if not personal:
            return None
        query = query.where(sa.or_(*(_not_erased(t.c[n]) for n in personal)))
    return query


def _not_erased(column: Any) -> Any:
    """SQL: the column holds a value not yet replaced by an erasure token."""
    return sa.and_(column.is_not(None), sa.not_(sa.cast(column, sa.Text).startswith(ERASED)))


__all__ = [
    "AUDIT_ACTION",
    "NEXT_RUN_KEY",
    "RetentionReport",
    "RetentionRunner",
    "RuleReport",
    "matching",
]
