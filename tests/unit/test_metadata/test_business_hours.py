"""Business-hours calendars: weekends, holidays, DST changes, and their invariants."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from trellis.metadata.model.calendars import CalendarDef

MADRID = ZoneInfo("Europe/Madrid")
OFFICE = ((540, 840), (900, 1080))  # 09:00-14:00, 15:00-18:00: 8 hours
SUPPORT = CalendarDef(
    name="support",
    timezone="Europe/Madrid",
    week=(OFFICE,) * 5 + ((), ()),
    holidays=frozenset({date(2026, 12, 8), date(2026, 12, 25)}),
)
ALWAYS = CalendarDef(name="always", timezone="Europe/Madrid", week=(((0, 1440),),) * 7)
NIGHT = CalendarDef(name="night", timezone="Europe/Madrid", week=(((60, 240),),) * 7)


def _madrid(*args: int) -> datetime:
    return datetime(*args, tzinfo=MADRID)  # type: ignore[misc]


def test_friday_afternoon_to_monday_morning_skips_the_weekend() -> None:
    hours = SUPPORT.between(_madrid(2026, 12, 4, 16), _madrid(2026, 12, 7, 10))
    assert hours == timedelta(hours=3)


def test_lunch_break_and_evenings_do_not_count() -> None:
    assert SUPPORT.between(_madrid(2026, 12, 3, 13), _madrid(2026, 12, 3, 16)) == timedelta(hours=2)
    assert SUPPORT.between(_madrid(2026, 12, 3, 19), _madrid(2026, 12, 4, 8)) == timedelta()


def test_a_holiday_counts_nothing() -> None:
    # Monday 7 (8 h), Tuesday 8 is a holiday, Wednesday 9 until 10:00 (1 h).
    hours = SUPPORT.between(_madrid(2026, 12, 7, 9), _madrid(2026, 12, 9, 10))
    assert hours == timedelta(hours=9)


def test_dst_spring_forward_day_has_23_hours() -> None:
    day = ALWAYS.between(_madrid(2026, 3, 29), _madrid(2026, 3, 30))
    assert day == timedelta(hours=23)
    # 01:00-04:00 local that night passes in two real hours (02:00-03:00 never happens).
    assert NIGHT.between(_madrid(2026, 3, 29), _madrid(2026, 3, 29, 12)) == timedelta(hours=2)


def test_dst_fall_back_day_has_25_hours() -> None:
    assert ALWAYS.between(_madrid(2026, 10, 25), _madrid(2026, 10, 26)) == timedelta(hours=25)
    assert NIGHT.between(_madrid(2026, 10, 25), _madrid(2026, 10, 25, 12)) == timedelta(hours=4)


def test_office_hours_are_local_across_a_dst_change() -> None:
    # Friday 27 March (CET) to Monday 30 March (CEST), 10:00 local both: 8 business hours.
    hours = SUPPORT.between(_madrid(2026, 3, 27, 10), _madrid(2026, 3, 30, 10))
    assert hours == timedelta(hours=8)


def test_add_finds_the_due_time_in_business_hours() -> None:
    start = _madrid(2026, 12, 4, 16)
    assert SUPPORT.add(start, timedelta(hours=4)) == _madrid(2026, 12, 7, 11)
    # Friday 2 h, Monday 8 h, Tuesday 8 a holiday, Wednesday 9 from 09:00: 6 h -> 16:00.
    assert SUPPORT.add(start, timedelta(hours=16)) == _madrid(2026, 12, 9, 16)
    # Starting outside hours starts at the next opening.
    assert SUPPORT.add(_madrid(2026, 12, 5, 12), timedelta(hours=1)) == _madrid(2026, 12, 7, 10)


def test_end_before_start_is_negative() -> None:
    a, b = _madrid(2026, 12, 4, 16), _madrid(2026, 12, 7, 10)
    assert SUPPORT.between(b, a) == -SUPPORT.between(a, b)


CALENDARS = st.sampled_from([SUPPORT, ALWAYS, NIGHT])
INSTANTS = st.datetimes(
    min_value=datetime(2026, 3, 20),
    max_value=datetime(2026, 4, 10),
    timezones=st.just(UTC),
)
# Around the autumn change too.
INSTANTS = INSTANTS | st.datetimes(
    min_value=datetime(2026, 10, 20), max_value=datetime(2026, 11, 5), timezones=st.just(UTC)
)


@given(CALENDARS, INSTANTS, INSTANTS, INSTANTS)
@settings(max_examples=150, deadline=None)
def test_business_time_adds_up(cal: CalendarDef, x: datetime, y: datetime, z: datetime) -> None:
    a, b, c = sorted((x, y, z))
    assert cal.between(a, b) + cal.between(b, c) == cal.between(a, c)


@given(CALENDARS, INSTANTS, INSTANTS)
@settings(max_examples=150, deadline=None)
def test_never_negative_never_more_than_the_wall_clock(
    cal: CalendarDef, x: datetime, y: datetime
) -> None:
    a, b = sorted((x, y))
    assert timedelta() <= cal.between(a, b) <= b - a


@given(CALENDARS, INSTANTS, st.integers(min_value=0, max_value=60 * 80))
@settings(max_examples=100, deadline=None)
def test_add_is_the_inverse_of_between(cal: CalendarDef, a: datetime, minutes: int) -> None:
    due = cal.add(a, timedelta(minutes=minutes))
    assert due is not None
    assert cal.between(a, due) == timedelta(minutes=minutes)


SPAIN = CalendarDef(
    name="spain",
    timezone="Europe/Madrid",
    week=(((540, 1080),),) * 5 + ((), ()),  # Monday to Friday 09:00-18:00
    holidays=frozenset({date(2026, 12, 8), date(2027, 1, 6)}),
)


def test_four_hours_from_friday_17_are_due_monday_at_noon() -> None:
    assert SPAIN.add(_madrid(2026, 12, 4, 17), timedelta(hours=4)) == _madrid(2026, 12, 7, 12)


def test_start_before_opening_or_at_night_counts_from_the_opening() -> None:
    assert SPAIN.add(_madrid(2026, 12, 3, 7, 30), timedelta(hours=1)) == _madrid(2026, 12, 3, 10)
    assert SPAIN.add(_madrid(2026, 12, 3, 23), timedelta(hours=2)) == _madrid(2026, 12, 4, 11)


def test_a_holiday_after_the_weekend_moves_the_due_time_a_day_on() -> None:
    # Friday 4 from 17:00 (1 h), Monday 7 (9 h), Tuesday 8 a holiday, Wednesday 9: 2 h.
    assert SPAIN.add(_madrid(2026, 12, 4, 17), timedelta(hours=12)) == _madrid(2026, 12, 9, 11)


def test_due_time_across_the_spring_change_stays_on_the_local_clock() -> None:
    # Friday 27 March 2026 17:00 CET (16:00 UTC) + 4 h: Monday 30 March 12:00 CEST.
    due = SPAIN.add(_madrid(2026, 3, 27, 17), timedelta(hours=4))
    assert due == datetime(2026, 3, 30, 10, tzinfo=UTC)
    assert due is not None and due.astimezone(MADRID).hour == 12


def test_due_time_across_the_autumn_change_stays_on_the_local_clock() -> None:
    # Friday 23 October 2026 17:00 CEST (15:00 UTC) + 4 h: Monday 26 October 12:00 CET.
    due = SPAIN.add(_madrid(2026, 10, 23, 17), timedelta(hours=4))
    assert due == datetime(2026, 10, 26, 11, tzinfo=UTC)


def test_a_calendar_closed_for_ever_has_no_due_time() -> None:
    never = CalendarDef(name="never", timezone="UTC", week=((),) * 7)
    assert never.add(datetime(2026, 1, 1, tzinfo=UTC), timedelta(hours=1)) is None


EVERY = st.sampled_from([SUPPORT, ALWAYS, NIGHT, SPAIN])
AMOUNTS = st.integers(min_value=1, max_value=60 * 80).map(lambda m: timedelta(minutes=m))


def _open_just_before(cal: CalendarDef, instant: datetime) -> bool:
    """Whether the second before ``instant`` lies in an opening interval."""
    second = timedelta(seconds=1)
    return cal.between(instant - second, instant) == second


@given(EVERY, INSTANTS, AMOUNTS)
@settings(max_examples=150, deadline=None)
def test_adding_then_measuring_returns_the_amount(
    cal: CalendarDef, a: datetime, amount: timedelta
) -> None:
    due = cal.add(a, amount)
    assert due is not None
    assert cal.between(a, due) == amount


@given(EVERY, INSTANTS, AMOUNTS)
@settings(max_examples=150, deadline=None)
def test_a_due_time_always_falls_inside_opening_hours(
    cal: CalendarDef, a: datetime, amount: timedelta
) -> None:
    due = cal.add(a, amount)
    assert due is not None and due > a
    # The due instant ends a stretch of open time: the second before it was open.
    assert _open_just_before(cal, due)
    local = due.astimezone(cal.zone)
    assert local.date() not in cal.holidays or local.time() == local.time().min


@given(EVERY, INSTANTS, INSTANTS, AMOUNTS, AMOUNTS)
@settings(max_examples=150, deadline=None)
def test_adding_is_monotonic_in_start_and_amount(
    cal: CalendarDef, x: datetime, y: datetime, h: timedelta, k: timedelta
) -> None:
    a, b = sorted((x, y))
    small, large = sorted((h, k))
    at_a, at_b = cal.add(a, small), cal.add(b, small)
    assert at_a is not None and at_b is not None and at_a <= at_b
    longer = cal.add(a, large)
    assert longer is not None and at_a <= longer


@given(EVERY, INSTANTS, INSTANTS, INSTANTS)
@settings(max_examples=100, deadline=None)
def test_measuring_grows_with_the_end(
    cal: CalendarDef, x: datetime, y: datetime, z: datetime
) -> None:
    a, b, c = sorted((x, y, z))
    assert cal.between(a, b) <= cal.between(a, c)
