"""Activity reminders (``reminders/<entity>.yaml``): a notification at the time in a field.

On save, a record whose reminder field changed gets its ``_schedules`` row (kind
``reminder``) re-planned at that time (a date is its midnight UTC); an empty field, a
record for which ``cancel_when`` holds (completed) and a deleted record lose it. When
due, the ``notify`` user gets the rendered ``text`` as a notification, and the
``email`` template through the outbox when one is named.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from jinja2 import TemplateError
from jinja2.sandbox import SandboxedEnvironment

from trellis.metadata.model import DslType, ReminderDef
from trellis.metadata.model.local_text import LocalText
from trellis.metadata.model.schedules import DEFAULT_REMINDER_TEXT
from trellis.platform.i18n import N_
from trellis.platform.notifications import add_notification
from trellis.platform.records.compiled import CompiledApp, CompiledEntity
from trellis.platform.records.hooks import SaveEvent
from trellis.platform.records.values import to_json
from trellis.platform.schedules.sla import LocaleOf, reader_of, start_time
from trellis.platform.schedules.table import DueRow, Schedules
from trellis.platform.triggers import RuleStore
from trellis.rules.expr import CompiledExpression, EvalContext, compile_expression

REMINDER = "reminder"
#: The text of a reminder that declares none (DEFAULT_REMINDER_TEXT), for the catalogue.
DEFAULT_TEXT = N_("Reminder: {{ record_title }}")
_SANDBOX = SandboxedEnvironment(autoescape=False)


class _CompiledReminder:
    def __init__(self, app: CompiledApp, reminder: ReminderDef) -> None:
        self.reminder = reminder
        self.cancel: CompiledExpression | None = None
        if reminder.cancel_when is not None:
            self.cancel = compile_expression(
                reminder.cancel_when,
                app.model.entities[reminder.entity],
                app.model,
                expected=DslType.BOOLEAN,
                span=reminder.cancel_when_source,
            )

    def cancelled(self, record: dict[str, Any], ev: EvalContext) -> bool:
        return self.cancel is not None and bool(self.cancel.evaluate(record, ev))


class ReminderPlanner:
    """Plans and cancels reminders of one compiled app in the save transaction."""

    def __init__(self, app: CompiledApp) -> None:
        self.app = app
        self.schedules = Schedules(app.metadata)
        self.reminders = {
            name: _CompiledReminder(app, reminder) for name, reminder in app.model.reminders.items()
        }

    def after_write(self, event: SaveEvent) -> None:
        """Re-plan the record's reminder when its time changed; cancel it when done."""
        compiled = self.reminders.get(event.entity.name)
        if compiled is None:
            return
        reminder, conn = compiled.reminder, event.ctx.conn
        record_id = int(event.record["id"])
        if event.op == "delete" or compiled.cancelled(event.record, event.eval):
            if self.schedules.cancel(conn, REMINDER, reminder.entity, record_id):
                event.explain("reminder", reminder.field, "cancelled")
            return
        reopened = event.old is not None and compiled.cancelled(event.old, event.eval)
        if not (event.changed(reminder.field) or reopened):
            return
        due = start_time(event.record.get(reminder.field))
        self.schedules.replace(conn, REMINDER, reminder.field, reminder.entity, record_id, due)
        event.explain("reminder", reminder.field, "planned" if due else "cleared",
                      {"due_at": to_json(due, None) if due else None})  # fmt: skip


def render_text(text: str, entity: CompiledEntity, data: dict[str, Any]) -> str:
    """The reminder text with the record's fields (and ``record_title``), sandboxed."""
    title = data.get(entity.entity.title) if entity.entity.title else None
    context = {**data, "record": data, "record_title": title or f"#{data.get('id')}"}
    try:
        return _SANDBOX.from_string(text).render(context)
    except TemplateError as exc:
        return f"{text} ({exc})"


class ReminderFiring:
    """Fires due reminders of one compiled app (inside the claiming transaction)."""

    def __init__(self, app: CompiledApp, locale_of: LocaleOf | None = None) -> None:
        """``locale_of(user_id)`` is a member's own language (None: the tenant's)."""
        self.app = app
        self.planner = ReminderPlanner(app)
        self.store = RuleStore(app)
        self.reader = reader_of(app, locale_of)

    def _text(self, text: str, recipient: int) -> str:
        """The reminder's text template in the recipient's language (the default one is
        the platform's; a declared one is the package's, per locale when it gives one:
        ``text: {en: …, es: …}`` is a LocalText)."""
        t = self.reader(recipient)
        if not isinstance(text, LocalText) and text == DEFAULT_REMINDER_TEXT:
            return t.gettext(DEFAULT_TEXT)
        return t.label(text)

    def fire(self, conn: sa.Connection, row: DueRow, now: datetime) -> None:
        """Notify (and email) the reminder's user unless the record is gone or done."""
        compiled = self.planner.reminders.get(row.entity)
        entity = self.app.entities.get(row.entity)
        if compiled is None or entity is None:
            return
        table = entity.table
        found = conn.execute(
            sa.select(table).where(table.c.id == row.record_id, table.c.deleted_at.is_(None))
        ).first()
        if found is None:
            return
        record = dict(found._mapping)
        if compiled.cancelled(record, EvalContext(now=now)):
            return
        reminder = compiled.reminder
        recipient = record.get("owner_id" if reminder.notify == "owner" else reminder.notify)
        if not isinstance(recipient, int):
            return
        fields = entity.entity.fields
        data = {k: to_json(v, fields.get(k)) for k, v in record.items()}
        add_notification(
            conn,
            self.app.metadata,
            user_id=recipient,
            text=render_text(self._text(reminder.text, recipient), entity, data),
            kind="reminder",
            at=now,
            entity=row.entity,
            record_id=row.record_id,
        )
        if reminder.email:
            payload = {
                "rule": f"reminder {reminder.field}",
                "entity": row.entity,
                "record_id": row.record_id,
                "template": reminder.email,
                "to": recipient,
                "record": data,
            }
            self.store.enqueue(conn, "email", payload, now)


__all__ = ["REMINDER", "ReminderFiring", "ReminderPlanner", "render_text"]
