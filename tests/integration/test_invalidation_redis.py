"""Cache invalidation between processes over the real Redis server (pub/sub).

Two :class:`Runtime` objects over the same data directory or database stand for two
processes. Their version checks and token caches are set to an hour, so only the
Redis message can explain that the second one sees a change at once.
"""

from __future__ import annotations

import logging
import os
import time
import uuid
from collections.abc import Callable, Iterator

import pytest

from trellis.platform.api import auth
from trellis.platform.api.gate import ApiGate
from trellis.platform.authz import Authorizer
from trellis.platform.authz.directory import MemberDirectory
from trellis.platform.config import RuntimeConfig
from trellis.platform.publish import publish
from trellis.platform.runtime import Runtime
from trellis.platform.runtime.invalidation import (
    InvalidationPublisher,
    InvalidationSubscriber,
    parse_message,
)
from trellis.tenants.registry.access_admin import change_roles, revoke_token
from trellis.tenants.registry.members import update_member

from helpers import ACCOUNT, PackageWriter, make_tenant

REDIS_URL = os.environ.get("TRELLIS_TEST_REDIS_URL", "redis://127.0.0.1:6379/11")
#: A port nothing listens on: Redis is "down".
DOWN_URL = "redis://127.0.0.1:1/0"
HOUR = 3600.0
EXTRA = """
    label: Lead
    title: name
    fields:
      name: {type: string, required: true}
"""


def _eventually(check: Callable[[], bool], within: float = 1.0) -> bool:
    """Whether ``check()`` becomes true within ``within`` seconds (polled every 10 ms)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.01)
    return check()


@pytest.fixture
def shared(config: RuntimeConfig) -> RuntimeConfig:
    """``config`` with Redis, a private channel and version checks once an hour."""
    prefix = config.schema_prefix or f"x{uuid.uuid4().hex[:10]}_"
    return config.with_overrides(
        redis_url=REDIS_URL, schema_prefix=prefix, version_check_interval=HOUR
    )


@pytest.fixture
def two(shared: RuntimeConfig) -> Iterator[tuple[Runtime, Runtime]]:
    """Process A (writes) and process B (listens), over the same data."""
    a, b = Runtime(shared), Runtime(shared)
    b.start_invalidation()
    try:
        assert b.subscriber is not None
        assert b.subscriber.subscribed.wait(60)
        yield a, b
    finally:
        a.close()
        b.close()


def test_a_publish_reaches_the_other_process_at_once(
    two: tuple[Runtime, Runtime], write_package: PackageWriter
) -> None:
    a, b = two
    make_tenant(a, write_package, "acme")
    assert b.app("acme").version_no == 1
    bystander = Runtime(a.config)  # no listener: it keeps its cached version for an hour
    try:
        assert bystander.app("acme").version_no == 1
        publish(a, "acme", write_package({"account": ACCOUNT, "lead": EXTRA}))
        assert _eventually(lambda: b.app("acme").version_no == 2)
        assert "lead" in b.app("acme").entities
        assert bystander.app("acme").version_no == 1
    finally:
        bystander.close()


def test_role_and_token_changes_reach_the_other_process_at_once(
    two: tuple[Runtime, Runtime], write_package: PackageWriter, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(auth, "TOKEN_CACHE_SECONDS", HOUR)
    a, b = two
    make_tenant(a, write_package, "acme")
    a.registry.add_membership("acme", a.registry.ensure_user("bob@acme.test"), [])
    token = a.registry.create_token("acme", "bob@acme.test")
    api_b = ApiGate(b)
    header = f"Bearer {token}"
    assert not api_b.call("acme", header).access.can("account", "read")
    change_roles(a.registry, "acme", "bob@acme.test", add=("admin",))
    assert _eventually(lambda: api_b.call("acme", header).access.can("account", "read"))
    revoke_token(a.registry, "acme", token)

    def refused() -> bool:
        try:
            api_b.call("acme", header)
        except auth.UnauthorizedError:
            return True
        return False

    assert _eventually(refused)


def test_team_and_attribute_changes_reach_the_other_process_at_once(
    two: tuple[Runtime, Runtime], write_package: PackageWriter
) -> None:
    a, b = two
    make_tenant(a, write_package, "acme")
    ann = a.registry.ensure_user("ann@acme.test")
    a.registry.add_membership("acme", ann, ["admin"])
    authz = Authorizer(directory=MemberDirectory(b.registry, ttl=HOUR))
    b.on_forget(authz.forget)
    assert authz.subject("acme", ann).attributes == {}
    update_member(a.registry, "acme", "ann@acme.test", attributes={"region": "north"})
    assert _eventually(lambda: authz.subject("acme", ann).attributes == {"region": "north"})


def test_a_new_tenant_published_elsewhere_is_served_at_once(
    two: tuple[Runtime, Runtime], write_package: PackageWriter
) -> None:
    a, b = two
    make_tenant(a, write_package, "acme")
    assert b.tenant("acme").current_version == 1
    a.registry.create_tenant("globex")
    assert b.tenant("globex").current_version is None  # now cached for an hour
    publish(a, "globex", write_package({"account": ACCOUNT}))
    assert _eventually(lambda: b.tenant("globex").current_version == 1)
    assert b.app("globex").version_no == 1


def test_without_redis_saves_work_and_the_listener_keeps_retrying(
    shared: RuntimeConfig, write_package: PackageWriter, caplog: pytest.LogCaptureFixture
) -> None:
    down = shared.with_overrides(redis_url=DOWN_URL, version_check_interval=0.0)
    a, b = Runtime(down), Runtime(down)
    caplog.set_level(logging.WARNING, logger="trellis.invalidation")
    try:
        b.start_invalidation()
        make_tenant(a, write_package, "acme")  # create, publish, members, token: all saved
        change_roles(a.registry, "acme", "admin@acme.test", remove=("admin",))
        assert b.app("acme").version_no == 1  # the version check still works
        subscriber = b.subscriber
        assert subscriber is not None
        assert _eventually(lambda: "retrying" in caplog.text, within=3.0)
        assert subscriber.running
        assert not subscriber.subscribed.is_set()
    finally:
        a.close()
        b.close()
    assert not subscriber.running
    assert b.subscriber is None


def test_the_listener_ignores_its_own_and_malformed_messages() -> None:
    assert parse_message(b'{"tenant": "acme", "what": "roles", "origin": "x"}', "y") == (
        "acme",
        "roles",
    )
    assert parse_message(b'{"tenant": "acme", "what": "roles", "origin": "y"}', "y") is None
    assert parse_message(b"not json", "y") is None
    assert parse_message(b'{"tenant": 3, "what": "roles"}', "y") is None


def test_a_failing_hook_does_not_stop_the_listener(caplog: pytest.LogCaptureFixture) -> None:
    seen: list[str] = []

    def hook(tenant: str, _what: str) -> None:
        seen.append(tenant)
        if tenant == "boom":
            raise RuntimeError("a broken cache")

    channel = f"test-invalidate-{uuid.uuid4().hex[:8]}"
    listener = InvalidationSubscriber(
        REDIS_URL, channel, "me", on_message=hook, on_resubscribe=lambda: None
    ).start()
    other = InvalidationPublisher(REDIS_URL, channel, "other")
    try:
        assert listener.subscribed.wait(60)
        assert other.notify("boom", "roles")
        assert other.notify("acme", "roles")
        assert _eventually(lambda: seen == ["boom", "acme"])
        assert listener.running
        assert "invalidation of tenant 'boom' failed" in caplog.text
    finally:
        listener.stop()
        other.close()
    assert not listener.running
