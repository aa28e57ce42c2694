"""Session records and the in-process store (idle timeout, absolute lifetime)."""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, replace
from typing import Protocol

from trellis.platform.config import Clock, RuntimeConfig, SystemClock

SESSION_COOKIE = "trellis_session"
#: Seconds without a request after which a session ends.
IDLE_TIMEOUT = 30 * 60.0
#: Seconds after sign-in after which a session ends whatever the activity.
ABSOLUTE_LIFETIME = 12 * 3600.0


class SessionStoreUnavailableError(RuntimeError):
    """The session store (Redis) cannot be reached: nobody can sign in or be recognised.

    The web app answers 503 with ``Retry-After`` and says so (platform/db/outages.py);
    API tokens do not need sessions and keep working.
    """


@dataclass(frozen=True, slots=True)
class Session:
    """A signed-in (or half signed-in, waiting for a second factor) user of one tenant."""

    sid: str
    tenant: str
    user_id: int
    email: str
    #: Seconds since the epoch (the store's ``clock.now()``).
    created_at: float
    last_seen: float
    #: True between the password step and the two-factor step.
    second_factor_pending: bool = False


class SessionStore(Protocol):
    """Where sessions live."""

    #: The store's clock; sign-in lockout windows use the same one.
    clock: Clock

    def create(
        self, tenant: str, user_id: int, email: str, *, second_factor_pending: bool = False
    ) -> Session:
        """Start a session with a fresh unguessable id."""

    def get(self, sid: str) -> Session | None:
        """The live session ``sid`` (its idle clock restarted), or None when unknown or expired."""

    def complete_second_factor(self, sid: str) -> Session | None:
        """Mark the second factor done; returns the session under a NEW id (fixation)."""

    def delete(self, sid: str) -> None:
        """End one session."""

    def delete_user(self, user_id: int) -> int:
        """End every session of ``user_id`` (sign out everywhere); returns how many."""

    def close(self) -> None:
        """Release connections (the sessions themselves stay)."""


class MemorySessionStore:
    """Sessions in this process's memory: the embedded default."""

    def __init__(
        self,
        *,
        idle: float = IDLE_TIMEOUT,
        absolute: float = ABSOLUTE_LIFETIME,
        clock: Clock | None = None,
    ) -> None:
        self.idle = idle
        self.absolute = absolute
        self.clock: Clock = clock or SystemClock()
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()

    def create(
        self, tenant: str, user_id: int, email: str, *, second_factor_pending: bool = False
    ) -> Session:
        now = self.clock.now().timestamp()
        session = Session(
            secrets.token_urlsafe(32), tenant, user_id, email, now, now, second_factor_pending
        )
        with self._lock:
            self._sessions[session.sid] = session
        return session

    def get(self, sid: str) -> Session | None:
        now = self.clock.now().timestamp()
        with self._lock:
            session = self._sessions.get(sid)
            if session is None:
                return None
            if now - session.last_seen > self.idle or now - session.created_at > self.absolute:
                del self._sessions[sid]
                return None
            session = replace(session, last_seen=now)
            self._sessions[sid] = session
            return session

    def complete_second_factor(self, sid: str) -> Session | None:
        with self._lock:
            session = self._sessions.pop(sid, None)
            if session is None:
                return None
            renewed = replace(session, sid=secrets.token_urlsafe(32), second_factor_pending=False)
            self._sessions[renewed.sid] = renewed
            return renewed

    def delete(self, sid: str) -> None:
        with self._lock:
            self._sessions.pop(sid, None)

    def delete_user(self, user_id: int) -> int:
        with self._lock:
            doomed = [sid for sid, s in self._sessions.items() if s.user_id == user_id]
            for sid in doomed:
                del self._sessions[sid]
        return len(doomed)

    def close(self) -> None:
        """Nothing to release in memory."""


def session_timeouts(config: RuntimeConfig) -> tuple[float, float]:
    """The idle timeout and absolute lifetime of ``config``, in seconds."""
    return config.session_idle_minutes * 60.0, config.session_max_hours * 3600.0


__all__ = [
    "ABSOLUTE_LIFETIME",
    "IDLE_TIMEOUT",
    "SESSION_COOKIE",
    "MemorySessionStore",
    "Session",
    "SessionStore",
    "session_timeouts",
]
