"""Sign-in lockout: failed attempts counted per user in the system database.

After ``max_failures`` wrong passwords in a row the account is locked for
``lockout`` seconds; a successful sign-in (or the end of the lock) starts the count
again. Counting in the system database makes the limit hold across processes.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from trellis.platform.sessions import Clock
from trellis.tenants.registry import TenantRegistry


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def lockout_message(seconds: float) -> str:
    """The sentence shown to a locked-out person (minutes rounded up)."""
    minutes = max(1, math.ceil(seconds / 60))
    unit = "minute" if minutes == 1 else "minutes"
    return f"Too many failed attempts; try again in {minutes} {unit}."


class SignInLockout:
    """Counts failed sign-ins per user and says whether an account is locked."""

    def __init__(
        self,
        registry: TenantRegistry,
        *,
        max_failures: int,
        lockout: timedelta,
        clock: Clock,
    ) -> None:
        self._registry = registry
        self._table = registry.metadata.tables["signin_failures"]
        self.max_failures = max_failures
        self.lockout = lockout
        self._clock = clock

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), UTC)

    def locked_for(self, user_id: int) -> float | None:
        """Seconds left on the lock of ``user_id``, or None when it may try."""
        t = self._table
        with self._registry.connect() as conn:
            until = conn.execute(sa.select(t.c.locked_until).where(t.c.user_id == user_id)).scalar()
        if until is None:
            return None
        left = (_aware(until) - self._now()).total_seconds()
        return left if left > 0 else None

    def record_failure(self, user_id: int) -> float | None:
        """Count one failed attempt; returns the lock's seconds when this one locks."""
        try:
            return self._count_failure(user_id)
        except IntegrityError:  # a first failure counted at the same time elsewhere
            return self._count_failure(user_id)

    def _count_failure(self, user_id: int) -> float | None:
        t = self._table
        now = self._now()
        with self._registry.connect(write=True) as conn, conn.begin():
            row = conn.execute(
                sa.select(t.c.failures, t.c.locked_until).where(t.c.user_id == user_id)
            ).first()
            if row is None:
                failures = 1
                conn.execute(t.insert().values(user_id=user_id, failures=1, last_failure_at=now))
            else:
                expired = row.locked_until is not None and _aware(row.locked_until) <= now
                failures = 1 if expired else int(row.failures) + 1
                conn.execute(
                    t.update()
                    .where(t.c.user_id == user_id)
                    .values(failures=failures, last_failure_at=now, locked_until=None)
                )
            if failures < self.max_failures:
                return None
            conn.execute(
                t.update().where(t.c.user_id == user_id).values(locked_until=now + self.lockout)
            )
        return self.lockout.total_seconds()

    def reset(self, user_id: int) -> None:
        """Forget the failures of ``user_id`` (after a successful sign-in)."""
        t = self._table
        with self._registry.connect(write=True) as conn, conn.begin():
            conn.execute(t.delete().where(t.c.user_id == user_id))


__all__ = ["SignInLockout", "lockout_message"]
