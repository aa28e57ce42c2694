"""SLA policies (``sla/<entity>.yaml``) and activity reminders (``reminders/<entity>.yaml``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from trellis.metadata.model.source import UNKNOWN_SOURCE, SourceSpan


@dataclass(frozen=True, slots=True)
class SlaTargetDef:
    """One target of an SLA (``response``, ``resolution``): hours by priority, met when true."""

    name: str
    met_when: str
    hours: Mapping[str, float]
    met_when_source: SourceSpan | None = None
    source: SourceSpan = UNKNOWN_SOURCE
    #: ``calendars/<name>.yaml`` whose business hours the hours count (None: every hour).
    calendar: str | None = None


@dataclass(frozen=True, slots=True)
class SlaDef:
    """The SLA of one entity: targets by priority, counted from ``start_field``.

    On breach: ``breach_field`` (a boolean) is set true, ``notify`` (``owner`` or a
    user field) gets a notification and ``email`` (a template) when given, and every
    member with role ``escalate_to`` is notified. With ``warn_at``, the ``warn_notify``
    user is warned first, when that share of a target's time has passed unmet. While
    ``pause_when`` holds, the time of unmet targets does not run.
    """

    entity: str
    priority_field: str
    targets: tuple[SlaTargetDef, ...]
    start_field: str = "created_at"
    breach_field: str | None = None
    notify: str | None = None
    email: str | None = None
    escalate_to: str | None = None
    source: SourceSpan = UNKNOWN_SOURCE
    #: ``on_warning``: at this share of a target's time (``at_percent``: 80 -> 0.8) the
    #: ``warn_notify`` user is told (and mailed ``warn_email``); None: no warning.
    warn_at: float | None = None
    warn_notify: str | None = None
    warn_email: str | None = None
    #: ``pause_when``: while true, the clocks of unmet targets stand still.
    pause_when: str | None = None
    pause_when_source: SourceSpan | None = None


#: Notification text of a reminder that declares none.
DEFAULT_REMINDER_TEXT = "Reminder: {{ record_title }}"


@dataclass(frozen=True, slots=True)
class ReminderDef:
    """A reminder at the time in ``field`` of each record, unless ``cancel_when`` holds.

    ``notify`` is ``owner`` or a user field; ``text`` is a Jinja template with the
    record's fields (a plain string, or a LocalText with one per locale: the recipient's
    is used); ``email`` an optional template sent to the same person.
    """

    entity: str
    field: str
    notify: str = "owner"
    text: str = DEFAULT_REMINDER_TEXT
    email: str | None = None
    cancel_when: str | None = None
    cancel_when_source: SourceSpan | None = None
    source: SourceSpan = UNKNOWN_SOURCE


__all__ = ["DEFAULT_REMINDER_TEXT", "ReminderDef", "SlaDef", "SlaTargetDef"]
