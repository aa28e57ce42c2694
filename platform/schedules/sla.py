"""SLA timers (``sla/<entity>.yaml``): planned on save, cancelled when met, fired on breach.

On create, and whenever the priority or the start field changes, each target not yet
met gets a ``_schedules`` row (kind ``sla``, key = target) due at start + hours for
the priority (counted in business hours when the target names a calendar); a priority
without hours clears it. A save that meets a target
(``met_when`` true) cancels its row. A due row whose target is still unmet is a
breach: the breach field is set through the save pipeline, the ``notify`` user gets a
notification (and the email template, when given), and every member with the
``escalate_to_role`` role is notified. With ``on_warning``, a second row per target
(key ``<target>:warning``) falls due at ``at_percent`` of the target's time (in the
same business hours): if the target is still unmet then, the ``notify`` user of
``on_warning`` is warned (and mailed its template). While ``pause_when`` holds the
unmet targets are parked (sla_pause.py); when it stops, their rows are planned again
with the paused (business) time added.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from trellis.metadata.model import DslType, SlaDef
from trellis.metadata.model.calendars import CalendarDef
from trellis.metadata.model.local_text import DEFAULT_LOCALE
from trellis.platform.i18n import Translator
from trellis.platform.notifications import add_notification
from trellis.platform.records.compiled import CompiledApp, CompiledEntity
from trellis.platform.records.hooks import SaveEvent
from trellis.platform.records.principal import System
from trellis.platform.records.service import RecordService, SaveContext
from trellis.platform.records.values import as_utc, to_json
from trellis.platform.schedules.sla_pause import PausedTargets
from trellis.platform.schedules.table import DueRow, Schedules
from trellis.platform.triggers import RuleStore, member_lookup
from trellis.rules.expr import CompiledExpression, EvalContext, compile_expression

#: A member's own language (their setting), or None to follow the tenant.
LocaleOf = Callable[[int], str | None]
LOG = logging.getLogger("trellis.jobs")
SLA = "sla"
#: The key suffix of a target's warning row.
WARNING = ":warning"
#: The principal an SLA breach saves as (no user, every role).
SLA_BREACH = System("sla")


def start_time(value: Any) -> datetime | None:
    """A date or datetime value as an aware UTC datetime (a date is its midnight UTC)."""
    if isinstance(value, datetime):
        return as_utc(value)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    return None


@dataclass(frozen=True, slots=True)
class _Target:
    name: str
    met: CompiledExpression
    hours: dict[str, float]
    #: Business hours the target counts in (None: every hour).
    calendar: CalendarDef | None = None

    def due(self, start: datetime, hours: float) -> datetime | None:
        """When ``hours`` (business hours with a calendar) have passed since ``start``."""
        if self.calendar is None:
            return start + timedelta(hours=hours)
        return self.calendar.add(start, timedelta(hours=hours))

    def measure(self, start: datetime, end: datetime) -> float:
        """Seconds from ``start`` to ``end`` (business seconds with a calendar), at least 0."""
        spent = end - start if self.calendar is None else self.calendar.between(start, end)
        return max(spent.total_seconds(), 0.0)


class _CompiledSla:
    """One entity's SLA with its conditions compiled."""

    def __init__(self, app: CompiledApp, sla: SlaDef) -> None:
        self.sla = sla
        entity = app.model.entities[sla.entity]
        self.targets = tuple(
            _Target(
                t.name,
                compile_expression(
                    t.met_when,
                    entity,
                    app.model,
                    expected=DslType.BOOLEAN,
                    span=t.met_when_source,
                ),
                dict(t.hours),
                app.model.calendars.get(t.calendar) if t.calendar else None,
            )
            for t in sla.targets
        )
        self.pause = (
            compile_expression(
                sla.pause_when,
                entity,
                app.model,
                expected=DslType.BOOLEAN,
                span=sla.pause_when_source,
            )
            if sla.pause_when
            else None
        )


def _title(entity: CompiledEntity, record: dict[str, Any], t: Translator) -> str:
    title = record.get(entity.entity.title) if entity.entity.title else None
    return f"{t.label(entity.entity.label)} {title or '#' + str(record.get('id'))}"


