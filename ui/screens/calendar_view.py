"""The calendar's data: which records it shows, the month or week grid, and its links.

The calendar shows the records of the ``activity`` entity (or the first entity with a
date field, for apps without one) by their due date: ``due_at`` when it exists, else
the first date or datetime field. Records are read through the JSON API's list, so the
caller's scope, hidden fields and read permission apply exactly as on the list screen.
Days are UTC days; weeks start on Monday.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from trellis.metadata.model import AppModel, EntityDef, FieldType
from trellis.platform.records.errors import BadRequestError
from trellis.platform.services import ListArgs
from trellis.platform.services.caller import readable_entity
from trellis.platform.services.records import RecordsService
from trellis.ui.screens.web import UiCall

VIEWS = ("month", "week")
DATE_TYPES = (FieldType.DATE, FieldType.DATETIME)
#: Items shown in one month cell before a "more" link to the week.
MONTH_CELL_ITEMS = 4
#: Most records read for one calendar page.
MAX_ITEMS = 2000
PAGE_SIZE = 500


@dataclass(frozen=True, slots=True)
class CalendarSource:
    """The entity and the date or datetime field the calendar places records by."""

    entity: EntityDef
    field: str
    is_datetime: bool
    #: The enum field saying what each item is, and the boolean field marking it done
    #: (from the entity's ``activity_fields:`` block; None when not declared).
    kind: str | None = None
    done: str | None = None


def _date_field(entity: EntityDef) -> str | None:
    declared = entity.activity.date if entity.activity else None
    if declared is not None:
        return declared
    dated = [n for n, f in entity.fields.items() if f.type in DATE_TYPES]
    due = [n for n in dated if n.startswith("due")]
    found = due or dated
    return found[0] if found else None


def calendar_source(model: AppModel) -> CalendarSource | None:
    """Where the calendar's items come from, or None when no entity has a date field.

    An entity whose ``activity_fields:`` block names a ``date`` comes first, then any entity
    with a date or datetime field (one whose name starts with ``due`` preferred).
    """
    declared = [n for n, e in model.entities.items() if e.activity and e.activity.date]
    names = [*sorted(declared), *(n for n in model.entities if n not in declared)]
    for name in names:
        entity = model.entities.get(name)
        if entity is None:
            continue
        found = _date_field(entity)
        if found is not None:
            is_datetime = entity.fields[found].type == FieldType.DATETIME
            block = entity.activity
            kind, done = (block.kind, block.done) if block else (None, None)
            return CalendarSource(entity, found, is_datetime, kind, done)
    return None


def parse_view(value: str | None) -> str:
    """``month`` (default) or ``week``; raises ``BadRequestError`` otherwise."""
    view = value or "month"
    if view not in VIEWS:
        message = f"view must be month or week, not '{view}'."
        raise BadRequestError(message, {"view": [message]})
    return view


def parse_day(value: str | None, today: date) -> date:
    """A ``YYYY-MM-DD`` date (default ``today``); raises ``BadRequestError`` otherwise."""
    if not value:
        return today
    try:
        return date.fromisoformat(value)
    except ValueError:
        message = f"date must be a day like 2026-11-25, not '{value}'."
        raise BadRequestError(message, {"date": [message]}) from None


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True, slots=True)
class Span:
    """The days one calendar page covers and its navigation targets."""

    view: str
    anchor: date
    first: date
    end: date  # exclusive
    previous: date
    next: date
    title: str

    @property
    def days(self) -> list[date]:
        """Every day shown, in order (whole weeks)."""
        return [self.first + timedelta(days=i) for i in range((self.end - self.first).days)]


def span_of(view: str, day: date) -> Span:
    """The month (whole weeks around it) or the week containing ``day``."""
    if view == "week":
        first = _monday(day)
        after = first + timedelta(days=7)
        title = f"Week of {first.day} {first.strftime('%b %Y')}"
        return Span(view, day, first, after, first - timedelta(days=7), after, title)
    start = day.replace(day=1)
    following = _add_months(start, 1)
    first = _monday(start)
    end = _monday(following - timedelta(days=1)) + timedelta(days=7)
    return Span(view, day, first, end, _add_months(start, -1), following, start.strftime("%B %Y"))


@dataclass(frozen=True, slots=True)
class Item:
    """One record on the calendar."""

    id: int
    title: str
    time: str
    href: str
    done: bool
    kind: str


@dataclass(slots=True)
class Day:
    """One cell of the grid."""

    day: date
    in_month: bool
    today: bool
    items: list[Item] = field(default_factory=list)

    @property
    def label(self) -> str:
        """The day as a screen reader announces it."""
        return self.day.strftime("%A %d %B %Y")


def _bounds(source: CalendarSource, span: Span) -> str:
    """The rule-language condition selecting the span's records."""
    name = source.field
    if source.is_datetime:
        low, high = f'datetime("{span.first}T00:00:00Z")', f'datetime("{span.end}T00:00:00Z")'
    else:
        low, high = f'date("{span.first}")', f'date("{span.end}")'
    return f"{name} >= {low} and {name} < {high}"


