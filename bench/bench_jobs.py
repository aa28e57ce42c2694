"""Job runtime throughput and latency: outbox + RQ with 2 workers, beside plain RQ.

    python bench/bench_jobs.py [--jobs 5000] [--latency-jobs 200] [--interval 1.0]
        [--redis redis://127.0.0.1:6379/12] [--database-url postgresql+psycopg://…]

1. Throughput: ``--jobs`` no-op outbox rows are committed in one transaction; the job
   thread of ``trellis serve`` (an ``EmbeddedWorker`` running a ``RedisDispatcher`` in
   this process, default policy) claims them and enqueues them on RQ
   in chunks; 2 worker processes (``SimpleWorker``, as ``trellis worker`` runs)
   deliver them (start the claims, run, mark done). Measured from the commit to the
   last row done. Target ≥ 1,000 jobs/s.
2. Latency: ``--latency-jobs`` rows committed one at a time, 20 ms apart, marked as
   the save path marks outbox writes (so the commit wakes the job thread; the poll
   ``--interval`` is the production default of 1 s); each job records ``time.time()``
   at its start minus the commit time. Target p50 ≤ 50 ms.

The baseline is plain RQ in the same run: the same no-op function enqueued directly
(no database row, no claim) to the same 2 workers; throughput from the first enqueue
to the last job finished, latency from enqueue to start. The outbox figure is given as
a ratio to it. Tenant data is SQLite unless ``--database-url`` names PostgreSQL.
Results are appended to bench/RESULTS.md under their own heading.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from redis import Redis
from rq import Queue, SimpleWorker

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pg_schemas import drop_schemas

from trellis.platform.config import RuntimeConfig
from trellis.platform.db.engines import mark_outbox_write
from trellis.platform.jobs import Dispatcher, EmbeddedWorker, Job, JobContext
from trellis.platform.jobs.rqueue import RedisDispatcher, set_worker_dispatcher
from trellis.platform.publish import publish
from trellis.platform.runtime import Runtime

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
HEADING = "## Jobs: outbox + RQ with 2 workers vs plain RQ"
TENANT = "bench"
_REDIS: Redis | None = None
_LATENCY_KEY = "bench-jobs:latency"
#: Workers import this file as ``bench_jobs`` (the bench folder is on their path).
PLAIN_JOB = "bench_jobs.plain_job"


def _redis() -> Redis:
    global _REDIS
    if _REDIS is None:
        _REDIS = Redis.from_url(os.environ["BENCH_REDIS_URL"])
    return _REDIS


def plain_job(enqueued_at: float, record: bool) -> None:
    """The baseline RQ job: no-op, optionally recording its start latency."""
    if record:
        _redis().rpush(_LATENCY_KEY, time.time() - enqueued_at)


def outbox_job(_ctx: JobContext, job: Job) -> None:
    """The outbox job: no-op, recording its start latency when the row asks for it."""
    committed = job.payload.get("t")
    if isinstance(committed, float):
        _redis().rpush(_LATENCY_KEY, time.time() - committed)


def _config(data_dir: Path, database_url: str | None, prefix: str) -> RuntimeConfig:
    return RuntimeConfig(data_dir=data_dir, database_url=database_url, schema_prefix=prefix)


def worker_main(data_dir: str, database_url: str | None, prefix: str, queue: str) -> None:
    """One worker process: an RQ SimpleWorker delivering claimed outbox rows."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    runtime = Runtime(_config(Path(data_dir), database_url, prefix))
    set_worker_dispatcher(Dispatcher(runtime, handlers={"bench": outbox_job}))
    redis = _redis()
    worker = SimpleWorker([Queue(queue, connection=redis)], connection=redis)
    worker.work(burst=False, logging_level="WARNING")


def _write_package(root: Path) -> Path:
    (root / "entities").mkdir(parents=True)
    (root / "app.yaml").write_text("name: jobsbench\nversion: 1.0.0\nlabel: Jobs bench\n")
    (root / "entities" / "note.yaml").write_text("fields:\n  name: {type: string}\n")
    return root


def _insert(runtime: Runtime, payloads: list[dict[str, Any]]) -> None:
    outbox = runtime.app(TENANT).metadata.tables["_outbox"]
    now = datetime.now(UTC)
    values = [
        {"kind": "bench", "payload": p, "created_at": now, "state": "pending"} for p in payloads
    ]
    with runtime.engines.tenant_connection(TENANT, write=True) as conn, conn.begin():
        conn.execute(outbox.insert(), values)
        mark_outbox_write(conn)  # as RuleStore.enqueue does in a record save


def _done(runtime: Runtime) -> int:
    outbox = runtime.app(TENANT).metadata.tables["_outbox"]
    with runtime.engines.tenant_connection(TENANT) as conn:
        query = sa.select(sa.func.count()).where(outbox.c.state == "done")
        return int(conn.execute(query).scalar() or 0)


def _latencies(redis: Redis, n: int, timeout: float = 60.0) -> list[float]:
    deadline = time.monotonic() + timeout
    while redis.llen(_LATENCY_KEY) < n and time.monotonic() < deadline:
        time.sleep(0.01)
    values = [float(v) for v in redis.lrange(_LATENCY_KEY, 0, -1)]
    redis.delete(_LATENCY_KEY)
    return values