def reader_of(app: CompiledApp, locale_of: LocaleOf | None) -> Callable[[int], Translator]:
    """A member's translator for notifications: their own language, else the tenant's
    ``locale``, else English (as e-mail templates are chosen)."""

    def translator(user_id: int) -> Translator:
        own = locale_of(user_id) if locale_of is not None else None
        return Translator(own or app.model.locale or DEFAULT_LOCALE)

    return translator


class SlaPlanner:
    """Plans and cancels the SLA timers of one compiled app in the save transaction."""

    def __init__(self, app: CompiledApp) -> None:
        self.app = app
        self.schedules = Schedules(app.metadata)
        self.paused = PausedTargets(app.metadata, SLA)
        self.slas = {name: _CompiledSla(app, sla) for name, sla in app.model.slas.items()}

    def after_write(self, event: SaveEvent) -> None:
        """Plan, re-plan or cancel the saved record's SLA timers."""
        compiled = self.slas.get(event.entity.name)
        if compiled is None:
            return
        conn, record = event.ctx.conn, event.record
        record_id = int(record["id"])
        if event.op == "delete":
            self.schedules.cancel(conn, SLA, event.entity.name, record_id)
            self.paused.drop(conn, event.entity.name, record_id, None)
            return
        sla = compiled.sla
        replan = event.op == "create" or any(
            event.changed(f) for f in (sla.priority_field, sla.start_field)
        )
        pausing = compiled.pause is not None and compiled.pause.evaluate(record, event.eval)
        for target in compiled.targets:
            if target.met.evaluate(record, event.eval):
                self._met(event, sla.entity, record_id, target.name)
                continue
            state = self.paused.state(conn, sla.entity, record_id, target.name)
            data = {"priority": record.get(sla.priority_field), "paused": state.paused}
            if pausing:
                if state.since is None and (state.running or replan):
                    self.schedules.cancel(conn, SLA, sla.entity, record_id, key=target.name)
                    self.schedules.cancel(conn, SLA, sla.entity, record_id,
                                          key=target.name + WARNING)  # fmt: skip
                    self.paused.park(conn, sla.entity, record_id, target.name, event.ctx.now, data)
                    event.explain("sla", target.name, "paused")
                continue
            resumed = state.since is not None
            if state.since is not None:  # resumed: the pause is not spent
                data["paused"] = state.paused + target.measure(state.since, event.ctx.now)
                self.paused.drop(conn, sla.entity, record_id, target.name)
            if replan or resumed:
                self._plan(event, sla, target, record, data)

    def _met(self, event: SaveEvent, entity: str, record_id: int, target: str) -> None:
        """Drop a met target's timers (and its pause)."""
        conn = event.ctx.conn
        self.schedules.cancel(conn, SLA, entity, record_id, key=target + WARNING)
        dropped = self.paused.drop(conn, entity, record_id, target)
        if self.schedules.cancel(conn, SLA, entity, record_id, key=target) or dropped:
            event.explain("sla", target, "met")

    def _plan(
        self,
        event: SaveEvent,
        sla: SlaDef,
        target: _Target,
        record: dict[str, Any],
        data: dict[str, Any],
    ) -> None:
        """Plan the target's due and warning rows: start + hours + time paused."""
        conn, record_id = event.ctx.conn, int(record["id"])
        hours = target.hours.get(str(record.get(sla.priority_field)))
        start = start_time(record.get(sla.start_field)) or event.ctx.now
        paused = float(data["paused"]) / 3600
        due = target.due(start, hours + paused) if hours is not None else None
        self.schedules.replace(conn, SLA, target.name, sla.entity, record_id, due, data)
        warn = target.due(start, hours * sla.warn_at + paused) if hours and sla.warn_at else None
        warning = target.name + WARNING
        self.schedules.replace(conn, SLA, warning, sla.entity, record_id, warn, data)
        event.explain("sla", target.name, "planned" if due else "cleared",
                      {"due_at": to_json(due, None) if due else None,
                       "warning_at": to_json(warn, None) if warn else None})  # fmt: skip


