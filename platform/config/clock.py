"""The runtime's clock: wall time for stored instants and expiries, a monotonic reading for TTLs.

Everything that asks "what time is it" (sessions, sign-in lockout, token expiry and
caches, version checks, timers and the job dispatcher, rate-limit windows) asks the
:class:`Clock` the :class:`~trellis.platform.runtime.Runtime` was built with, so tests
move a :class:`FakeClock` instead of sleeping.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Where the current time comes from."""

    def now(self) -> datetime:
        """The current instant, an aware UTC datetime."""

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back (only differences mean anything)."""


class SystemClock:
    """The real clock: ``datetime.now(UTC)`` and ``time.monotonic()``."""

    __slots__ = ()

    def now(self) -> datetime:
        """The current instant, an aware UTC datetime."""
        return datetime.now(UTC)

    def monotonic(self) -> float:
        """``time.monotonic()``."""
        return time.monotonic()


class FakeClock:
    """A clock tests move by hand; it stands still otherwise.

    ``advance`` moves both readings; ``set`` moves the wall time only (like someone
    setting a computer's clock: the monotonic reading neither jumps nor goes back).
    """

    def __init__(self, start: datetime | None = None) -> None:
        """``start`` (aware) is the first wall time; the real current time when omitted."""
        self._lock = threading.Lock()
        self._now = _aware(start) if start is not None else datetime.now(UTC)
        self._monotonic = 1_000.0

    def now(self) -> datetime:
        """The clock's current instant."""
        with self._lock:
            return self._now

    def monotonic(self) -> float:
        """The clock's monotonic reading."""
        with self._lock:
            return self._monotonic

    def advance(self, seconds: float) -> None:
        """Move the clock ``seconds`` forward.

        Raises:
            ValueError: ``seconds`` is negative (time never runs backwards here).
        """
        if seconds < 0:
            raise ValueError(f"FakeClock.advance({seconds}): seconds must not be negative.")
        with self._lock:
            self._now += timedelta(seconds=seconds)
            self._monotonic += seconds

    def set(self, when: datetime) -> None:
        """Set the wall time to ``when`` (aware); the monotonic reading stays."""
        moved = _aware(when)
        with self._lock:
            self._now = moved


def _aware(when: datetime) -> datetime:
    """``when`` in UTC; a naive datetime is refused (its zone would be a guess)."""
    if when.tzinfo is None:
        raise ValueError(f"FakeClock needs an aware datetime, not the naive {when.isoformat()}.")
    return when.astimezone(UTC)


__all__ = ["Clock", "FakeClock", "SystemClock"]