def _wait_queue_empty(queue: Queue, timeout: float = 300.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if queue.count == 0 and queue.started_job_registry.count == 0:
            return
        time.sleep(0.005)
    raise TimeoutError("plain RQ jobs did not finish")


def run_plain(queue: Queue, jobs: int, latency_jobs: int) -> tuple[float, float]:
    """Baseline: (jobs/s, p50 latency in ms) of plain RQ enqueues."""
    start = time.perf_counter()
    for _ in range(jobs):
        queue.enqueue(PLAIN_JOB, time.time(), False, result_ttl=0)
    _wait_queue_empty(queue)
    rate = jobs / (time.perf_counter() - start)
    for _ in range(latency_jobs):
        queue.enqueue(PLAIN_JOB, time.time(), True, result_ttl=0)
        time.sleep(0.02)
    p50 = statistics.median(_latencies(queue.connection, latency_jobs)) * 1000
    return rate, p50


def run_outbox(runtime: Runtime, jobs: int) -> float:
    """Outbox + RQ: jobs/s from the commit of ``jobs`` rows to the last one done."""
    _insert(runtime, [{"n": i} for i in range(jobs)])
    start = time.perf_counter()
    deadline = time.monotonic() + 600
    while _done(runtime) < jobs and time.monotonic() < deadline:
        time.sleep(0.02)
    return jobs / (time.perf_counter() - start)


def run_outbox_latency(runtime: Runtime, redis: Redis, latency_jobs: int) -> float:
    """p50 ms from a row's commit to its job's start.

    The row carries the time taken just before its commit, so the figure includes
    the commit itself (a slight overestimate).
    """
    for _ in range(latency_jobs):
        _insert(runtime, [{"t": time.time()}])
        time.sleep(0.02)
    return statistics.median(_latencies(redis, latency_jobs)) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=5000)
    parser.add_argument("--latency-jobs", type=int, default=200)
    parser.add_argument("--interval", type=float, default=1.0)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/12")
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    os.environ["BENCH_REDIS_URL"] = args.redis
    args.load_before = f"{os.getloadavg()[0]:.2f}"
    redis = _redis()
    tmp = Path(tempfile.mkdtemp(prefix="trellis-bench-jobs-"))
    prefix = f"bj{uuid.uuid4().hex[:8]}_" if args.database_url else ""
    runtime = Runtime(_config(tmp / "data", args.database_url, prefix))
    runtime.registry.create_tenant(TENANT)
    publish(runtime, TENANT, _write_package(tmp / "pkg"))
    queue_name = f"bench-jobs-{uuid.uuid4().hex[:8]}"
    queue = Queue(queue_name, connection=redis)
    ctx = multiprocessing.get_context("spawn")
    workers = [
        ctx.Process(
            target=worker_main, args=(str(tmp / "data"), args.database_url, prefix, queue_name)
        )
        for _ in range(2)
    ]
    for worker in workers:
        worker.start()
    time.sleep(3)  # workers import and connect
    loop = EmbeddedWorker(RedisDispatcher(runtime, queue), interval=args.interval)
    try:
        plain_rate, plain_p50 = run_plain(queue, args.jobs, args.latency_jobs)
        loop.start()
        rate = run_outbox(runtime, args.jobs)
        p50 = run_outbox_latency(runtime, redis, args.latency_jobs)
    finally:
        loop.stop()
        for worker in workers:
            worker.terminate()
            worker.join(10)
        for key in redis.scan_iter(f"*{queue_name}*"):
            redis.delete(key)
        runtime.close()
        if args.database_url:
            drop_schemas(args.database_url, prefix)
        shutil.rmtree(tmp, ignore_errors=True)
    _report(args, rate, p50, plain_rate, plain_p50)


def _report(
    args: argparse.Namespace, rate: float, p50: float, plain_rate: float, plain_p50: float
) -> None:
    database = "PostgreSQL" if args.database_url else "SQLite"
    rate_verdict = "PASS" if rate >= 1000 else "FAIL"
    latency_verdict = "PASS" if p50 <= 50 else "FAIL"
    command = (
        f"python bench/bench_jobs.py --jobs {args.jobs} --latency-jobs {args.latency_jobs} "
        f"--interval {args.interval}"
        + (" --database-url <postgresql>" if args.database_url else "")
    )
    lines = [
        "",
        f"{HEADING} ({database})",
        "",
        f"Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC. Python {platform.python_version()}, "
        f"{database} tenant data, Redis, 2 RQ SimpleWorker processes, job thread polling every "
        f"{args.interval * 1000:g} ms and woken by commits; load average before "
        f"{args.load_before}, after {os.getloadavg()[0]:.2f}. Command: `{command}`",
        "",
        "| measure | outbox + RQ | plain RQ | ratio | target |",
        "|---|---:|---:|---:|---|",
        f"| no-op throughput (jobs/s) | {rate:,.0f} | {plain_rate:,.0f} | "
        f"{rate / plain_rate:.2f}x | ≥ 1,000: {rate_verdict} |",
        f"| commit → start p50 (ms) | {p50:.1f} | {plain_p50:.1f} | "
        f"{p50 / plain_p50 if plain_p50 else 0:.2f}x | ≤ 50: {latency_verdict} |",
        "",
    ]
    text = "\n".join(lines)
    sys.stdout.write(text)
    with RESULTS.open("a", encoding="utf-8") as handle:
        handle.write(text)


if __name__ == "__main__":
    main()