def _when(value: Any, is_datetime: bool) -> tuple[date, str] | None:
    if not isinstance(value, str) or not value:
        return None
    if not is_datetime:
        return date.fromisoformat(value[:10]), ""
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment.date(), moment.strftime("%H:%M")


def records_in(
    api: RecordsService, ui: UiCall, source: CalendarSource, span: Span
) -> list[dict[str, Any]]:
    """The span's records as the caller may see them, by date (at most ``MAX_ITEMS``).

    Raises:
        ForbiddenError: the caller may not read the calendar's entity.
    """
    call = ui.call
    compiled = readable_entity(call, source.entity.name)
    visible = call.access.entity(source.entity.name).columns
    wanted = ["id", source.field, source.entity.title or "", source.done or "", source.kind or ""]
    fields = [n for n in dict.fromkeys(wanted) if n and n in visible]
    params = {
        "filter": _bounds(source, span),
        "sort": source.field,
        "fields": ",".join(fields),
        "limit": str(PAGE_SIZE),
    }
    found: list[dict[str, Any]] = []
    while len(found) < MAX_ITEMS:
        body = api.page(call, compiled, ListArgs.of(params)).as_json()
        found.extend(body["items"])
        cursor = body.get("next_cursor")
        if not cursor:
            break
        params = {**params, "cursor": cursor}
    return found[:MAX_ITEMS]


def build_days(
    records: Sequence[Mapping[str, Any]],
    source: CalendarSource,
    span: Span,
    *,
    tenant: str,
    today: date,
) -> list[Day]:
    """The grid's days with their items, in order."""
    whole_week = span.view == "week"
    days = {d: Day(d, whole_week or d.month == span.anchor.month, d == today) for d in span.days}
    title = source.entity.title
    for record in records:
        placed = _when(record.get(source.field), source.is_datetime)
        if placed is None or placed[0] not in days:
            continue
        ident = int(record["id"])
        text = record.get(title) if title else None
        kind = record.get(source.kind) if source.kind else None
        days[placed[0]].items.append(
            Item(
                id=ident,
                title=str(text) if text not in (None, "") else f"#{ident}",
                time=placed[1],
                href=f"/t/{tenant}/e/{source.entity.name}/{ident}",
                done=source.done is not None and record.get(source.done) is True,
                kind=str(kind).replace("_", " ").capitalize() if kind else "",
            )
        )
    return [days[d] for d in span.days]


__all__ = [
    "MONTH_CELL_ITEMS",
    "CalendarSource",
    "Day",
    "Item",
    "Span",
    "build_days",
    "calendar_source",
    "parse_day",
    "parse_view",
    "records_in",
    "span_of",
]
