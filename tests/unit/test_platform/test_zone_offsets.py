"""A zone's offset stretches give every instant the offset zoneinfo gives it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from trellis.platform.dashboards.zone_offsets import offset_stretches


@pytest.mark.parametrize(
    "zone", ["Europe/Madrid", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "UTC"]
)
def test_stretches_match_zoneinfo_hour_by_hour(zone: str) -> None:
    first = datetime(2025, 12, 30, 3, 17, tzinfo=UTC)
    last = datetime(2027, 1, 2, tzinfo=UTC)
    stretches = offset_stretches(zone, first, last)
    assert stretches[0][0] == first
    assert [s for s, _ in stretches] == sorted(s for s, _ in stretches)
    moment = first
    while moment <= last:
        expected = moment.astimezone(ZoneInfo(zone)).utcoffset()
        found = [seconds for start, seconds in stretches if start <= moment][-1]
        assert timedelta(seconds=found) == expected, moment
        moment += timedelta(minutes=37)


def test_a_change_is_found_to_the_second() -> None:
    stretches = offset_stretches(
        "Europe/Madrid", datetime(2026, 10, 1), datetime(2026, 10, 31, tzinfo=UTC)
    )
    assert stretches[1:] == [(datetime(2026, 10, 25, 1, tzinfo=UTC), 3600)]
