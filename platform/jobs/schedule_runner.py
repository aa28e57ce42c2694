"""Fires due ``_schedules`` rows: cron rules (and SLA timers, reminders) of one app."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import sqlalchemy as sa

from trellis.platform.automation import build_hooks
from trellis.platform.records.compiled import CompiledApp
from trellis.platform.records.service import RecordService
from trellis.platform.schedules import DueRow, Schedules
from trellis.platform.schedules.cron import CRON, CronRunner
from trellis.platform.schedules.reminders import REMINDER, ReminderFiring
from trellis.platform.schedules.sla import SLA, LocaleOf, SlaFiring

Firer = Callable[[sa.Connection, DueRow, datetime], None]


class ScheduleRunner:
    """Arms cron rules and fires due schedule rows of one compiled app, by kind."""

    def __init__(
        self,
        app: CompiledApp,
        service: RecordService | None = None,
        locale_of: LocaleOf | None = None,
    ) -> None:
        """``locale_of(user_id)``: a member's own language, for SLA and reminder
        notifications (None, or no setting: the tenant's ``locale``)."""
        self.app = app
        self.schedules = Schedules(app.metadata)
        self._service = service
        self.cron = CronRunner(app, self.saver)
        self.firers: dict[str, Firer] = {CRON: self.cron.fire}
        if app.model.slas:
            self.firers[SLA] = SlaFiring(app, self.saver(), locale_of).fire
        if app.model.reminders:
            self.firers[REMINDER] = ReminderFiring(app, locale_of).fire
        #: Whether the cron rules were armed once, committed (a fired row re-arms itself).
        self.armed = False

    def saver(self) -> RecordService:
        """The record service saves go through (with the app's hooks), built once."""
        if self._service is None:
            self._service = RecordService(self.app, build_hooks(self.app))
        return self._service

    @property
    def idle(self) -> bool:
        """Whether the app has nothing scheduled: no cron rule, SLA or reminder."""
        return not self.cron.rules and len(self.firers) == 1

    def fire_due(self, conn: sa.Connection, now: datetime, limit: int) -> int:
        """Arm cron rules, then fire up to ``limit`` due rows; call in a write transaction."""
        self.cron.arm(conn, now)
        rows = self.schedules.claim(conn, tuple(self.firers), now, limit)
        for row in rows:
            self.firers[row.kind](conn, row, now)
            self.schedules.mark_fired(conn, row, now)
        return len(rows)


__all__ = ["ScheduleRunner"]
