"""``kill -9`` of the Redis-mode dispatcher between its claim and the hand-off to RQ.

The claim is committed, the RQ job never made it: after the lease the restarted
dispatcher claims the row again under a new attempt and hands it off exactly once,
and a worker delivers it once.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from crash_support import kill, process_env
from rq import Queue
from test_jobs_redis import counting, work

from trellis.platform.jobs import Dispatcher, JobPolicy
from trellis.platform.jobs.rqueue import RedisDispatcher, connect, set_worker_dispatcher
from trellis.platform.runtime import Runtime

from jobs_helpers import enqueue_rows, make_jobs_tenant, rows

pytestmark = pytest.mark.slow

REDIS_URL = os.environ.get("TRELLIS_TEST_REDIS_URL", "redis://127.0.0.1:6379/11")
CHILD = Path(__file__).with_name("crash_dispatcher_child.py")


@pytest.fixture
def queue() -> Iterator[Queue]:
    """A private RQ queue on the real Redis; its keys are removed afterwards."""
    redis = connect(REDIS_URL)
    name = f"tcrash-{uuid.uuid4().hex[:12]}"
    yield Queue(name, connection=redis)
    set_worker_dispatcher(None)
    for key in redis.scan_iter(f"*{name}*"):
        redis.delete(key)
    redis.srem("rq:queues", f"rq:queue:{name}")
    redis.close()


def _wait(condition: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_a_dispatcher_killed_between_claim_and_hand_off_hands_off_once_after_restart(
    runtime: Runtime, tmp_path: Path, queue: Queue
) -> None:
    make_jobs_tenant(runtime, tmp_path)
    enqueue_rows(runtime, "jobs", 3, kind="count")
    marker = tmp_path / "claimed"
    log = tmp_path / "dispatcher.log"
    with log.open("wb") as out:
        child = subprocess.Popen(
            [sys.executable, str(CHILD), queue.name, str(marker), REDIS_URL],
            env=process_env(runtime.config),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait(lambda: marker.exists() or child.poll() is not None, 120, "the claim")
        assert child.poll() is None, log.read_text()
    finally:
        kill(child)  # kill -9 between the committed claim and the hand-off
    assert marker.read_text() == "1:1,2:1,3:1"
    assert [(r["state"], r["attempts"]) for r in rows(runtime, "jobs", "_outbox")] == [
        ("claimed", 1)
    ] * 3
    assert queue.job_ids == []  # nothing reached RQ
    seen, handlers = counting()
    set_worker_dispatcher(Dispatcher(runtime, handlers=handlers))
    restarted = RedisDispatcher(runtime, queue, policy=JobPolicy(lease=1.0))
    queued: list[int] = []

    def handed_off() -> bool:
        queued.append(restarted.run_due().tenants["jobs"].queued)
        return sum(queued) > 0

    _wait(handed_off, 60, "the claims to expire and be handed off again")
    assert sum(queued) == 3
    assert len(queue.job_ids) == 1  # one RQ job carries the three claims
    assert restarted.run_due().tenants["jobs"].queued == 0  # not handed off twice
    work(queue)
    assert seen == {1: 1, 2: 1, 3: 1}
    assert [(r["state"], r["attempts"]) for r in rows(runtime, "jobs", "_outbox")] == [
        ("done", 2)
    ] * 3
