"""The outbox as a queue: claims, leases, backoff, dead letters, two dispatchers at once."""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from trellis.platform.jobs import (
    Dispatcher,
    EmbeddedWorker,
    Job,
    JobContext,
    JobPolicy,
    Outbox,
    TenantReport,
)
from trellis.platform.runtime import Runtime
from trellis.platform.triggers._store import RuleStore

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


def test_a_commit_that_writes_outbox_rows_wakes_the_job_thread(
    runtime: Runtime, tmp_path: Path
) -> None:
    """The thread polls once an hour here: only the commit's wake-up can explain delivery."""
    make_jobs_tenant(runtime, tmp_path)
    seen: list[int] = []
    done = threading.Event()

    def count(_ctx: JobContext, job: Job) -> None:
        seen.append(job.id)
        done.set()

    worker = EmbeddedWorker(Dispatcher(runtime, handlers={"count": count}), interval=3600)
    worker.start()
    try:
        time.sleep(0.2)  # the first round (at start) has run and found nothing
        store = RuleStore(runtime.app("jobs"))
        with runtime.engines.tenant_connection("jobs", write=True) as conn, conn.begin():
            store.enqueue(conn, "count", {"n": 1}, T0)
        assert done.wait(60), "the job thread did not wake up"
        with runtime.engines.tenant_connection("jobs", write=True) as conn, conn.begin():
            store.enqueue(conn, "count", {"n": 2}, T0)
            conn.rollback()  # nothing committed: no wake-up needed, nothing delivered
    finally:
        worker.stop()
    assert seen == [1]


def test_many_quick_jobs_are_marked_done_together(runtime: Runtime, tmp_path: Path) -> None:
    make_jobs_tenant(runtime, tmp_path)
    _enqueue(runtime, "jobs", 250)
    statements: list[str] = []
    engine = runtime.engines.tenant_engine("jobs")

    def log(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if statement.lstrip().upper().startswith("UPDATE") and "done_at" in statement:
            statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", log)
    try:
        report = Dispatcher(runtime, policy=JobPolicy(batch=250)).run_tenant("jobs", T0)
    finally:
        sa.event.remove(engine, "before_cursor_execute", log)
    assert report.done == 250
    assert len(statements) == 3  # 100 + 100 + 50
    assert Counter(r["state"] for r in rows(runtime, "jobs", "_outbox")) == {"done": 250}


def test_an_idle_tenant_costs_one_read_per_round(runtime: Runtime, tmp_path: Path) -> None:
    """Nothing due: the round asks once and writes nothing (no write lock is taken)."""
    make_jobs_tenant(runtime, tmp_path)
    dispatcher = Dispatcher(runtime)
    dispatcher.run_due(drain=False)
    statements: list[str] = []
    engine = runtime.engines.tenant_engine("jobs")

    def log(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(" ".join(statement.split()).upper())

    sa.event.listen(engine, "before_cursor_execute", log)
    try:
        report = dispatcher.run_due(drain=False)
        writes = ("INSERT", "UPDATE", "DELETE", "BEGIN IMMEDIATE")
        assert statements and not [s for s in statements if s.startswith(writes)]
        assert not any("FOR UPDATE" in s for s in statements)
        _enqueue(runtime, "jobs", 1)
        statements.clear()
        assert dispatcher.run_due(drain=False).tenants["jobs"].done == 1
        assert any(s.startswith("UPDATE") for s in statements)
    finally:
        sa.event.remove(engine, "before_cursor_execute", log)
    assert report.tenants["jobs"] == TenantReport()
