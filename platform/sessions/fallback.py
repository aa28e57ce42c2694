"""Redis sessions that fall back to the database while Redis is down (DESIGN.md §3).

Redis is an accelerator, never the only place sessions can live:

- a sign-in while Redis cannot be reached starts a database session (id ``d.…``), which
  keeps working after Redis returns, until it ends like any other session;
- a session kept in Redis cannot be read while Redis is down (its person is asked to sign
  in again, which starts a database session) and works again once Redis is back: nothing
  in Redis is lost or rewritten by the outage;
- "sign out everywhere" (and a password change) while Redis is down ends the database
  sessions at once and records a revocation in the database, so the user's Redis sessions
  started before it are refused and deleted when Redis returns. Each process rereads the
  revocations at most every ``recheck`` seconds of the clock's monotonic time.
"""

from __future__ import annotations

import logging
import threading

from trellis.platform.sessions.db_store import DatabaseSessionStore, is_database_sid
from trellis.platform.sessions.redis_store import RedisSessionStore
from trellis.platform.sessions.store import Session, SessionStoreUnavailableError

LOG = logging.getLogger(__name__)


class FallbackSessionStore:
    """The session store of a deployment with Redis: Redis first, the database when down."""

    def __init__(
        self, primary: RedisSessionStore, database: DatabaseSessionStore, *, recheck: float = 1.0
    ) -> None:
        self.primary = primary
        self.database = database
        self.clock = primary.clock
        self.recheck = recheck
        self._revoked: dict[int, float] = {}
        self._read_at: float | None = None
        self._lock = threading.Lock()

    def create(
        self, tenant: str, user_id: int, email: str, *, second_factor_pending: bool = False
    ) -> Session:
        """Start a session in Redis, or in the database when Redis cannot be reached."""
        try:
            return self.primary.create(
                tenant, user_id, email, second_factor_pending=second_factor_pending
            )
        except SessionStoreUnavailableError as exc:
            LOG.warning("sessions fall back to the database: %s", exc)
            return self.database.create(
                tenant, user_id, email, second_factor_pending=second_factor_pending
            )

    def get(self, sid: str) -> Session | None:
        """The live session ``sid``; None when unknown, expired, revoked or unreachable."""
        if not sid:
            return None
        if is_database_sid(sid):
            return self.database.get(sid)
        try:
            session = self.primary.get(sid)
        except SessionStoreUnavailableError:
            return None
        if session is not None and session.created_at <= self._revoked_at(session.user_id):
            self._delete_primary(sid)
            return None
        return session

    def complete_second_factor(self, sid: str) -> Session | None:
        """Finish the second factor in the store that holds ``sid`` (a new id)."""
        if is_database_sid(sid):
            return self.database.complete_second_factor(sid)
        try:
            return self.primary.complete_second_factor(sid)
        except SessionStoreUnavailableError:
            return None

    def delete(self, sid: str) -> None:
        """End one session (a Redis one that cannot be reached now stays unreadable)."""
        if is_database_sid(sid):
            self.database.delete(sid)
        else:
            self._delete_primary(sid)

    def delete_user(self, user_id: int) -> int:
        """End every session of ``user_id`` in both stores; returns how many were live."""
        ended = self.database.delete_user(user_id)
        try:
            return ended + self.primary.delete_user(user_id)
        except SessionStoreUnavailableError:
            self.database.revoke_user(user_id)
            with self._lock:
                self._read_at = None  # this process sees its own revocation at once
            return ended

    def close(self) -> None:
        """Close the Redis connections (the database belongs to the registry)."""
        self.primary.close()
        self.database.close()

    def _delete_primary(self, sid: str) -> None:
        try:
            self.primary.delete(sid)
        except SessionStoreUnavailableError:
            LOG.info("a Redis session could not be ended while Redis is down")

    def _revoked_at(self, user_id: int) -> float:
        """When ``user_id``'s sessions were last revoked while Redis was down (or -inf)."""
        now = self.clock.monotonic()
        with self._lock:
            stale = self._read_at is None or now - self._read_at >= self.recheck
        if stale:
            revoked = self.database.revoked()
            with self._lock:
                self._revoked, self._read_at = revoked, now
        return self._revoked.get(user_id, float("-inf"))


__all__ = ["FallbackSessionStore"]
