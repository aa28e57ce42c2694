"""The runtime's clock: the real one, and the fake one tests move by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from trellis.platform.config import Clock, FakeClock, SystemClock

START = datetime(2030, 1, 31, 9, 0, tzinfo=UTC)


def test_system_clock_gives_aware_utc_and_a_monotonic_reading() -> None:
    clock: Clock = SystemClock()
    before = datetime.now(UTC)
    now = clock.now()
    assert now.tzinfo is not None and now.utcoffset() == timedelta(0)
    assert before <= now <= datetime.now(UTC)
    first = clock.monotonic()
    assert clock.monotonic() >= first


def test_fake_clock_stands_still_until_advanced_and_advance_moves_both_readings() -> None:
    clock = FakeClock(START)
    mono = clock.monotonic()
    assert (clock.now(), clock.monotonic()) == (START, mono)
    clock.advance(90.5)
    assert clock.now() == START + timedelta(seconds=90.5)
    assert clock.monotonic() == mono + 90.5


def test_fake_clock_set_moves_wall_time_only_in_utc() -> None:
    clock = FakeClock(START)
    mono = clock.monotonic()
    paris = timezone(timedelta(hours=1))
    clock.set(datetime(2029, 12, 31, 23, 0, tzinfo=paris))  # back in time: allowed for wall time
    assert clock.now() == datetime(2029, 12, 31, 22, 0, tzinfo=UTC)
    assert clock.now().tzinfo == UTC
    assert clock.monotonic() == mono  # a monotonic reading never jumps


def test_fake_clock_refuses_naive_times_and_going_backwards() -> None:
    with pytest.raises(ValueError, match="aware datetime"):
        FakeClock(datetime(2030, 1, 1))
    clock = FakeClock(START)
    with pytest.raises(ValueError, match="aware datetime"):
        clock.set(datetime(2030, 1, 1))
    with pytest.raises(ValueError, match="must not be negative"):
        clock.advance(-1)
    assert clock.now() == START


def test_fake_clock_starts_at_the_real_time_when_not_told() -> None:
    before = datetime.now(UTC)
    assert before <= FakeClock().now() <= datetime.now(UTC)
