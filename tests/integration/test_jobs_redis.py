"""Redis mode against the real Redis: RQ carries claims, ``trellis worker`` delivers.

Each test uses its own RQ queue name (also the prefix of its job ids and worker
names) in Redis database 11, and deletes its keys afterwards.
"""

from __future__ import annotations

import http.server
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient
from rq import Queue

from trellis.jobs_cli import start_embedded_worker
from trellis.platform.jobs import Dispatcher, Job, JobContext, JobPolicy
from trellis.platform.jobs.rqueue import (
    RedisDispatcher,
    connect,
    deliver,
    deliver_batch,
    rq_job_id,
    set_worker_dispatcher,
)
from trellis.platform.runtime import Runtime

from helpers import Api
from jobs_helpers import (
    ThreadWorker,
    enqueue_rows,
    free_port,
    make_jobs_tenant,
    rows,
    run_cli,
    smtp_server,
    use_setting,
    webhook_server,
)

REDIS_URL = os.environ.get("TRELLIS_TEST_REDIS_URL", "redis://127.0.0.1:6379/11")
REPO_ROOT = Path(__file__).resolve().parents[2]
#: How long a started worker process may take to import, connect and take its first
#: job on a loaded machine (polled in 0.05 s steps, so an idle one goes on at once).
STARTUP = 180.0


