"""The Redis session store against the real Redis server (database 11, private prefix).

The web app closes the store it uses when it shuts down.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from litestar.testing import TestClient
from redis import Redis

from trellis.platform.config import FakeClock, RuntimeConfig
from trellis.platform.runtime import Runtime
from trellis.platform.sessions import FallbackSessionStore, RedisSessionStore
from trellis.ui.screens.app import create_web_app

REDIS_URL = os.environ.get("TRELLIS_TEST_REDIS_URL", "redis://127.0.0.1:6379/11")


@pytest.fixture
def prefix() -> Iterator[str]:
    """A key prefix of this test; its keys are removed afterwards."""
    name = f"test-sessions-{uuid.uuid4().hex[:8]}:"
    yield name
    client = Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(f"{name}*"))
    if keys:
        client.delete(*keys)
    client.close()


def _store(prefix: str, clock: FakeClock, *, idle: float = 1800) -> RedisSessionStore:
    return RedisSessionStore(
        Redis.from_url(REDIS_URL), idle=idle, absolute=3 * 3600, prefix=prefix, clock=clock
    )


def test_two_processes_share_sessions_and_sign_out_everywhere(prefix: str) -> None:
    clock = FakeClock()
    web1, web2 = _store(prefix, clock), _store(prefix, clock)
    try:
        here = web1.create("acme", 42, "ann@acme.test")
        there = web2.create("globex", 42, "ann@acme.test")
        other = web2.create("acme", 43, "bob@acme.test")
        found = web2.get(here.sid)
        assert found is not None
        assert found.email == "ann@acme.test"
        assert web1.delete_user(42) == 2  # "sign out everywhere" in process 1 ...
        assert web2.get(there.sid) is None  # ... ends the session process 2 started
        assert web2.get(here.sid) is None
        assert web1.get(other.sid) is not None
    finally:
        web1.close()
        web2.close()


def test_idle_and_absolute_expiry_on_the_real_server(prefix: str) -> None:
    clock = FakeClock()
    store = _store(prefix, clock)
    try:
        idle = store.create("acme", 1, "a@acme.test")
        active = store.create("acme", 1, "a@acme.test")
        client = store.client
        ttl = int(client.ttl(f"{prefix}session:{idle.sid}"))  # type: ignore[arg-type]
        assert 1790 <= ttl <= 1800  # Redis forgets idle sessions by itself
        for _ in range(6):
            clock.advance(1700)
            assert store.get(active.sid) is not None
        assert store.get(idle.sid) is None  # idle far past 30 minutes
        clock.advance(1700)  # active all along, but past the 3-hour lifetime now
        assert store.get(active.sid) is None
        assert not client.exists(f"{prefix}session:{active.sid}")
    finally:
        store.close()


def test_redis_ttl_ends_sessions_in_real_time(prefix: str) -> None:
    # The store's clock stands still, so only Redis's own expiry (PX of the idle
    # timeout, 150 ms here) can end the session: poll Redis, never sleep a fixed time.
    clock = FakeClock()
    store = RedisSessionStore(
        Redis.from_url(REDIS_URL), idle=0.15, absolute=60, prefix=prefix, clock=clock
    )
    try:
        session = store.create("acme", 2, "b@acme.test")
        assert store.get(session.sid) is not None
        key = f"{prefix}session:{session.sid}"
        deadline = time.monotonic() + 60.0
        while store.client.exists(key) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert store.get(session.sid) is None
    finally:
        store.close()


def test_a_read_never_revives_a_session_ended_meanwhile(prefix: str) -> None:
    clock = FakeClock()
    store = _store(prefix, clock)
    try:
        session = store.create("acme", 3, "c@acme.test")
        pending = store.create("acme", 3, "c@acme.test", second_factor_pending=True)
        renewed = store.complete_second_factor(pending.sid)
        assert renewed is not None
        assert renewed.sid != pending.sid
        assert store.get(pending.sid) is None
        assert store.delete_user(3) == 2
        assert store.get(session.sid) is None
        assert store.get(renewed.sid) is None
        assert not store.client.exists(f"{prefix}user-sessions:3")
    finally:
        store.close()


def test_the_web_app_closes_its_session_store_at_shutdown(tmp_path: Path) -> None:
    deployment = f"test-app-{uuid.uuid4().hex[:8]}:"
    config = RuntimeConfig(
        data_dir=tmp_path / "data", redis_url=REDIS_URL, schema_prefix=deployment
    )
    app = create_web_app(Runtime(config))
    fallback = app.state["ui"].sessions
    assert isinstance(fallback, FallbackSessionStore)  # Redis, the database while it is down
    store = fallback.primary
    pool = store.client.connection_pool
    with TestClient(app=app) as client:
        assert client.get("/health").status_code == 200
        session = store.create("acme", 4, "d@acme.test")
        assert store.get(session.sid) is not None
        # Private pool state: redis-py has no public "is this pool closed".
        opened = [*pool._available_connections, *pool._in_use_connections]
        assert any(c.is_connected for c in opened)
    assert not any(c.is_connected for c in opened)
    cleanup = Redis.from_url(REDIS_URL)
    keys = list(cleanup.scan_iter(f"trellis:{deployment}*"))
    if keys:
        cleanup.delete(*keys)
    cleanup.close()
