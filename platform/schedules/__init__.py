"""Scheduled work kept as ``_schedules`` rows: cron rules, SLA timers, activity reminders.

Planning happens in the save transaction (the schedule save hook) or when the
dispatcher arms cron rules; firing is done by the job dispatcher
(:class:`trellis.platform.jobs.schedule_runner.ScheduleRunner`).
"""

from __future__ import annotations

from trellis.platform.schedules.table import DueRow, Schedules

__all__ = ["DueRow", "Schedules"]
