"""The calendar's data: which records it shows, the month or week grid, and its links.

The calendar shows the records of the ``activity`` entity (or the first entity with a
date field, for apps without one) by their due date: ``due_at`` when it exists, else
the first date or datetime field. Records are read through the JSON API's list, so the
caller's scope, hidden fields and read permission apply exactly as on the list screen.
Days and weeks are the reader's (see ``calendar_span``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from babel import dates

from trellis.metadata.model import AppModel, EntityDef, FieldDef, FieldType
from trellis.platform.i18n import Translator
from trellis.platform.services import ListArgs
from trellis.platform.services.caller import readable_entity
from trellis.platform.services.records import RecordsService
from trellis.ui.screens.calendar_span import (
    Span,
    day_label,
    local_moment,
    parse_day,
    parse_view,
    span_of,
)
from trellis.ui.screens.web import UiCall

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
    #: The day as a screen reader announces it, and its month's short name, in the
    #: reader's language.
    label: str = ""
    month: str = ""


def _bounds(source: CalendarSource, span: Span, zone: str) -> str:
    """The rule-language condition selecting the span's records (local midnights)."""
    name = source.field
    if source.is_datetime:
        first, end = (f"{m:%Y-%m-%dT%H:%M:%S}Z" for m in span.bounds(zone))
        low, high = f'datetime("{first}")', f'datetime("{end}")'
    else:
        low, high = f'date("{span.first}")', f'date("{span.end}")'
    return f"{name} >= {low} and {name} < {high}"


def _when(value: Any, is_datetime: bool, zone: str) -> tuple[date, str] | None:
    if not isinstance(value, str) or not value:
        return None
    if not is_datetime:
        return date.fromisoformat(value[:10]), ""
    moment = local_moment(datetime.fromisoformat(value.replace("Z", "+00:00")), zone)
    return moment.date(), moment.strftime("%H:%M")


def _names(day: date, locale: str) -> tuple[str, str]:
    return day_label(day, locale), dates.format_date(day, "LLL", locale=locale)


def _kind_label(t: Translator, model: AppModel, spec: FieldDef | None, kind: Any) -> str:
    if not kind:
        return ""
    if spec is not None and spec.option_labels:
        return t.value_label(model, spec, kind)
    return str(kind).replace("_", " ").capitalize()


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
        "filter": _bounds(source, span, ui.translator.zone),
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
    t: Translator,
    model: AppModel,
) -> list[Day]:
    """The grid's days with their items, in order (placed on ``t``'s zone's days)."""
    whole_week = span.view == "week"
    days = {
        d: Day(
            d, whole_week or d.month == span.anchor.month, d == today, [], day_label(d, t.locale)
        )
        for d in span.days
    }
    title = source.entity.title
    kind_field = source.entity.fields.get(source.kind) if source.kind else None
    for record in records:
        placed = _when(record.get(source.field), source.is_datetime, t.zone)
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
                kind=_kind_label(t, model, kind_field, kind),
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
