"""A time zone's UTC offsets as constant stretches, for databases without zone support.

SQLite knows no time zones, but between two changes (daylight saving, a law) a zone's
offset is constant, so the local time of a UTC instant is ``utc + offset`` with the
offset of the stretch the instant falls in. ``offset_stretches`` lists those stretches
over a range of instants (found by scanning days and bisecting to the second where the
offset changed); ``bucket_start`` turns them into one SQL ``CASE``. A year of a zone is
scanned once per process.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

_DAY = timedelta(days=1)
_SECOND = timedelta(seconds=1)


def _offset(zone: ZoneInfo, instant: datetime) -> int:
    offset = instant.astimezone(zone).utcoffset()
    return int(offset.total_seconds()) if offset is not None else 0


def _change_within(zone: ZoneInfo, low: datetime, high: datetime) -> datetime:
    """The first instant in ``(low, high]`` with ``high``'s offset (one change between)."""
    after = _offset(zone, high)
    while high - low > _SECOND:
        middle = low + (high - low) / 2
        middle = middle.replace(microsecond=0)
        if middle <= low:
            break
        if _offset(zone, middle) == after:
            high = middle
        else:
            low = middle
    return high


@cache
def _year_changes(zone_name: str, year: int) -> tuple[tuple[datetime, int], ...]:
    """(instant, new offset in seconds) of each change of ``zone_name`` in UTC ``year``."""
    zone = ZoneInfo(zone_name)
    day = datetime(year, 1, 1, tzinfo=UTC)
    end = datetime(year + 1, 1, 1, tzinfo=UTC)
    changes: list[tuple[datetime, int]] = []
    current = _offset(zone, day)
    while day < end:
        following = min(day + _DAY, end)
        found = _offset(zone, following)
        if found != current:
            at = _change_within(zone, day, following)
            if at < end:
                changes.append((at, found))
            current = found
        day = following
    return tuple(changes)


def offset_stretches(zone: str, first: datetime, last: datetime) -> list[tuple[datetime, int]]:
    """The offsets of ``zone`` from ``first`` to ``last`` (UTC; naive means UTC).

    Returns ``(start, seconds)`` pairs in order: the first starts at ``first``, each
    later one at the instant the offset changed, so an instant's offset is that of the
    last stretch starting at or before it.
    """
    low = first if first.tzinfo else first.replace(tzinfo=UTC)
    high = last if last.tzinfo else last.replace(tzinfo=UTC)
    stretches = [(low, _offset(ZoneInfo(zone), low))]
    for year in range(low.year, high.year + 1):
        for at, seconds in _year_changes(zone, year):
            if low < at <= high:
                stretches.append((at, seconds))
    return stretches


__all__ = ["offset_stretches"]
