"""Time buckets in SQL: a date or datetime column as the ISO date its bucket starts on.

Both databases answer text (``2026-11-01``), so keys compare and sort the same way.
Datetimes are bucketed in UTC; weeks start on Monday.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa

#: Names of the buckets, as ``group_by: "close_date:month"`` spells them.
BUCKETS = ("day", "week", "month", "quarter", "year")


def bucket_start(
    column: sa.ColumnElement[Any], bucket: str, dialect: str, *, is_datetime: bool
) -> sa.ColumnElement[str]:
    """SQL text ``YYYY-MM-DD`` of the first day of ``column``'s ``bucket``.

    Raises:
        ValueError: ``bucket`` is not one of :data:`BUCKETS`.
    """
    if bucket not in BUCKETS:
        raise ValueError(f"Unknown time bucket '{bucket}'; use one of {', '.join(BUCKETS)}.")
    if dialect == "postgresql":
        value = sa.func.timezone("UTC", column) if is_datetime else column
        truncated = sa.func.date_trunc(bucket, value)
        return sa.func.to_char(truncated, "YYYY-MM-DD", type_=sa.String())
    return _sqlite_start(column, bucket)


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
