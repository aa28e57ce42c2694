"""Choose the session store for a configuration."""

from __future__ import annotations

from typing import TYPE_CHECKING

from trellis.platform.config import Clock, RuntimeConfig, SystemClock
from trellis.platform.config.redis_client import fast_failing_client
from trellis.platform.sessions.db_store import DatabaseSessionStore
from trellis.platform.sessions.fallback import FallbackSessionStore
from trellis.platform.sessions.redis_store import DEFAULT_PREFIX, RedisSessionStore
from trellis.platform.sessions.store import MemorySessionStore, SessionStore, session_timeouts

if TYPE_CHECKING:
    from trellis.tenants.registry import TenantRegistry


def open_session_store(
    config: RuntimeConfig,
    *,
    clock: Clock | None = None,
    registry: TenantRegistry | None = None,
) -> SessionStore:
    """The store ``config.session_store`` names (DESIGN.md §3).

    ``auto``: Redis when ``config.redis_url`` is set (shared by processes), falling back
    to the system database of ``registry`` while Redis is down; process memory without
    Redis. ``database``: the system database always. ``memory``: this process only.
    Timeouts come from ``config.session_idle_minutes`` and ``config.session_max_hours``;
    Redis keys are prefixed with ``config.schema_prefix`` so deployments sharing a
    server stay apart. ``clock`` is the runtime's (``Runtime.clock``).

    Raises:
        ValueError: a database store is needed and no ``registry`` was given.
    """
    idle, absolute = session_timeouts(config)
    now = clock or SystemClock()
    kind = config.session_store
    if kind == "memory" or (kind == "auto" and not config.redis_url):
        return MemorySessionStore(idle=idle, absolute=absolute, clock=now)
    if registry is None:
        raise ValueError("sessions in the database need the tenant registry")
    database = DatabaseSessionStore(
        registry.connect, registry.metadata, idle=idle, absolute=absolute, clock=now
    )
    if kind == "database" or not config.redis_url:
        return database
    redis = RedisSessionStore(
        # Fail fast when Redis is down: the request falls back to the database.
        fast_failing_client(config.redis_url, socket_connect_timeout=0.5, socket_timeout=2.0),
        idle=idle,
        absolute=absolute,
        prefix=f"{DEFAULT_PREFIX}{config.schema_prefix}",
        clock=now,
    )
    return FallbackSessionStore(redis, database)


__all__ = ["open_session_store"]
