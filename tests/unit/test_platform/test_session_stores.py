"""Session stores: in-process, Redis (over fakeredis here), the system database (real
SQLite) and Redis falling back to the database.

All follow one protocol; the same tests run against each, with an injected clock so
idle timeouts and absolute lifetimes are checked without sleeping.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import fakeredis
import pytest
import sqlalchemy as sa

from trellis.platform.config import FakeClock, RuntimeConfig, config_from_env
from trellis.platform.sessions import (
    DatabaseSessionStore,
    FallbackSessionStore,
    MemorySessionStore,
    RedisSessionStore,
    SessionStore,
    open_session_store,
)
from trellis.tenants.registry import TenantRegistry, build_system_metadata

IDLE = 30 * 60.0
ABSOLUTE = 12 * 3600.0


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime.fromtimestamp(1_800_000_000, UTC))


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[TenantRegistry]:
    """A registry over a real SQLite system database."""
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'system.db'}")
    build_system_metadata().create_all(engine)
    yield TenantRegistry(lambda write=False: engine.connect())
    engine.dispose()


def database_store(registry: TenantRegistry, clock: FakeClock) -> DatabaseSessionStore:
    return DatabaseSessionStore(
        registry.connect, registry.metadata, idle=IDLE, absolute=ABSOLUTE, clock=clock
    )


@pytest.fixture(params=["memory", "redis", "database", "fallback", "fallback-down"])
def store(
    request: pytest.FixtureRequest, clock: FakeClock, registry: TenantRegistry
) -> Iterator[SessionStore]:
    """Each store kind with a 30-minute idle timeout and a 12-hour lifetime.

    ``fallback-down`` is Redis-with-fallback while Redis cannot be reached.
    """
    if request.param == "memory":
        yield MemorySessionStore(idle=IDLE, absolute=ABSOLUTE, clock=clock)
        return
    if request.param == "database":
        yield database_store(registry, clock)
        return
    server = fakeredis.FakeServer()
    server.connected = request.param != "fallback-down"
    redis_store = RedisSessionStore(
        fakeredis.FakeRedis(server=server), idle=IDLE, absolute=ABSOLUTE, prefix="t:", clock=clock
    )
    if request.param == "redis":
        yield redis_store
    else:
        yield FallbackSessionStore(redis_store, database_store(registry, clock))
    redis_store.close()


def test_a_new_session_is_found_by_its_id(store: SessionStore) -> None:
    session = store.create("acme", 7, "ann@acme.test")
    found = store.get(session.sid)
    assert found is not None
    assert (found.tenant, found.user_id, found.email) == ("acme", 7, "ann@acme.test")
    assert found.second_factor_pending is False
    assert len(session.sid) >= 40
    assert store.get("no-such-session") is None
    assert store.get("") is None


def test_idle_sessions_expire_and_use_restarts_the_idle_clock(
    store: SessionStore, clock: FakeClock
) -> None:
    kept = store.create("acme", 1, "a@acme.test")
    idle = store.create("acme", 1, "a@acme.test")
    clock.advance(IDLE - 60)
    assert store.get(kept.sid) is not None  # used: its idle clock starts again
    clock.advance(120)
    assert store.get(idle.sid) is None  # 31 minutes without use
    assert store.get(kept.sid) is not None  # 2 minutes since its last use


def test_the_absolute_lifetime_ends_even_an_active_session(
    store: SessionStore, clock: FakeClock
) -> None:
    session = store.create("acme", 1, "a@acme.test")
    for _ in range(int(ABSOLUTE // (IDLE - 60))):
        clock.advance(IDLE - 60)
        assert store.get(session.sid) is not None
    clock.advance(IDLE - 60)  # past 12 hours since sign-in, though used all along
    assert store.get(session.sid) is None
    assert store.get(session.sid) is None  # and it stays gone


def test_completing_the_second_factor_changes_the_session_id(store: SessionStore) -> None:
    pending = store.create("acme", 3, "c@acme.test", second_factor_pending=True)
    got = store.get(pending.sid)
    assert got is not None
    assert got.second_factor_pending is True
    done = store.complete_second_factor(pending.sid)
    assert done is not None
    assert done.sid != pending.sid
    assert done.second_factor_pending is False
    assert store.get(pending.sid) is None  # the pre-login id is useless (fixation)
    live = store.get(done.sid)
    assert live is not None
    assert live.user_id == 3
    assert store.complete_second_factor(pending.sid) is None


def test_delete_ends_one_session(store: SessionStore) -> None:
    one = store.create("acme", 4, "d@acme.test")
    two = store.create("acme", 4, "d@acme.test")
    store.delete(one.sid)
    store.delete("unknown")  # no error
    assert store.get(one.sid) is None
    assert store.get(two.sid) is not None


def test_delete_user_ends_every_session_of_that_user_only(store: SessionStore) -> None:
    mine = [store.create(t, 5, "e@x.test") for t in ("acme", "acme", "globex")]
    other = store.create("acme", 6, "f@acme.test")
    assert store.delete_user(5) == 3
    assert all(store.get(s.sid) is None for s in mine)
    assert store.get(other.sid) is not None
    assert store.delete_user(5) == 0


def test_redis_keys_expire_with_the_idle_timeout_and_never_come_back(clock: FakeClock) -> None:
    server = fakeredis.FakeRedis()
    redis_store = RedisSessionStore(server, idle=600, absolute=3600, prefix="p:", clock=clock)
    session = redis_store.create("acme", 9, "g@acme.test")
    assert 590 <= int(server.ttl(f"p:session:{session.sid}")) <= 600
    assert server.smembers("p:user-sessions:9") == {session.sid.encode()}
    server.delete(f"p:session:{session.sid}")  # ended elsewhere (e.g. Redis expiry)
    assert redis_store.get(session.sid) is None
    assert not server.exists(f"p:session:{session.sid}")
    server.set("p:session:broken", b"not json")
    assert redis_store.get("broken") is None
    redis_store.close()


def test_open_session_store_follows_the_configuration(
    tmp_path: Path, registry: TenantRegistry
) -> None:
    config = RuntimeConfig(data_dir=tmp_path, session_idle_minutes=5, session_max_hours=2)
    memory = open_session_store(config)
    assert isinstance(memory, MemorySessionStore)
    assert (memory.idle, memory.absolute) == (300.0, 7200.0)
    redis_config = config.with_overrides(redis_url="redis://127.0.0.1:6379/11", schema_prefix="x1_")
    with pytest.raises(ValueError, match="registry"):
        open_session_store(redis_config)
    fallback = open_session_store(redis_config, registry=registry)
    assert isinstance(fallback, FallbackSessionStore)
    assert (fallback.primary.idle, fallback.primary.prefix) == (300.0, "trellis:x1_")
    assert (fallback.database.idle, fallback.database.absolute) == (300.0, 7200.0)
    fallback.close()
    for redis_url in (None, "redis://127.0.0.1:6379/11"):
        chosen = config.with_overrides(redis_url=redis_url, session_store="database")
        assert isinstance(open_session_store(chosen, registry=registry), DatabaseSessionStore)
    chosen = redis_config.with_overrides(session_store="memory")
    assert isinstance(open_session_store(chosen), MemorySessionStore)


def test_timeouts_and_lockout_come_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("TRELLIS_SESSION_IDLE_MINUTES", "10")
    monkeypatch.setenv("TRELLIS_SESSION_MAX_HOURS", "1.5")
    monkeypatch.setenv("TRELLIS_SIGNIN_MAX_FAILURES", "3")
    monkeypatch.setenv("TRELLIS_SIGNIN_LOCKOUT_MINUTES", "20")
    monkeypatch.setenv("TRELLIS_SECURE_COOKIES", "1")
    monkeypatch.setenv("TRELLIS_SESSION_STORE", "Database")
    config = config_from_env(tmp_path)
    assert config.session_store == "database"
    assert config.session_idle_minutes == 10
    assert config.session_max_hours == 1.5
    assert config.signin_max_failures == 3
    assert config.signin_lockout_minutes == 20
    assert config.secure_cookies is True


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("TRELLIS_SESSION_IDLE_MINUTES", "soon", "TRELLIS_SESSION_IDLE_MINUTES has value 'soon'"),
        ("TRELLIS_SESSION_IDLE_MINUTES", "0", "must be at least 1"),
        ("TRELLIS_SIGNIN_MAX_FAILURES", "-2", "must be at least 1"),
        ("TRELLIS_SESSION_STORE", "disk", "Use one of: auto, database, memory"),
    ],
)
def test_bad_timeout_settings_are_refused_by_name(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, name: str, value: str, message: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValueError, match=message):
        config_from_env(tmp_path)


def test_the_fallback_keeps_both_kinds_of_sessions_across_an_outage(
    clock: FakeClock, registry: TenantRegistry
) -> None:
    server = fakeredis.FakeServer()
    redis_store = RedisSessionStore(
        fakeredis.FakeRedis(server=server), idle=IDLE, absolute=ABSOLUTE, clock=clock
    )
    store = FallbackSessionStore(redis_store, database_store(registry, clock))
    before = store.create("acme", 1, "a@acme.test")
    assert not before.sid.startswith("d.")  # Redis while it is up
    server.connected = False
    assert store.get(before.sid) is None  # unreachable for now: sign in again
    store.delete(before.sid)  # ending it cannot reach Redis, and does not fail
    during = store.create("acme", 1, "a@acme.test")
    assert during.sid.startswith("d.")  # the database while Redis is down
    clock.advance(IDLE - 60)
    assert store.get(during.sid) is not None
    server.connected = True
    # Redis is back: what it held is there again, and the database session goes on.
    assert store.get(before.sid) is not None and store.get(during.sid) is not None
    clock.advance(IDLE + 1)  # both stores keep the same idle timeout
    assert store.get(before.sid) is None and store.get(during.sid) is None
    after = store.create("acme", 1, "a@acme.test")
    assert not after.sid.startswith("d.")
    redis_store.close()


def test_signing_out_everywhere_while_redis_is_down_ends_its_sessions_when_it_returns(
    clock: FakeClock, registry: TenantRegistry
) -> None:
    server = fakeredis.FakeServer()
    redis_store = RedisSessionStore(
        fakeredis.FakeRedis(server=server), idle=IDLE, absolute=ABSOLUTE, clock=clock
    )
    store = FallbackSessionStore(redis_store, database_store(registry, clock))
    other = FallbackSessionStore(redis_store, database_store(registry, clock))  # a 2nd process
    old = store.create("acme", 1, "a@acme.test")
    kept = store.create("acme", 2, "b@acme.test")
    assert other.get(old.sid) is not None  # it has read the (empty) revocations
    server.connected = False
    during = store.create("acme", 1, "a@acme.test")
    assert store.delete_user(1) == 1  # the database session; Redis cannot be reached
    assert store.get(during.sid) is None
    clock.advance(5)
    server.connected = True
    newer = store.create("acme", 1, "a@acme.test")
    assert store.get(old.sid) is None  # started before the revocation: ended
    assert other.get(old.sid) is None  # every process rereads the revocations
    assert server.connected and not redis_store.client.exists(f"trellis:session:{old.sid}")
    assert store.get(kept.sid) is not None and store.get(newer.sid) is not None
    redis_store.close()
