"""Server-side sign-in sessions: an id in a cookie, the state on the server.

The embedded default keeps sessions in process memory; with ``TRELLIS_REDIS_URL``
they live in Redis so several processes share them, and in the system database while
Redis is down (``TRELLIS_SESSION_STORE=database``: always there).
"""

from __future__ import annotations

from trellis.platform.sessions.db_store import DatabaseSessionStore
from trellis.platform.sessions.factory import open_session_store
from trellis.platform.sessions.fallback import FallbackSessionStore
from trellis.platform.sessions.redis_store import RedisSessionStore
from trellis.platform.sessions.store import (
    ABSOLUTE_LIFETIME,
    IDLE_TIMEOUT,
    SESSION_COOKIE,
    MemorySessionStore,
    Session,
    SessionStore,
    SessionStoreUnavailableError,
    session_timeouts,
)

__all__ = [
    "ABSOLUTE_LIFETIME",
    "IDLE_TIMEOUT",
    "SESSION_COOKIE",
    "DatabaseSessionStore",
    "FallbackSessionStore",
    "MemorySessionStore",
    "RedisSessionStore",
    "Session",
    "SessionStore",
    "SessionStoreUnavailableError",
    "open_session_store",
    "session_timeouts",
]
