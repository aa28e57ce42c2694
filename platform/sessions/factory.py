"""Choose the session store for a configuration."""

from __future__ import annotations

from redis import Redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from trellis.platform.config import Clock, RuntimeConfig, SystemClock
from trellis.platform.sessions.redis_store import DEFAULT_PREFIX, RedisSessionStore
from trellis.platform.sessions.store import MemorySessionStore, SessionStore, session_timeouts


def open_session_store(config: RuntimeConfig, *, clock: Clock | None = None) -> SessionStore:
    """Redis when ``config.redis_url`` is set (shared by processes), else process memory.

    Timeouts come from ``config.session_idle_minutes`` and ``config.session_max_hours``;
    Redis keys are prefixed with ``config.schema_prefix`` so deployments sharing a
    server stay apart. ``clock`` is the runtime's (``Runtime.clock``).
    """
    idle, absolute = session_timeouts(config)
    now = clock or SystemClock()
    if config.redis_url:
        return RedisSessionStore(
            # Fail fast when Redis is down (one immediate retry for a stale pooled
            # connection, not the client's default backoff of seconds): the request
            # answers 503 instead of hanging.
            Redis.from_url(
                config.redis_url,
                socket_connect_timeout=0.5,
                socket_timeout=2.0,
                retry=Retry(NoBackoff(), 1),
            ),
            idle=idle,
            absolute=absolute,
            prefix=f"{DEFAULT_PREFIX}{config.schema_prefix}",
            clock=now,
        )
    return MemorySessionStore(idle=idle, absolute=absolute, clock=now)


__all__ = ["open_session_store"]