class SlaFiring:
    """Fires due SLA rows of one compiled app (inside the claiming transaction)."""

    def __init__(
        self, app: CompiledApp, service: RecordService, locale_of: LocaleOf | None = None
    ) -> None:
        """``locale_of(user_id)`` is a member's own language (None: the tenant's)."""
        self.app = app
        self.service = service
        self.planner = SlaPlanner(app)
        self.store = RuleStore(app)
        self.reader = reader_of(app, locale_of)

    def fire(self, conn: sa.Connection, row: DueRow, now: datetime) -> None:
        """Record a breach of ``row``'s target (or warn of it) unless it was met meanwhile."""
        compiled = self.planner.slas.get(row.entity)
        entity = self.app.entities.get(row.entity)
        name = row.key.removesuffix(WARNING)
        target = next((t for t in compiled.targets if t.name == name), None) if compiled else None
        if compiled is None or entity is None or target is None:
            LOG.info("SLA timer %s of %s %s: the SLA is gone", row.key, row.entity, row.record_id)
            return
        record = self.service.get(conn, entity, row.record_id)
        if record is None or target.met.evaluate(record, EvalContext(now=now)):
            return
        sla = compiled.sla
        if row.key.endswith(WARNING):
            self._warn(conn, row, sla, entity, record, target.name, now)
            return
        ctx = SaveContext(conn=conn, principal=SLA_BREACH, now=now)
        if sla.breach_field and record.get(sla.breach_field) is not True:
            record = self.service.update(ctx, entity, row.record_id, {sla.breach_field: True}, None)

        def text(user_id: int) -> str:
            t = self.reader(user_id)
            return t.gettext(
                "SLA breached: %(target)s target of %(title)s",
                target=target.name,
                title=_title(entity, record, t),
            )

        recipient = record.get("owner_id" if sla.notify == "owner" else sla.notify or "")
        if sla.notify and isinstance(recipient, int):
            self._notify(conn, row, recipient, text(recipient), "sla", now)
            if sla.email:
                self._email(conn, sla, entity, record, recipient, target.name, now)
        lookup = member_lookup(self.app)
        for user_id in sorted(lookup(sla.escalate_to)) if lookup and sla.escalate_to else ():
            self._notify(conn, row, user_id, text(user_id), "escalation", now)

    def _warn(
        self,
        conn: sa.Connection,
        row: DueRow,
        sla: SlaDef,
        entity: CompiledEntity,
        record: dict[str, Any],
        target: str,
        now: datetime,
    ) -> None:
        """Tell the ``on_warning`` user that the target's time is nearly used up."""
        recipient = record.get("owner_id" if sla.warn_notify == "owner" else sla.warn_notify or "")
        if not isinstance(recipient, int):
            LOG.info("SLA warning %s of %s %s: nobody to warn", target, row.entity, row.record_id)
            return
        share = round((sla.warn_at or 0) * 100)
        t = self.reader(recipient)
        text = t.gettext(
            "SLA warning: %(share)s of the %(target)s target of %(title)s used",
            share=t.percent(share),
            target=target,
            title=_title(entity, record, t),
        )
        self._notify(conn, row, recipient, text, "sla", now)
        if sla.warn_email:
            self._email(conn, sla, entity, record, recipient, target, now, sla.warn_email)

    def _notify(
        self, conn: sa.Connection, row: DueRow, user_id: int, text: str, kind: str, now: datetime
    ) -> None:
        add_notification(
            conn,
            self.app.metadata,
            user_id=user_id,
            text=text,
            kind=kind,
            at=now,
            entity=row.entity,
            record_id=row.record_id,
        )

    def _email(
        self,
        conn: sa.Connection,
        sla: SlaDef,
        entity: CompiledEntity,
        record: dict[str, Any],
        recipient: int,
        target: str,
        now: datetime,
        template: str | None = None,
    ) -> None:
        fields = entity.entity.fields
        data = {k: to_json(v, fields.get(k)) for k, v in record.items()}
        data["sla_target"] = target
        payload = {
            "rule": f"SLA {target}",
            "entity": sla.entity,
            "record_id": int(record["id"]),
            "template": template or sla.email,
            "to": recipient,
            "record": data,
        }
        self.store.enqueue(conn, "email", payload, now)


__all__ = ["SLA", "WARNING", "LocaleOf", "SlaFiring", "SlaPlanner", "reader_of", "start_time"]
