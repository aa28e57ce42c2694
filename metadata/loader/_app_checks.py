"""Checks of ``app.yaml`` beyond its JSON Schema: the ``timezone`` name (MD032)."""

from __future__ import annotations

from functools import cache
from typing import Any
from zoneinfo import available_timezones

from trellis.metadata.diagnostics import did_you_mean
from trellis.metadata.loader._report import Report
from trellis.metadata.loader.positions import PositionMap


@cache
def known_timezones() -> frozenset[str]:
    """The IANA time zone names this machine knows (system tz database or ``tzdata``)."""
    return frozenset(available_timezones())


def check_app(data: Any, positions: PositionMap, report: Report) -> None:
    """Report a ``timezone`` that is not a known IANA name (MD032), with a suggestion."""
    if not isinstance(data, dict):
        return
    zone = data.get("timezone")
    if not isinstance(zone, str) or not zone or zone in known_timezones():
        return  # a missing or non-text value is the schema's to report
    report.error(
        "MD032",
        f"timezone '{zone}' is not a known IANA time zone",
        positions.value(("timezone",)),
        did_you_mean(zone, sorted(known_timezones())),
    )


__all__ = ["check_app", "known_timezones"]
