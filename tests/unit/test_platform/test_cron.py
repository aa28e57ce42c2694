"""Next fire time of ``every "<cron>"`` rules on a time zone's wall clock."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from trellis.platform.schedules.cron import next_due


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_utc_is_the_default() -> None:
    assert next_due("0 9 * * *", _utc("2030-01-15T09:00:00")) == _utc("2030-01-16T09:00:00")


@pytest.mark.parametrize(
    ("after", "due"),
    [
        ("2030-01-15T12:00:00", "2030-01-16T08:00:00"),  # winter: CET, UTC+1
        ("2030-07-15T12:00:00", "2030-07-16T07:00:00"),  # summer: CEST, UTC+2
        ("2030-03-30T12:00:00", "2030-03-31T07:00:00"),  # the morning clocks go forward
        ("2030-10-26T12:00:00", "2030-10-27T08:00:00"),  # the morning clocks go back
    ],
)
def test_nine_in_madrid_follows_daylight_saving(after: str, due: str) -> None:
    assert next_due("0 9 * * *", _utc(after), "Europe/Madrid") == _utc(due)


def test_a_daily_rule_fires_every_local_day_across_both_changes() -> None:
    at = _utc("2030-03-29T12:00:00")
    fired = []
    for _ in range(3):
        at = next_due("0 9 * * *", at, "Europe/Madrid")
        fired.append(at)
    assert fired == [_utc(t) for t in ("2030-03-30T08:00", "2030-03-31T07:00", "2030-04-01T07:00")]


def test_a_skipped_local_time_fires_once_after_the_gap() -> None:
    # 02:30 does not exist on 2030-03-31 in Madrid: it fires at 03:30 CEST (01:30 UTC).
    after = _utc("2030-03-30T12:00:00")
    assert next_due("30 2 * * *", after, "Europe/Madrid") == _utc("2030-03-31T01:30:00")
    after = _utc("2030-03-31T01:30:00")
    assert next_due("30 2 * * *", after, "Europe/Madrid") == _utc("2030-04-01T00:30:00")


def test_a_repeated_local_time_fires_once_at_its_first_occurrence() -> None:
    # 02:30 happens twice on 2030-10-27 in Madrid: 00:30 UTC (CEST) and 01:30 UTC (CET).
    first = next_due("30 2 * * *", _utc("2030-10-26T12:00:00"), "Europe/Madrid")
    assert first == _utc("2030-10-27T00:30:00")
    assert next_due("30 2 * * *", first, "Europe/Madrid") == _utc("2030-10-28T01:30:00")
    # Asked during the second pass of the hour: the day's 02:30 is already over.
    during = _utc("2030-10-27T01:10:00")
    assert next_due("30 2 * * *", during, "Europe/Madrid") == _utc("2030-10-28T01:30:00")
