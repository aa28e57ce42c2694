"""Outage: Redis killed under a running server (issue 12, deliver 4d).

The test runs its own redis-server on a free loopback port and a Trellis server using
it (sessions, rate-limit counts, invalidation, RQ), then kills Redis: API tokens keep
working; sessions fall back to the system database (DESIGN.md §3): a session kept in
Redis cannot be read meanwhile (sign in again), signing in works and its session goes
on after Redis returns, as do the Redis sessions when Redis kept them; due jobs wait in
the outbox and are delivered once each when Redis is back; and a change announced while
Redis was down reaches the server's caches when it returns (they resynchronise on
resubscribing). The runtime is on a FakeClock, so no cache expires by time meanwhile.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from outage_servers import RedisServer
from rq import Queue

from trellis.platform.config import FakeClock, RuntimeConfig
from trellis.platform.jobs import Dispatcher, Job, JobContext
from trellis.platform.jobs.rqueue import RedisDispatcher, connect, set_worker_dispatcher
from trellis.platform.runtime import Runtime
from trellis.platform.sessions import SESSION_COOKIE
from trellis.tenants.registry.access_admin import revoke_token

from browser_support import LiveServer
from helpers import PackageWriter, make_tenant
from jobs_helpers import ThreadWorker, enqueue_rows, rows
from ui_support import sign_in

TENANT = "acme"


def _until(what: str, ready: Callable[[], bool], seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not ready():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


@pytest.fixture(params=[False], ids=["volatile"])
def redis(request: pytest.FixtureRequest) -> Iterator[RedisServer]:
    server = RedisServer(persistent=request.param)
    server.start()
    yield server
    server.remove()


@pytest.fixture
def served(
    redis: RedisServer, tmp_path: Path, write_package: PackageWriter
) -> Iterator[tuple[LiveServer, str]]:
    """A SQLite runtime using the private Redis, on a FakeClock, served on a free port."""
    config = RuntimeConfig(data_dir=tmp_path / "data", redis_url=redis.url)
    runtime = Runtime(config, clock=FakeClock())
    token = make_tenant(runtime, write_package, TENANT)
    server = LiveServer(runtime)
    server.start()
    subscriber = runtime.subscriber
    assert subscriber is not None
    _until("the invalidation listener", subscriber.subscribed.is_set)
    yield server, token
    server.stop()
    set_worker_dispatcher(None)
    runtime.close()


def test_with_redis_down_tokens_work_sign_in_says_so_and_caches_resync(
    redis: RedisServer, served: tuple[LiveServer, str]
) -> None:
    server, token = served
    runtime = server.runtime
    bearer = {"Authorization": f"Bearer {token}"}
    other = Runtime(runtime.config)  # another process, e.g. the CLI revoking a token
    with (
        httpx.Client(base_url=server.url, headers=bearer, timeout=10) as api,
        httpx.Client(base_url=server.url, timeout=10) as web,
    ):
        assert sign_in(web, TENANT, f"admin@{TENANT}.test").status_code == 303  # type: ignore[arg-type]
        assert web.get(f"/t/{TENANT}/e/account").status_code == 200

        redis.kill()
        # API tokens need no Redis: reads and writes go on (rate limits fail open), and
        # promptly: no Redis client waits out a retry backoff (seconds) per request.
        started = time.monotonic()
        created = api.post(f"/t/{TENANT}/api/account", json={"name": "During"})
        assert created.status_code == 201, created.text
        screen = web.get(f"/t/{TENANT}/e/account")
        assert time.monotonic() - started < 2.5
        assert api.get(f"/t/{TENANT}/api/account").json()["items"][0]["name"] == "During"
        # The session kept in Redis cannot be read now: the screen asks to sign in again.
        assert screen.status_code == 303, screen.text
        assert screen.headers["location"].startswith(f"/t/{TENANT}/login")
        # Signing in works: the new session lives in the system database meanwhile.
        assert sign_in(web, TENANT, f"admin@{TENANT}.test").status_code == 303  # type: ignore[arg-type]
        assert web.cookies[SESSION_COOKIE].startswith("d.")
        page = web.get(f"/t/{TENANT}/e/account")
        assert page.status_code == 200 and "During" in page.text

        # Another process revokes the token while Redis is down: its announcement is
        # lost, and the server (whose clock stands still) keeps its cached token.
        revoke_token(other.registry, TENANT, token)
        assert api.get(f"/t/{TENANT}/api/account").status_code == 200

        redis.start()  # same port: the listener resubscribes and drops every cache
        _until(
            "the revoked token to be refused",
            lambda: api.get(f"/t/{TENANT}/api/account").status_code == 401,
        )
        # The database session goes on; a new sign-in is kept in Redis again.
        assert web.get(f"/t/{TENANT}/e/account").status_code == 200
        with httpx.Client(base_url=server.url, timeout=10) as fresh:
            assert sign_in(fresh, TENANT, f"admin@{TENANT}.test").status_code == 303  # type: ignore[arg-type]
            assert not fresh.cookies[SESSION_COOKIE].startswith("d.")
            assert fresh.get(f"/t/{TENANT}/e/account").status_code == 200
    other.close()


@pytest.mark.parametrize("redis", [True], ids=["persistent"], indirect=True)
def test_sessions_kept_in_redis_work_again_when_it_returns(
    redis: RedisServer, served: tuple[LiveServer, str]
) -> None:
    server, _token = served
    with (
        httpx.Client(base_url=server.url, timeout=10) as before,
        httpx.Client(base_url=server.url, timeout=10) as during,
    ):
        assert sign_in(before, TENANT, f"admin@{TENANT}.test").status_code == 303  # type: ignore[arg-type]
        assert not before.cookies[SESSION_COOKIE].startswith("d.")
        redis.kill()
        assert before.get(f"/t/{TENANT}/e/account").status_code == 303
        assert sign_in(during, TENANT, f"admin@{TENANT}.test").status_code == 303  # type: ignore[arg-type]
        assert during.get(f"/t/{TENANT}/e/account").status_code == 200
        redis.start()  # it kept its data: the session started before the outage is back
        _until(
            "the Redis session to be readable",
            lambda: before.get(f"/t/{TENANT}/e/account").status_code == 200,
        )
        assert during.get(f"/t/{TENANT}/e/account").status_code == 200


def test_jobs_wait_in_the_outbox_while_redis_is_down_and_go_out_once_it_is_back(
    redis: RedisServer, served: tuple[LiveServer, str]
) -> None:
    server, _token = served
    runtime = server.runtime
    queue = Queue(f"outage-{uuid.uuid4().hex[:8]}", connection=connect(redis.url))
    seen: Counter[int] = Counter()
    lock = threading.Lock()

    def count(_ctx: JobContext, job: Job) -> None:
        with lock:
            seen[job.id] += 1

    set_worker_dispatcher(Dispatcher(runtime, handlers={"count": count}))
    redis.kill()
    enqueue_rows(runtime, TENANT, 5, kind="count")
    report = RedisDispatcher(runtime, queue).run_due()
    assert "Redis is unreachable" in report.errors[TENANT]
    waiting = [r for r in rows(runtime, TENANT, "_outbox") if r["kind"] == "count"]
    assert [(r["state"], r["attempts"]) for r in waiting] == [("pending", 0)] * 5

    redis.start()
    report = RedisDispatcher(runtime, queue).run_due()
    assert report.errors == {} and report.tenants[TENANT].queued == 5
    ThreadWorker([queue], connection=queue.connection, name=f"{queue.name}-w").work(burst=True)
    done = [r for r in rows(runtime, TENANT, "_outbox") if r["kind"] == "count"]
    assert [(r["state"], r["attempts"]) for r in done] == [("done", 1)] * 5
    assert sorted(seen.values()) == [1] * 5 and set(seen) == {r["id"] for r in done}
    queue.connection.close()