@pytest.fixture(autouse=True)
def _private_webhooks(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    if "runtime" in request.fixturenames:
        runtime = request.getfixturevalue("runtime")
        use_setting(runtime, monkeypatch, "TRELLIS_WEBHOOK_ALLOW_PRIVATE", "1")
    else:  # worker processes started by the test read it at their start
        monkeypatch.setenv("TRELLIS_WEBHOOK_ALLOW_PRIVATE", "1")


@pytest.fixture
def queue() -> Iterator[Queue]:
    """A private RQ queue on the real Redis; its keys are removed afterwards."""
    redis = connect(REDIS_URL)
    name = f"ttest-{uuid.uuid4().hex[:12]}"
    yield Queue(name, connection=redis)
    set_worker_dispatcher(None)
    for key in redis.scan_iter(f"*{name}*"):
        redis.delete(key)
    for registry in ("rq:queues", "rq:workers"):
        for member in redis.smembers(registry):
            if name in member.decode():
                redis.srem(registry, member)
    redis.close()


def work(queue: Queue, suffix: str = "w") -> None:
    """Run queued jobs in this thread until the queue is empty."""
    ThreadWorker([queue], connection=queue.connection, name=f"{queue.name}-{suffix}").work(
        burst=True
    )


def counting() -> tuple[Counter[int], dict[str, Any]]:
    seen: Counter[int] = Counter()
    lock = threading.Lock()

    def count(_ctx: JobContext, job: Job) -> None:
        with lock:
            seen[job.id] += 1
        time.sleep(0.001)

    return seen, {"count": count}


def counted_rows(runtime: Runtime, tmp_path: Path, n: int) -> Counter[int]:
    """Tenant ``jobs`` with ``n`` rows whose deliveries this process's worker counts."""
    make_jobs_tenant(runtime, tmp_path)
    enqueue_rows(runtime, "jobs", n, kind="count")
    seen, handlers = counting()
    set_worker_dispatcher(Dispatcher(runtime, handlers=handlers))
    return seen


def test_a_row_goes_through_redis_and_is_delivered_once(
    runtime: Runtime, tmp_path: Path, queue: Queue
) -> None:
    seen = counted_rows(runtime, tmp_path, 1)
    dispatcher = RedisDispatcher(runtime, queue)
    assert dispatcher.run_due().tenants["jobs"].queued == 1
    assert queue.job_ids == [f"{queue.name}-jobs-1-1"]
    assert [r["state"] for r in rows(runtime, "jobs", "_outbox")] == ["claimed"]
    assert dispatcher.run_due().tenants["jobs"].queued == 0  # claimed: not enqueued twice
    assert seen == {}  # the dispatcher does not deliver in Redis mode
    work(queue)
    assert seen == {1: 1}
    assert [(r["state"], r["attempts"]) for r in rows(runtime, "jobs", "_outbox")] == [("done", 1)]
    assert deliver("jobs", 1, 1) == "skipped"  # a duplicate message has no effect
    assert seen == {1: 1}


def test_a_stale_message_after_a_lease_expiry_is_skipped(
    runtime: Runtime, tmp_path: Path, queue: Queue
) -> None:
    seen = counted_rows(runtime, tmp_path, 1)
    dispatcher = RedisDispatcher(runtime, queue, policy=JobPolicy(lease=0.0))
    dispatcher.run_due(drain=False)
    dispatcher.run_due(drain=False)  # the lease ran out: claimed again, attempt 2
    assert queue.job_ids == [f"{queue.name}-jobs-1-1", f"{queue.name}-jobs-1-2"]
    work(queue)
    assert seen == {1: 1}
    assert [(r["state"], r["attempts"]) for r in rows(runtime, "jobs", "_outbox")] == [("done", 2)]


def test_claims_travel_in_chunks_and_a_duplicate_chunk_runs_nothing_twice(
    runtime: Runtime, tmp_path: Path, queue: Queue
) -> None:
    seen = counted_rows(runtime, tmp_path, 45)
    dispatcher = RedisDispatcher(runtime, queue, policy=JobPolicy(batch=100, chunk=20))
    assert dispatcher.run_due().tenants["jobs"].queued == 45
    name = queue.name
    assert queue.job_ids == [f"{name}-jobs-1-1-20", f"{name}-jobs-21-1-20", f"{name}-jobs-41-1-5"]
    # The same chunk delivered twice (a duplicate message): the second finds it started.
    assert deliver_batch("jobs", [[41, 1], [42, 1]]) == {
        "done": 2,
        "failed": 0,
        "dead": 0,
        "skipped": 0,
    }
    work(queue)
    assert len(seen) == 45 and set(seen.values()) == {1}
    assert deliver_batch("jobs", [[41, 1], [42, 1]])["skipped"] == 2
    assert {(r["state"], r["attempts"]) for r in rows(runtime, "jobs", "_outbox")} == {("done", 1)}


def test_a_tenant_over_its_in_flight_cap_claims_no_more_until_workers_catch_up(
    runtime: Runtime, tmp_path: Path, queue: Queue
) -> None:
    make_jobs_tenant(runtime, tmp_path, "busy")
    make_jobs_tenant(runtime, tmp_path, "quiet")
    enqueue_rows(runtime, "busy", 30, kind="count")
    seen, handlers = counting()
    set_worker_dispatcher(Dispatcher(runtime, handlers=handlers))
    dispatcher = RedisDispatcher(runtime, queue, policy=JobPolicy(batch=8, in_flight=10))
    first = dispatcher.run_due(drain=False)
    assert first.tenants["busy"].queued == 8 and first.busy == {"busy"}
    assert dispatcher.run_due(drain=False).tenants["busy"].queued == 2  # up to the cap
    capped = dispatcher.run_due(drain=False)
    assert capped.tenants["busy"].queued == 0 and capped.busy == {"busy"}
    enqueue_rows(runtime, "quiet", 1, kind="count")
    assert dispatcher.run_due(drain=False).tenants["quiet"].queued == 1  # not held back
    work(queue)
    assert sum(seen.values()) == 11  # 10 of busy, 1 of quiet (ids per tenant)
    assert dispatcher.run_due(drain=False).tenants["busy"].queued == 8


def test_two_dispatchers_and_two_workers_never_deliver_a_row_twice(
    runtime: Runtime, tmp_path: Path, queue: Queue
) -> None:
    seen = counted_rows(runtime, tmp_path, 60)
    errors: list[BaseException] = []
    stop = threading.Event()

    def dispatch() -> None:
        dispatcher = RedisDispatcher(runtime, queue, policy=JobPolicy(batch=4))
        try:
            for _ in range(30):
                dispatcher.run_tenant("jobs", drain=False)
        except BaseException as exc:  # reported to the main thread
            errors.append(exc)

    def consume(suffix: str) -> None:
        try:
            while not stop.is_set():
                work(queue, suffix)
                time.sleep(0.01)
        except BaseException as exc:  # reported to the main thread
            errors.append(exc)

    dispatchers = [threading.Thread(target=dispatch) for _ in range(2)]
    workers = [threading.Thread(target=consume, args=(f"w{i}",)) for i in range(2)]
    for thread in dispatchers + workers:
        thread.start()
    for thread in dispatchers:
        thread.join()
    deadline = time.monotonic() + 15
    while len(seen) < 60 and time.monotonic() < deadline:
        time.sleep(0.05)
    stop.set()
    for thread in workers:
        thread.join()
    assert errors == []
    assert len(seen) == 60
    assert set(seen.values()) == {1}
    assert {(r["state"], r["attempts"]) for r in rows(runtime, "jobs", "_outbox")} == {("done", 1)}


class _HoldingHooks:
    """A webhook server that holds the first request until ``release`` is set."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.deliveries: list[str] = []
        hooks = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                hooks.deliveries.append(str(self.headers.get("X-Trellis-Delivery")))
                if len(hooks.deliveries) == 1:
                    hooks.release.wait(STARTUP)
                try:
                    self.send_response(200)
                    self.end_headers()
                except OSError:
                    pass

            def log_message(self, *_args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> _HoldingHooks:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


def _worker(
    runtime: Runtime, queue: Queue, name: str, log: Path, *extra: str
) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRELLIS_")}
    env.update(TRELLIS_REDIS_URL=REDIS_URL, TRELLIS_WEBHOOK_ALLOW_PRIVATE="1")
    if runtime.config.database_url:
        env.update(
            TRELLIS_DATABASE_URL=runtime.config.database_url,
            TRELLIS_SCHEMA_PREFIX=runtime.config.schema_prefix,
        )
    args = ["worker", "--queue", queue.name, "--name", f"{queue.name}-{name}", "--no-dispatch"]
    args += ["--lease", "1"]  # a killed worker's row is claimed again after 1 s
    with log.open("wb") as out:  # the child keeps its own copy
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "trellis",
                *args,
                *extra,
                "--data-dir",
                str(runtime.config.data_dir),
            ],
            cwd=REPO_ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=out,
        )


def _wait(condition: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def test_a_worker_killed_mid_job_completes_the_job_once_after_restart(
    runtime: Runtime, tmp_path: Path, queue: Queue
) -> None:
    make_jobs_tenant(runtime, tmp_path)
    with _HoldingHooks() as hooks:
        payload = {"url": hooks.url, "event": "created", "entity": "deal", "record_id": 1}
        enqueue_rows(runtime, "jobs", 1, kind="webhook", payload=payload)
        dispatcher = RedisDispatcher(runtime, queue, policy=JobPolicy(lease=1.0))
        assert dispatcher.run_due().tenants["jobs"].queued == 1
        first = _worker(runtime, queue, "w1", tmp_path / "w1.log")
        try:
            _wait(lambda: len(hooks.deliveries) == 1, STARTUP, "the held webhook request")
            first.send_signal(signal.SIGKILL)  # dies in the middle of the job
            first.wait(5)
        finally:
            if first.poll() is None:
                first.kill()
                first.wait(5)
        hooks.release.set()
        assert [(r["state"], r["attempts"]) for r in rows(runtime, "jobs", "_outbox")] == [
            ("running", 1)
        ]
        second = _worker(runtime, queue, "w2", tmp_path / "w2.log")  # the restart
        try:
            # After the lease the row is claimed again under a new attempt.
            _wait(lambda: dispatcher.run_due().tenants["jobs"].queued == 1, 60, "lease expiry")
            # Handed to RQ under the new attempt's id (the running worker may have taken it
            # off the queue already, so the job is looked up, not the queue's list).
            assert queue.fetch_job(rq_job_id(queue.name, "jobs", Job(1, "webhook", {}, 2)))
            done = lambda: rows(runtime, "jobs", "_outbox")[0]["state"] == "done"  # noqa: E731
            _wait(done, STARTUP, "the delivery after the restart")
            second.terminate()  # warm shutdown of an idle RQ worker
            second.wait(STARTUP)
        finally:
            if second.poll() is None:
                second.kill()
                second.wait(5)
        assert second.returncode == 0, (tmp_path / "w2.log").read_text()
    assert [(r["state"], r["attempts"]) for r in rows(runtime, "jobs", "_outbox")] == [("done", 2)]
    # Two tries of one delivery: the receiver sees one idempotency key.
    assert len(hooks.deliveries) == 2
    assert set(hooks.deliveries) == {"jobs-1"}


def test_with_redis_down_records_save_rows_wait_and_go_out_when_it_is_back(
    runtime: Runtime,
    client: TestClient,  # type: ignore[type-arg]
    tmp_path: Path,
    queue: Queue,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    closed = f"redis://127.0.0.1:{free_port()}/11"
    down = Queue(queue.name, connection=connect(closed))
    port = free_port()
    use_setting(runtime, monkeypatch, "TRELLIS_SMTP_URL", f"smtp://127.0.0.1:{port}")
    with webhook_server() as hooks, smtp_server(port) as inbox:
        api = Api(client, "jobs", make_jobs_tenant(runtime, tmp_path, hook_url=hooks.url))
        assert api.post("deal", json={"name": "First", "amount": 5000}).status_code == 201
        report = RedisDispatcher(runtime, down).run_due()
        assert "Redis is unreachable" in report.errors["jobs"]
        assert api.post("deal", json={"name": "Second", "amount": 7000}).status_code == 201
        assert RedisDispatcher(runtime, down).run_due().errors
        waiting = rows(runtime, "jobs", "_outbox")
        assert [(r["state"], r["attempts"]) for r in waiting] == [("pending", 0)] * 4
        assert hooks.received == [] and inbox == []
        set_worker_dispatcher(Dispatcher(runtime))
        report = RedisDispatcher(runtime, queue).run_due()  # Redis is back
        assert report.errors == {} and report.tenants["jobs"].queued == 4
        work(queue)
        assert len(hooks.received) == 2 and len(inbox) == 2
    assert sorted(m["Subject"] for _, m in inbox) == ["Big deal: First", "Big deal: Second"]
    assert [(r["state"], r["attempts"]) for r in rows(runtime, "jobs", "_outbox")] == [
        ("done", 1)
    ] * 4


def test_serve_enqueues_on_redis_when_it_is_configured(runtime: Runtime) -> None:
    redis_runtime = Runtime(runtime.config.with_overrides(redis_url=REDIS_URL))
    try:
        thread = start_embedded_worker(redis_runtime)
        thread.stop()
        assert isinstance(thread.dispatcher, RedisDispatcher)
    finally:
        redis_runtime.close()
    thread = start_embedded_worker(runtime)
    thread.stop()
    assert type(thread.dispatcher) is Dispatcher


def test_worker_needs_redis(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("TRELLIS_REDIS_URL", raising=False)
    code, out = run_cli(runtime, monkeypatch, capsys, "worker", "--burst")
    assert (code, out) == (1, "")  # "error: trellis worker needs Redis: set TRELLIS_REDIS_URL."
