"""The database session store on the real system database (SQLite and PostgreSQL).

The same rows serve every process of a deployment: sessions survive a restart, keep the
idle timeout and absolute lifetime of the injected clock, and "sign out everywhere"
(also the revocation recorded for Redis sessions while Redis is down) reaches them all.
"""

from __future__ import annotations

from trellis.platform.config import FakeClock, RuntimeConfig
from trellis.platform.runtime import Runtime
from trellis.platform.sessions import DatabaseSessionStore, open_session_store


def _store(runtime: Runtime, clock: FakeClock) -> DatabaseSessionStore:
    store = open_session_store(
        runtime.config.with_overrides(
            session_store="database", session_idle_minutes=30, session_max_hours=2
        ),
        clock=clock,
        registry=runtime.registry,
    )
    assert isinstance(store, DatabaseSessionStore)
    return store


def test_sessions_in_the_database_outlive_the_process_and_keep_their_timeouts(
    config: RuntimeConfig,
) -> None:
    clock = FakeClock()
    first = Runtime(config)
    try:
        store = _store(first, clock)
        kept = store.create("acme", 1, "a@acme.test")
        idle = store.create("acme", 1, "a@acme.test")
        other = store.create("acme", 2, "b@acme.test", second_factor_pending=True)
    finally:
        first.close()
    second = Runtime(config)  # another process, or the same one restarted
    try:
        store = _store(second, clock)
        clock.advance(29 * 60)
        found = store.get(kept.sid)
        assert found is not None and (found.tenant, found.email) == ("acme", "a@acme.test")
        clock.advance(2 * 60)
        assert store.get(idle.sid) is None  # 31 minutes unused
        assert store.get(kept.sid) is not None  # used 2 minutes ago
        done = store.complete_second_factor(other.sid)
        assert done is not None and done.sid != other.sid and not done.second_factor_pending
        assert store.get(other.sid) is None
        assert store.delete_user(2) == 1 and store.get(done.sid) is None
        for _ in range(3):  # active all along (106 minutes in) ...
            clock.advance(25 * 60)
            assert store.get(kept.sid) is not None
        clock.advance(15 * 60)  # ... but 2 hours after sign-in it ends
        assert store.get(kept.sid) is None
        store.revoke_user(3)
        assert set(store.revoked()) == {3}
    finally:
        second.close()
