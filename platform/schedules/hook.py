"""The schedule save hook: SLA timers and activity reminders planned in the save."""

from __future__ import annotations

from trellis.platform.records.compiled import CompiledApp
from trellis.platform.records.hooks import SaveEvent
from trellis.platform.schedules.reminders import ReminderPlanner
from trellis.platform.schedules.sla import SlaPlanner


class ScheduleHook:
    """Plans, re-plans and cancels SLA timers and reminders after each write."""

    def __init__(self, app: CompiledApp) -> None:
        self.sla = SlaPlanner(app)
        self.reminders = ReminderPlanner(app)

    def before_write(self, event: SaveEvent) -> None:
        """Nothing to do before the write."""

    def after_write(self, event: SaveEvent) -> None:
        """Plan or cancel the saved record's SLA timers and reminder."""
        self.sla.after_write(event)
        self.reminders.after_write(event)


def schedule_hook(app: CompiledApp) -> ScheduleHook | None:
    """The schedule hook of ``app``, or None when it declares no SLA and no reminder."""
    if not app.model.slas and not app.model.reminders:
        return None
    return ScheduleHook(app)


__all__ = ["ScheduleHook", "schedule_hook"]
