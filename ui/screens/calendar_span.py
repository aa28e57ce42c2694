"""The days one calendar page covers, in the reader's time zone and week.

Days are the reader's calendar days (their zone, else the tenant's ``timezone``): a
datetime is placed on the day it falls on there, and a page covers from local midnight
of its first day to local midnight after its last, so a week across a daylight-saving
change spans 167 or 169 hours and still has its seven days. Weeks start on the locale's
first day of the week (CLDR: Monday for ``en`` and ``es``, Sunday for ``en_US``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError, dates

from trellis.platform.i18n import Translator
from trellis.platform.records.errors import BadRequestError

VIEWS = ("month", "week")


@cache
def week_start(locale: str) -> int:
    """The first day of the week in ``locale`` (0 Monday … 6 Sunday); Monday if unknown."""
    try:
        return int(Locale.parse(locale).first_week_day)
    except (UnknownLocaleError, ValueError):
        return 0


def weekday_names(locale: str) -> list[tuple[str, str]]:
    """(full, short) weekday names in ``locale``, in the order its week runs."""
    names = Locale.parse(locale).days["format"]
    first = week_start(locale)
    order = [(first + i) % 7 for i in range(7)]
    return [(names["wide"][i], names["abbreviated"][i]) for i in order]


def local_midnight(day: date, zone: str) -> datetime:
    """The UTC instant the reader's ``day`` begins (zoneinfo picks the first of a repeat)."""
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(zone)).astimezone(UTC)


def local_moment(moment: datetime, zone: str) -> datetime:
    """``moment`` (naive = UTC) on the reader's wall clock."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(ZoneInfo(zone))


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


def _week_first(day: date, first_weekday: int) -> date:
    return day - timedelta(days=(day.weekday() - first_weekday) % 7)


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

    def bounds(self, zone: str) -> tuple[datetime, datetime]:
        """The UTC instants the span starts and ends at (exclusive) in ``zone``."""
        return local_midnight(self.first, zone), local_midnight(self.end, zone)


def span_of(view: str, day: date, t: Translator | None = None) -> Span:
    """The month (whole weeks around it) or the week containing ``day``, in ``t``'s locale."""
    t = t or Translator()
    start_day = week_start(t.locale)
    if view == "week":
        first = _week_first(day, start_day)
        after = first + timedelta(days=7)
        shown = dates.format_date(first, "d MMM y", locale=t.locale)
        title = t.gettext("Week of %(day)s", day=shown)
        return Span(view, day, first, after, first - timedelta(days=7), after, title)
    start = day.replace(day=1)
    following = _add_months(start, 1)
    first = _week_first(start, start_day)
    end = _week_first(following - timedelta(days=1), start_day) + timedelta(days=7)
    title = dates.format_skeleton("yMMMM", start, locale=t.locale)
    return Span(view, day, first, end, _add_months(start, -1), following, title)


def day_label(day: date, locale: str) -> str:
    """A day as a screen reader announces it (``Monday 23 November 2026``)."""
    pattern = "EEEE d MMMM y" if locale.startswith("en") else "full"
    return dates.format_date(day, pattern, locale=locale)


__all__ = [
    "VIEWS",
    "Span",
    "day_label",
    "local_midnight",
    "local_moment",
    "parse_day",
    "parse_view",
    "span_of",
    "week_start",
    "weekday_names",
]
