"""The runtime's clock drives version checks, tokens, member caches and the dispatcher.

Every test moves a FakeClock; none waits for real time to pass.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from litestar.testing import TestClient

from trellis.platform.api.auth import TOKEN_CACHE_SECONDS, TokenAuthenticator, UnauthorizedError
from trellis.platform.authz.directory import DIRECTORY_SECONDS, MemberDirectory
from trellis.platform.config import FakeClock, RuntimeConfig
from trellis.platform.jobs import Dispatcher
from trellis.platform.publish import publish
from trellis.platform.runtime import Runtime
from trellis.tenants.registry.access_admin import list_tokens, revoke_token
from trellis.tenants.registry.members import update_member

from helpers import Api, PackageWriter, make_tenant
from jobs_helpers import make_jobs_tenant, rows

START = datetime(2029, 3, 1, 12, 0, tzinfo=UTC)


def _utc(value: datetime | None) -> datetime | None:
    """A stored time as aware UTC (SQLite gives it back naive)."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def runtime(clocked_runtime: Runtime) -> Runtime:
    return clocked_runtime


@pytest.fixture
def elsewhere(config: RuntimeConfig) -> Iterator[Runtime]:
    """Another process's runtime over the same databases (its changes send no news)."""
    other = Runtime(config)
    yield other
    other.close()


def test_version_check_waits_for_its_interval_on_the_runtime_clock(
    config: RuntimeConfig, clock: FakeClock, elsewhere: Runtime, write_package: PackageWriter
) -> None:
    checking = Runtime(config.with_overrides(version_check_interval=1.0), clock=clock)
    try:
        make_tenant(checking, write_package, "acme")
        assert checking.tenant("acme").current_version == 1
        extra = {"invoice": "fields:\n  number: {type: string}\n"}
        publish(elsewhere, "acme", write_package(extra))
        clock.advance(0.99)
        assert checking.tenant("acme").current_version == 1  # checked less than 1 s ago
        clock.advance(0.01)
        assert checking.tenant("acme").current_version == 2
    finally:
        checking.close()


def test_token_expiry_last_use_and_cache_follow_the_runtime_clock(
    runtime: Runtime, clock: FakeClock, elsewhere: Runtime, write_package: PackageWriter
) -> None:
    make_tenant(runtime, write_package, "acme")
    auth = TokenAuthenticator(runtime.registry, clock=clock)
    hour = runtime.registry.create_token("acme", "admin@acme.test", expires_in=timedelta(hours=1))
    assert auth.identify(f"Bearer {hour}", "acme").tenant == "acme"
    [row] = [t for t in list_tokens(runtime.registry, "acme") if t.prefix == hour[:12]]
    assert _utc(row.expires_at) == START + timedelta(hours=1)
    assert _utc(row.last_used_at) == START
    clock.advance(3600)
    with pytest.raises(UnauthorizedError, match="unknown, revoked or expired"):
        auth.identify(f"Bearer {hour}", "acme")
    # A revocation by another process reaches this one when its cache time is over.
    lasting = runtime.registry.create_token("acme", "admin@acme.test")
    assert auth.identify(f"Bearer {lasting}", "acme").tenant == "acme"
    revoke_token(elsewhere.registry, "acme", lasting)
    clock.advance(TOKEN_CACHE_SECONDS - 0.1)
    assert auth.identify(f"Bearer {lasting}", "acme").tenant == "acme"  # still cached
    clock.advance(0.1)
    with pytest.raises(UnauthorizedError):
        auth.identify(f"Bearer {lasting}", "acme")


def test_member_profiles_are_read_again_after_their_ttl_on_the_runtime_clock(
    runtime: Runtime, clock: FakeClock, elsewhere: Runtime, write_package: PackageWriter
) -> None:
    make_tenant(runtime, write_package, "acme")
    directory = MemberDirectory(runtime.registry, clock=clock)
    admin = runtime.registry.user_id("admin@acme.test")
    assert admin is not None
    assert directory.subject("acme", admin).attributes == {}
    update_member(elsewhere.registry, "acme", "admin@acme.test", attributes={"region": "EU"})
    clock.advance(DIRECTORY_SECONDS - 0.01)
    assert directory.subject("acme", admin).attributes == {}
    clock.advance(0.01)
    assert directory.subject("acme", admin).attributes == {"region": "EU"}


def test_dispatcher_fires_timers_when_the_runtime_clock_reaches_them(
    runtime: Runtime,
    clock: FakeClock,
    client: TestClient,  # type: ignore[type-arg]
    tmp_path: Path,
) -> None:
    api = Api(client, "jobs", make_jobs_tenant(runtime, tmp_path))
    created = api.post("deal", json={"name": "Hot", "amount": 50, "close": "2030-05-10"})
    assert created.status_code == 201, created.text
    dispatcher = Dispatcher(runtime)
    assert dispatcher.run_due().tenants["jobs"].timers == 0  # 2029: not due yet
    due = datetime(2030, 5, 9, tzinfo=UTC)  # a day before the close date
    clock.set(due - timedelta(seconds=1))
    assert dispatcher.run_due().tenants["jobs"].timers == 0
    clock.set(due)
    assert dispatcher.run_due().tenants["jobs"].timers == 1
    [timer] = rows(runtime, "jobs", "_timers")
    assert _utc(timer["fired_at"]) == due
    [note] = rows(runtime, "jobs", "_notifications")
    assert note["text"] == "Close Hot soon"


def test_registry_rows_are_stamped_by_the_runtime_clock(
    runtime: Runtime, clock: FakeClock, write_package: PackageWriter
) -> None:
    make_tenant(runtime, write_package, "acme")
    info = runtime.registry.get_tenant("acme")
    assert info is not None
    version = runtime.registry.get_version(info.id, 1)
    assert version is not None and version.published_at == START
    clock.advance(60)
    runtime.registry.audit.record(info.id, "test.clock")
    [entry] = runtime.registry.audit.entries(info.id, action="test.clock")
    assert entry.at == START + timedelta(seconds=60)
