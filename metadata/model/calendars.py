"""Business-hours calendars (``calendars/<name>.yaml``) and the time they count.

A calendar has opening intervals per weekday in the wall-clock time of its zone,
and holidays (whole local days without business hours): dates, and holidays every year
on a month and day or a number of days from Easter Sunday. Business time between two
instants is the length of their overlap with the opening intervals, measured in
real elapsed time: an interval that spans a daylight-saving change counts the hour
the clock skipped or repeated as it really passed. A local time that does not
exist (inside a spring-forward gap) is taken as the moment the clock jumped.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from trellis.metadata.model.source import UNKNOWN_SOURCE, SourceSpan

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
#: Minutes in a day: an interval may end at ``24:00`` (the next midnight).
DAY_MINUTES = 24 * 60
#: How far :meth:`CalendarDef.add` looks ahead before giving up (a calendar whose
#: opening days are all holidays for this long has no due time).
MAX_SEARCH_DAYS = 366 * 20

#: An opening interval: minutes after local midnight, start < end <= 1440.
Interval = tuple[int, int]


def _local_instant(day: date, minute: int, zone: ZoneInfo) -> datetime:
    """The UTC instant of local ``day`` + ``minute`` in ``zone``.

    An ambiguous time (the repeated hour of a fall-back) is its first occurrence; a
    time in a spring-forward gap is the instant the clock jumped.
    """
    local = datetime.combine(day, time()) + timedelta(minutes=minute)
    aware = local.replace(tzinfo=zone)
    instant = aware.astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) == local:
        return instant
    # In a gap: the jump lies between the two readings of the local time.
    low = local.replace(tzinfo=zone, fold=1).astimezone(UTC)
    high = instant
    if low > high:
        low, high = high, low
    after = high.astimezone(zone).utcoffset()
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        if middle.astimezone(zone).utcoffset() == after:
            high = middle
        else:
            low = middle
    return high.replace(microsecond=0) if high.microsecond else high


def easter_sunday(year: int) -> date:
    """Easter Sunday of ``year`` in the Gregorian calendar (the anonymous algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    ell = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * ell) // 451
    month, day = divmod(h + ell - 7 * m + 114, 31)
    return date(year, month, day + 1)


@dataclass(frozen=True, slots=True)
class CalendarDef:
    """Opening hours per weekday (Monday first), holidays, and the zone they are in."""

    name: str
    timezone: str
    week: tuple[tuple[Interval, ...], ...]
    holidays: frozenset[date] = frozenset()
    source: SourceSpan = UNKNOWN_SOURCE
    #: Shown name (a plain string or a LocalText); None: the file name.
    label: str | None = None
    #: Holidays every year: (month, day) pairs, e.g. (12, 25).
    yearly: frozenset[tuple[int, int]] = frozenset()
    #: Holidays every year a number of days from Easter Sunday (-2: Good Friday).
    easter_offsets: frozenset[int] = frozenset()

    def is_holiday(self, day: date) -> bool:
        """Whether local ``day`` is a holiday: listed, or one of the yearly ones."""
        if day in self.holidays or (day.month, day.day) in self.yearly:
            return True
        return bool(self.easter_offsets) and (
            (day - easter_sunday(day.year)).days in self.easter_offsets
        )

    @property
    def zone(self) -> ZoneInfo:
        """The calendar's time zone (``ZoneInfo`` keeps one instance per key)."""
        return ZoneInfo(self.timezone)

    @property
    def weekly_minutes(self) -> int:
        """Minutes of business time in an ordinary week (no holidays)."""
        return sum(end - start for day in self.week for start, end in day)

    def openings(self, day: date) -> Iterator[tuple[datetime, datetime]]:
        """The opening intervals of local ``day`` as UTC instants (none on holidays)."""
        if self.is_holiday(day):
            return
        for start, end in self.week[day.weekday()]:
            opened = _local_instant(day, start, self.zone)
            closed = _local_instant(day, end, self.zone)
            if closed > opened:
                yield opened, closed

    def _local_day(self, instant: datetime) -> date:
        return _aware(instant).astimezone(self.zone).date()

    def between(self, start: datetime, end: datetime) -> timedelta:
        """Business time from ``start`` to ``end`` (negative when ``end`` is earlier)."""
        a, b = _aware(start), _aware(end)
        if b < a:
            return -self.between(b, a)
        total = timedelta()
        # A day's openings can begin before its local midnight reading of ``a`` only
        # by the zone's offset, so the day before ``a``'s local day is looked at too.
        day = self._local_day(a) - timedelta(days=1)
        last = self._local_day(b) + timedelta(days=1)
        while day <= last:
            for opened, closed in self.openings(day):
                low, high = max(opened, a), min(closed, b)
                if high > low:
                    total += high - low
            day += timedelta(days=1)
        return total

    def add(self, start: datetime, amount: timedelta) -> datetime | None:
        """The instant when ``amount`` of business time has passed since ``start``.

        None when the calendar opens for less than that within ``MAX_SEARCH_DAYS``.
        """
        a = _aware(start)
        left = amount
        if left <= timedelta():
            return a
        day = self._local_day(a) - timedelta(days=1)
        for _ in range(MAX_SEARCH_DAYS):
            for opened, closed in self.openings(day):
                low = max(opened, a)
                if closed <= low:
                    continue
                if closed - low >= left:
                    return low + left
                left -= closed - low
            day += timedelta(days=1)
        return None


def _aware(value: datetime) -> datetime:
    """An aware UTC datetime (naive values are taken as UTC)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def overlapping(intervals: list[Interval]) -> tuple[Interval, Interval] | None:
    """The first two intervals that overlap (touching ends do not), or None."""
    ordered = sorted(intervals)
    for left, right in pairwise(ordered):
        if right[0] < left[1]:
            return left, right
    return None


__all__ = [
    "DAY_MINUTES",
    "MAX_SEARCH_DAYS",
    "WEEKDAYS",
    "CalendarDef",
    "Interval",
    "easter_sunday",
    "overlapping",
]
