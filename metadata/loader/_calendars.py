"""Read ``calendars/<name>.yaml`` (business hours) and check them.

Each file is checked against its meta-schema, then here. Codes: MD270 (an opening
interval is not ``HH:MM-HH:MM`` between 00:00 and 24:00, or does not end after it
starts), MD271 (two intervals of one day overlap), MD272 (an unknown time zone),
MD273 (a holiday that is not a date), MD274 (a calendar without any opening hour),
MD275 (an SLA names an unknown calendar; checked with the SLA files), MD276 (a yearly
holiday ``MM-DD`` that is no day of the year).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from trellis.metadata.diagnostics import did_you_mean
from trellis.metadata.loader._report import Report
from trellis.metadata.loader._schedule_loading import documents
from trellis.metadata.loader.positions import NodePath, PositionMap
from trellis.metadata.loader.yaml_source import YamlDocument
from trellis.metadata.model.calendars import (
    DAY_MINUTES,
    WEEKDAYS,
    CalendarDef,
    Interval,
    overlapping,
)
from trellis.metadata.model.local_text import local_text

Reader = Callable[[Path, str, str, Report], YamlDocument | None]
CALENDAR_DIR = "calendars"
_EASTER = re.compile(r"^easter(?:([+-])(\d{1,3}))?$")
_INTERVAL = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")
_LOOSE = re.compile(
    r"^\s*(\d{1,2})(?:[:.h](\d{1,2}))?\s*[-\u2013]\s*(\d{1,2})(?:[:.h](\d{1,2}))?\s*$"
)


def _minutes(hours: int, minutes: int) -> int | None:
    """Minutes after midnight of ``HH:MM`` (24:00 allowed), None when not a time."""
    if minutes > 59 or hours > 24 or (hours == 24 and minutes):
        return None
    return hours * 60 + minutes


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def parse_interval(text: str) -> Interval | None:
    """``"09:00-13:30"`` as minutes ``(540, 810)``; None when not a valid interval."""
    found = _INTERVAL.match(text)
    if found is None:
        return None
    h1, m1, h2, m2 = (int(g) for g in found.groups())
    start, end = _minutes(h1, m1), _minutes(h2, m2)
    if start is None or end is None or start >= end or end > DAY_MINUTES:
        return None
    return start, end


def _repair(text: str) -> str | None:
    """A valid interval close to a refused one (``9-17`` -> ``09:00-17:00``), if any."""
    found = _LOOSE.match(text)
    if found is None:
        return None
    h1, m1, h2, m2 = (int(g) if g else 0 for g in found.groups())
    start, end = _minutes(min(h1, 24), min(m1, 59)), _minutes(min(h2, 24), min(m2, 59))
    if start is None or end is None or start == end:
        return None
    start, end = min(start, end), max(start, end)
    return f"{_clock(start)}-{_clock(end)}"


@cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def known_zone(name: str) -> bool:
    """Whether ``name`` is an IANA time zone this system knows."""
    if name not in _zones():
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


class _CalendarCheck:
    """Checks of one calendar file; ``ok`` turns false on the first error."""

    def __init__(self, positions: PositionMap, report: Report) -> None:
        self.positions = positions
        self.report = report
        self.ok = True

    def error(self, code: str, message: str, path: NodePath, hint: str | None = None) -> None:
        self.ok = False
        self.report.error(code, message, self.positions.anchor(path), hint)

    def day(self, name: str, entries: list[Any]) -> tuple[Interval, ...]:
        intervals: list[Interval] = []
        where: dict[Interval, int] = {}
        for index, text in enumerate(entries):
            path: NodePath = ("week", name, index)
            interval = parse_interval(str(text))
            if interval is None:
                self.error(
                    "MD270",
                    f"{name}: '{text}' is not an opening interval "
                    "(HH:MM-HH:MM from 00:00 to 24:00, ending after it starts)",
                    path,
                    _repair(str(text)),
                )
                continue
            intervals.append(interval)
            where.setdefault(interval, index)
        clash = overlapping(intervals)
        if clash is not None:
            first, second = clash
            joined = f"{_clock(first[0])}-{_clock(max(first[1], second[1]))}"
            self.error(
                "MD271",
                f"{name}: '{_clock(second[0])}-{_clock(second[1])}' overlaps "
                f"'{_clock(first[0])}-{_clock(first[1])}'",
                ("week", name, where[second]),
                joined,
            )
        return tuple(sorted(intervals))

    def holidays(self, entries: list[Any]) -> frozenset[date]:
        days: set[date] = set()
        for index, value in enumerate(entries):
            day = value if isinstance(value, date) else _iso_date(value)
            if day is None:
                self.error(
                    "MD273", f"holiday '{value}' is not a date (write YYYY-MM-DD)",
                    ("holidays", index),
                )  # fmt: skip
                continue
            days.add(day)
        return frozenset(days)

    def yearly(self, entries: list[Any]) -> tuple[frozenset[tuple[int, int]], frozenset[int]]:
        """``MM-DD`` days and Easter offsets (the schema checked their shape)."""
        days: set[tuple[int, int]] = set()
        offsets: set[int] = set()
        for index, value in enumerate(entries):
            text = str(value)
            easter = _EASTER.match(text)
            if easter is not None:
                sign, number = easter.groups()
                offsets.add(int(number or 0) * (-1 if sign == "-" else 1))
                continue
            month_day = _month_day(text)
            if month_day is None:
                self.error(
                    "MD276",
                    f"yearly holiday '{text}' is no day of the year (write MM-DD, e.g. 12-25)",
                    ("yearly_holidays", index),
                )
                continue
            days.add(month_day)
        return frozenset(days), frozenset(offsets)


def _month_day(text: str) -> tuple[int, int] | None:
    """``(month, day)`` of ``MM-DD`` (29 February allowed: it counts in leap years)."""
    try:
        found = date.fromisoformat(f"2000-{text}")
    except ValueError:
        return None
    return found.month, found.day


def _iso_date(value: Any) -> date | None:
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _calendar(
    name: str, doc: YamlDocument, report: Report, default_zone: str
) -> CalendarDef | None:
    data: Mapping[str, Any] = doc.data
    check = _CalendarCheck(doc.positions, report)
    zone = str(data.get("timezone") or default_zone)
    if "timezone" not in data and not known_zone(zone):
        check.ok = False  # app.yaml's timezone: reported there (MD032)
    elif not known_zone(zone):
        check.ok = False
        report.error(
            "MD272",
            f"unknown time zone '{zone}' (use an IANA name such as Europe/Madrid)",
            doc.positions.value(("timezone",)),
            did_you_mean(zone, _zones()),
        )
    week_data: Mapping[str, Any] = data["week"]
    week = tuple(check.day(day, list(week_data.get(day) or [])) for day in WEEKDAYS)
    holidays = check.holidays(list(data.get("holidays") or []))
    yearly, easter = check.yearly(list(data.get("yearly_holidays") or []))
    if check.ok and not any(week):
        check.error("MD274", f"calendar '{name}' has no opening hours on any day", ("week",))
    if not check.ok:
        return None
    return CalendarDef(
        name=name,
        timezone=zone,
        week=week,
        holidays=holidays,
        yearly=yearly,
        easter_offsets=easter,
        source=doc.positions.anchor(()),
        label=local_text(data.get("label")),
    )


def read_calendars(
    root: Path, display: str, read: Reader, report: Report, default_zone: str = "UTC"
) -> dict[str, CalendarDef]:
    """The package's valid calendars by name (problems go to ``report``).

    A calendar without ``timezone`` is in ``default_zone`` (the app's ``timezone``).
    """
    calendars: dict[str, CalendarDef] = {}
    for stem, doc in documents(root, display, CALENDAR_DIR, "calendar", read, report).items():
        calendar = _calendar(stem, doc, report, default_zone)
        if calendar is not None:
            calendars[stem] = calendar
    return calendars


__all__ = ["CALENDAR_DIR", "known_zone", "parse_interval", "read_calendars"]
