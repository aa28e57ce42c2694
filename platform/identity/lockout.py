"""Sign-in lockout: failed attempts counted per email address in the system database.

After ``max_failures`` wrong passwords in a row the address is locked for
``lockout`` seconds; a successful sign-in (or the end of the lock) starts the count
again. Attempts are counted by normalized email (stripped, lower case) whether or not
an account has that address, so a lock never tells an unknown address from a real
one. Counting in the system database makes the limit hold across processes.
"""

from __future__ import annotations

import hashlib
import math
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from trellis.platform.config import Clock
from trellis.tenants.registry import TenantRegistry

#: Longer keys are stored as a digest (no account has such an address).
MAX_KEY_LENGTH = 254
#: Failures older than this are forgotten: they no longer count, and their rows (of
#: addresses that stopped trying, known or not) are deleted when a new address fails.
FORGET_AFTER = timedelta(hours=24)


def lockout_key(email: str) -> str:
    """The counter's key of ``email``: stripped and lower-cased (hashed when very long)."""
    key = email.strip().lower()
    if len(key) > MAX_KEY_LENGTH:
        return "sha256:" + hashlib.sha256(key.encode("utf-8")).hexdigest()
    return key


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def lockout_message(seconds: float) -> str:
    """The sentence shown to a locked-out person (minutes rounded up)."""
    minutes = max(1, math.ceil(seconds / 60))
    unit = "minute" if minutes == 1 else "minutes"
    return f"Too many failed attempts; try again in {minutes} {unit}."


class SignInLockout:
    """Counts failed sign-ins per email address and says whether it is locked."""

    def __init__(
        self,
        registry: TenantRegistry,
        *,
        max_failures: int,
        lockout: timedelta,
        clock: Clock,
    ) -> None:
        self._registry = registry
        self._table = registry.metadata.tables["signin_email_failures"]
        self.max_failures = max_failures
        self.lockout = lockout
        self._clock = clock

    def _now(self) -> datetime:
        return self._clock.now()

    def locked_for(self, email: str) -> float | None:
        """Seconds left on the lock of ``email``, or None when it may try."""
        t = self._table
        key = lockout_key(email)
        with self._registry.connect() as conn:
            until = conn.execute(sa.select(t.c.locked_until).where(t.c.email == key)).scalar()
        if until is None:
            return None
        left = (_aware(until) - self._now()).total_seconds()
        return left if left > 0 else None

    def record_failure(self, email: str) -> float | None:
        """Count one failed attempt; returns the lock's seconds when this one locks."""
        key = lockout_key(email)
        try:
            return self._count_failure(key)
        except IntegrityError:  # a first failure counted at the same time elsewhere
            return self._count_failure(key)

    def _count_failure(self, key: str) -> float | None:
        t = self._table
        now = self._now()
        with self._registry.connect(write=True) as conn, conn.begin():
            row = conn.execute(
                sa.select(t.c.failures, t.c.locked_until, t.c.last_failure_at).where(
                    t.c.email == key
                )
            ).first()
            if row is None:
                failures = 1
                self._prune(conn, now)
                conn.execute(t.insert().values(email=key, failures=1, last_failure_at=now))
            else:
                expired = row.locked_until is not None and _aware(row.locked_until) <= now
                stale = _aware(row.last_failure_at) <= now - FORGET_AFTER
                failures = 1 if expired or stale else int(row.failures) + 1
                conn.execute(
                    t.update()
                    .where(t.c.email == key)
                    .values(failures=failures, last_failure_at=now, locked_until=None)
                )
            if failures < self.max_failures:
                return None
            conn.execute(t.update().where(t.c.email == key).values(locked_until=now + self.lockout))
        return self.lockout.total_seconds()

    def _prune(self, conn: sa.Connection, now: datetime) -> None:
        """Delete forgotten counters whose lock (if any) is over."""
        t = self._table
        old = now - FORGET_AFTER
        over = sa.or_(t.c.locked_until.is_(None), t.c.locked_until <= now)
        conn.execute(t.delete().where(t.c.last_failure_at <= old, over))

    def reset(self, email: str) -> None:
        """Forget the failures of ``email`` (after a successful sign-in)."""
        t = self._table
        with self._registry.connect(write=True) as conn, conn.begin():
            conn.execute(t.delete().where(t.c.email == lockout_key(email)))


__all__ = ["FORGET_AFTER", "SignInLockout", "lockout_key", "lockout_message"]
