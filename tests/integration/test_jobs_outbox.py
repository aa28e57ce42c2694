"""The outbox as a queue: claims, leases, backoff, dead letters, two dispatchers at once."""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from trellis.platform.jobs import Dispatcher, Job, JobContext, JobPolicy, Outbox
from trellis.platform.runtime import Runtime

from jobs_helpers import make_jobs_tenant, rows

T0 = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)


def _enqueue(runtime: Runtime, tenant: str, n: int, kind: str = "noop") -> None:
    outbox = runtime.app(tenant).metadata.tables["_outbox"]
    values = [
        {"kind": kind, "payload": {"n": i}, "created_at": T0, "state": "pending"} for i in range(n)
    ]
    with runtime.engines.tenant_connection(tenant, write=True) as conn, conn.begin():
        conn.execute(outbox.insert(), values)


def test_backoff_doubles_up_to_the_cap() -> None:
    policy = JobPolicy(base_delay=10, max_delay=60)
    assert [policy.backoff(n).total_seconds() for n in (1, 2, 3, 4, 5)] == [10, 20, 40, 60, 60]


def test_a_lost_claim_is_claimed_again_after_its_lease(runtime: Runtime, tmp_path: Path) -> None:
    make_jobs_tenant(runtime, tmp_path)
    _enqueue(runtime, "jobs", 1)
    outbox = Outbox(runtime.app("jobs").metadata, JobPolicy(lease=60))
    engines = runtime.engines
    with engines.tenant_connection("jobs", write=True) as conn, conn.begin():
        (first,) = outbox.claim(conn, T0)
        assert outbox.claim(conn, T0 + timedelta(seconds=30)) == []
    with engines.tenant_connection("jobs", write=True) as conn, conn.begin():
        (second,) = outbox.claim(conn, T0 + timedelta(seconds=61))
    assert (second.id, second.attempts) == (first.id, 2)
    with engines.tenant_connection("jobs", write=True) as conn, conn.begin():
        assert outbox.finish(conn, first, T0) is False  # the stale worker loses
        assert outbox.finish(conn, second, T0) is True
    assert [(r["state"], r["attempts"]) for r in rows(runtime, "jobs", "_outbox")] == [("done", 2)]


def test_failures_back_off_then_go_dead(runtime: Runtime, tmp_path: Path) -> None:
    make_jobs_tenant(runtime, tmp_path)
    _enqueue(runtime, "jobs", 1, kind="boom")

    def boom(_ctx: JobContext, _job: Job) -> None:
        raise RuntimeError("remote said no")

    policy = JobPolicy(max_attempts=3, base_delay=10, max_delay=15)
    dispatcher = Dispatcher(runtime, policy=policy, handlers={"boom": boom})
    report = dispatcher.run_tenant("jobs", T0)
    assert (report.failed, report.dead) == (1, 0)
    (row,) = rows(runtime, "jobs", "_outbox")
    assert (row["state"], row["attempts"], row["last_error"]) == ("pending", 1, "remote said no")
    assert dispatcher.run_tenant("jobs", T0 + timedelta(seconds=5)).failed == 0  # not due yet
    assert dispatcher.run_tenant("jobs", T0 + timedelta(seconds=10)).failed == 1
    assert dispatcher.run_tenant("jobs", T0 + timedelta(seconds=40)).dead == 1
    (row,) = rows(runtime, "jobs", "_outbox")
    assert (row["state"], row["attempts"]) == ("dead", 3)


def test_unknown_kind_is_dead_at_once(runtime: Runtime, tmp_path: Path) -> None:
    make_jobs_tenant(runtime, tmp_path)
    _enqueue(runtime, "jobs", 1, kind="mystery")
    assert Dispatcher(runtime).run_tenant("jobs", T0).dead == 1
    (row,) = rows(runtime, "jobs", "_outbox")
    assert row["last_error"] == "No handler for jobs of kind 'mystery'."


def test_two_dispatchers_never_deliver_a_row_twice(runtime: Runtime, tmp_path: Path) -> None:
    make_jobs_tenant(runtime, tmp_path)
    _enqueue(runtime, "jobs", 60, kind="count")
    seen: Counter[int] = Counter()
    lock = threading.Lock()

    def count(_ctx: JobContext, job: Job) -> None:
        with lock:
            seen[job.id] += 1
        time.sleep(0.002)

    errors: list[BaseException] = []

    def work() -> None:
        dispatcher = Dispatcher(runtime, policy=JobPolicy(batch=4), handlers={"count": count})
        try:
            for _ in range(40):
                dispatcher.run_tenant("jobs", drain=False)
        except BaseException as exc:  # reported to the main thread
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(seen) == 60
    assert set(seen.values()) == {1}
    outbox = runtime.app("jobs").metadata.tables["_outbox"]
    with runtime.engines.tenant_connection("jobs") as conn:
        states = conn.execute(sa.select(outbox.c.state, outbox.c.attempts).distinct()).all()
    assert [tuple(s) for s in states] == [("done", 1)]


def test_a_burst_of_one_tenant_does_not_starve_another(runtime: Runtime, tmp_path: Path) -> None:
    make_jobs_tenant(runtime, tmp_path, "busy")
    make_jobs_tenant(runtime, tmp_path, "quiet")
    _enqueue(runtime, "busy", 500)
    _enqueue(runtime, "quiet", 1)
    report = Dispatcher(runtime, policy=JobPolicy(batch=50)).run_due(drain=False)
    assert (report.tenants["busy"].done, report.tenants["quiet"].done) == (50, 1)
    assert [r["state"] for r in rows(runtime, "quiet", "_outbox")] == ["done"]
    busy = Counter(r["state"] for r in rows(runtime, "busy", "_outbox"))
    assert busy == {"done": 50, "pending": 450}
