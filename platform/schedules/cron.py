"""``every "<cron>"`` trigger rules: per-tenant schedules kept as ``_schedules`` rows.

Each cron rule has one waiting row (kind ``cron``, key = rule name) whose due time
is the next match of its cron expression (5 fields, via ``croniter``) on the wall clock
of the package's time zone (``app.yaml`` ``timezone``, default UTC), stored in UTC.
The dispatcher arms missing rows, fires due ones (the rule's webhooks go to the outbox
in the same transaction; an ``on <entity> every …`` rule runs its actions on the
matching records, :mod:`~trellis.platform.schedules.cron_records`) and re-arms at
the next match after *now*: a dispatcher that was down for several periods fires
once, not once per missed period. Arming is
idempotent (unique due time) and a due row is claimed by one dispatcher only, so two
dispatchers never fire a period twice. A publish drops the waiting rows of rules that
are gone (:func:`drop_stale_rows`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from croniter import croniter

from trellis.metadata.model import AppModel
from trellis.platform.records.compiled import CompiledApp
from trellis.platform.records.service import RecordService
from trellis.platform.records.values import as_utc, to_json
from trellis.platform.schedules.cron_records import CronRecords
from trellis.platform.schedules.table import DueRow, Schedules
from trellis.platform.triggers import RuleStore
from trellis.rules.triggers import CompiledRule, WebhookAction, check_rules

LOG = logging.getLogger("trellis.jobs")
CRON = "cron"


def next_due(expression: str, after: datetime, zone: str = "UTC") -> datetime:
    """The first match of ``expression`` strictly after ``after``, in UTC (whole minutes).

    The expression is matched against the wall clock of time zone ``zone``, so
    ``0 9 * * *`` in Europe/Madrid is 08:00 UTC in winter and 07:00 UTC in summer.
    Each wall-clock match fires once: a time skipped when clocks go forward fires
    that much later (02:30 becomes 03:30), and a time that happens twice when clocks
    go back fires at its first occurrence only.

    Raises:
        zoneinfo.ZoneInfoNotFoundError: ``zone`` is unknown (the loader refuses it, MD032).
    """
    tz = ZoneInfo(zone)
    moment = as_utc(after)
    matches = croniter(expression, moment.astimezone(tz).replace(tzinfo=None, fold=0))
    while True:
        wall: datetime = matches.get_next(datetime)
        # fold=0: the earlier of a repeated time; a skipped time keeps the old offset.
        due = wall.replace(tzinfo=tz, fold=0).astimezone(UTC)
        if due > moment:  # the second pass of a repeated hour maps before ``after``
            return due


def cron_rules(model: AppModel) -> dict[str, CompiledRule]:
    """The ``every "<cron>"`` rules of ``model``, by name."""
    rules, _problems = check_rules(model) if model.rule_sources else ([], [])
    return {r.name: r for r in rules if r.kind == CRON}


def _armed_as(rule: CompiledRule, zone: str) -> dict[str, str]:
    """What a waiting row remembers of its rule; a row that differs is re-armed."""
    return {"cron": rule.cron, "timezone": zone}


def _is_current(data: Mapping[str, Any] | None, rule: CompiledRule | None, zone: str) -> bool:
    """Whether a row armed with ``data`` still matches ``rule`` (older rows count as UTC)."""
    if rule is None:
        return False
    armed = {"timezone": "UTC", **(data or {})}
    return all(armed.get(k) == v for k, v in _armed_as(rule, zone).items())


def drop_stale_rows(
    conn: sa.Connection, table: sa.Table, rules: Mapping[str, CompiledRule], zone: str
) -> set[str]:
    """Delete waiting cron rows of rules that are gone or whose schedule changed.

    ``table`` is the tenant's ``_schedules`` table. Returns the names of the rules
    whose row is kept.
    """
    waiting = conn.execute(
        sa.select(table.c.id, table.c.key, table.c.data).where(
            table.c.kind == CRON, table.c.fired_at.is_(None)
        )
    ).all()
    kept: set[str] = set()
    stale: list[int] = []
    for row in waiting:
        if _is_current(row.data, rules.get(row.key), zone):
            kept.add(row.key)
        else:
            stale.append(int(row.id))
    if stale:
        conn.execute(table.delete().where(table.c.id.in_(stale)))
    return kept


class CronRunner:
    """Arms and fires the cron rules of one compiled app."""

    def __init__(
        self, app: CompiledApp, service: Callable[[], RecordService] | None = None
    ) -> None:
        self.app = app
        self.schedules = Schedules(app.metadata)
        self.store = RuleStore(app)
        self.rules = cron_rules(app.model)
        self.zone = app.model.timezone
        #: Runs ``on <entity> every …`` rules on their records (saving with ``service``).
        self.records = CronRecords(app, service or (lambda: RecordService(app)))

    def arm(self, conn: sa.Connection, now: datetime) -> int:
        """Give every cron rule a waiting row; drop rows of rules gone or changed."""
        armed = drop_stale_rows(conn, self.schedules.table, self.rules, self.zone)
        added = 0
        for name, rule in self.rules.items():
            if name not in armed:
                added += self._plan(conn, rule, next_due(rule.cron, now, self.zone))
        return added

    def _plan(self, conn: sa.Connection, rule: CompiledRule, due: datetime) -> bool:
        return self.schedules.plan(conn, CRON, rule.name, due, data=_armed_as(rule, self.zone))

    def fire(self, conn: sa.Connection, row: DueRow, now: datetime) -> None:
        """Run a due cron row's rule and arm its next period (in the claim's transaction)."""
        rule = self.rules.get(row.key)
        if rule is None or not _is_current(row.data, rule, self.zone):
            LOG.info("cron row of rule %r: the rule is gone or changed", row.key)
            return
        if rule.entity is not None:
            outcomes = self.records.fire(conn, rule, now)
            LOG.info("cron rule %r fired on %s: %s", rule.name, rule.entity, outcomes)
        else:
            self._webhooks(conn, rule, row, now)
        after = max(as_utc(now), as_utc(row.due_at))
        self._plan(conn, rule, next_due(rule.cron, after, self.zone))

    def _webhooks(
        self, conn: sa.Connection, rule: CompiledRule, row: DueRow, now: datetime
    ) -> None:
        """An ``every`` rule without records: its webhooks, one run row."""
        changes: dict[str, Any] = {}
        scheduled = to_json(as_utc(row.due_at), None)
        for action in rule.actions:
            # The checker allows only webhooks in an 'every' rule (no record to act on).
            if isinstance(action, WebhookAction):
                payload = {
                    "rule": rule.name,
                    "entity": None,
                    "record_id": None,
                    "url": action.url,
                    "event": "schedule",
                    "record": {"scheduled_at": scheduled},
                }
                self.store.enqueue(conn, "webhook", payload, now)
                changes["webhook"] = action.url
        self.store.record_runs(conn, [self.store.run_row(rule, None, "applied", changes, now)])


__all__ = ["CRON", "CronRunner", "cron_rules", "drop_stale_rows", "next_due"]
