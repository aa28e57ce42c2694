"""Time buckets in SQL: a date or datetime column as the ISO date its bucket starts on.

Both databases answer text (``2026-11-01``), so keys compare and sort the same way.
Datetimes are bucketed on the wall clock of the tenant's zone (``timezone:`` in
app.yaml, stored UTC): PostgreSQL converts with ``timezone(zone, column)``; SQLite has
no zones, so the caller passes the zone's offset stretches over the column's range
(``zone_offsets``) and the local time is ``datetime(column, CASE … offset END)``.
Dates are days already and are never shifted. Weeks start on Monday (ISO).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

#: Names of the buckets, as ``group_by: "close_date:month"`` spells them.
BUCKETS = ("day", "week", "month", "quarter", "year")


def bucket_start(
    column: sa.ColumnElement[Any],
    bucket: str,
    dialect: str,
    *,
    is_datetime: bool,
    zone: str = "UTC",
    stretches: Sequence[tuple[datetime, int]] = (),
) -> sa.ColumnElement[str]:
    """SQL text ``YYYY-MM-DD`` of the first day of ``column``'s ``bucket`` in ``zone``.

    On SQLite, ``stretches`` (``zone_offsets.offset_stretches`` over the column's
    values) give the offsets of a datetime column; without them it is bucketed in UTC.

    Raises:
        ValueError: ``bucket`` is not one of :data:`BUCKETS`.
    """
    if bucket not in BUCKETS:
        raise ValueError(f"Unknown time bucket '{bucket}'; use one of {', '.join(BUCKETS)}.")
    if dialect == "postgresql":
        value = sa.func.timezone(zone, column) if is_datetime else column
        truncated = sa.func.date_trunc(bucket, value)
        return sa.func.to_char(truncated, "YYYY-MM-DD", type_=sa.String())
    if is_datetime and stretches:
        return _sqlite_start(sqlite_local_time(column, stretches), bucket)
    return _sqlite_start(column, bucket)


def sqlite_local_time(
    column: sa.ColumnElement[Any], stretches: Sequence[tuple[datetime, int]]
) -> sa.ColumnElement[Any]:
    """SQLite ``datetime()`` text of ``column`` shifted by its stretch's UTC offset.

    Bounds are bound with the column's own type, so they compare as stored values do.
    """
    modifiers = [f"{seconds:+d} seconds" for _start, seconds in stretches]
    if len(stretches) == 1:
        return sa.func.datetime(column, modifiers[0])
    whens = [
        (column < sa.literal(start.replace(tzinfo=None), column.type), modifiers[index])
        for index, (start, _seconds) in enumerate(stretches[1:])
    ]
    shift = sa.case(*whens, else_=modifiers[-1])
    return sa.func.datetime(column, shift)


def _sqlite_start(column: sa.ColumnElement[Any], bucket: str) -> sa.ColumnElement[str]:
    text = sa.String()
    if bucket == "day":
        return sa.func.strftime("%Y-%m-%d", column, type_=text)
    if bucket == "week":
        # The next Sunday (or the day itself), six days back: the Monday starting the week.
        return sa.func.strftime("%Y-%m-%d", column, "weekday 0", "-6 days", type_=text)
    if bucket == "month":
        return sa.func.strftime("%Y-%m-01", column, type_=text)
    if bucket == "year":
        return sa.func.strftime("%Y-01-01", column, type_=text)
    month = sa.cast(sa.func.strftime("%m", column), sa.Integer)
    first = ((month - 1) // 3) * 3 + 1
    start = sa.func.printf("%s-%02d-01", sa.func.strftime("%Y", column), first, type_=text)
    return sa.case((column.is_(None), sa.null()), else_=start)


def bucket_label(start: str, bucket: str) -> str:
    """A bucket's start as people read it: ``Week of 23 Nov 2026``, ``Nov 2026``, ``Q4 2026``.

    Text that is not an ISO date is returned unchanged.
    """
    try:
        day = date.fromisoformat(start)
    except ValueError:
        return start
    if bucket == "year":
        return str(day.year)
    if bucket == "quarter":
        return f"Q{(day.month - 1) // 3 + 1} {day.year}"
    if bucket == "month":
        return day.strftime("%b %Y")
    if bucket == "week":
        return f"Week of {day.day} {day.strftime('%b %Y')}"
    return day.isoformat()


__all__ = ["BUCKETS", "bucket_label", "bucket_start"]
