"""The dispatcher: fires due timers and delivers due outbox rows, tenant by tenant.

Every tenant gets at most ``JobPolicy.batch`` rows per round, so one tenant's burst
does not starve the others. Several dispatchers (threads, processes, machines) may
run at once: claims never hand the same row to two of them.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING
from weakref import WeakKeyDictionary

from trellis.platform.jobs.handlers import DEFAULT_HANDLERS, Handler, JobContext, PermanentJobError
from trellis.platform.jobs.outbox import DEAD, Job, JobPolicy, Outbox
from trellis.platform.jobs.schedule_runner import ScheduleRunner
from trellis.platform.jobs.timers import TimerRunner, scheduled_count
from trellis.platform.records.compiled import CompiledApp
from trellis.platform.records.values import as_utc
from trellis.platform.runtime import TenantNotFoundError
from trellis.platform.schedules import Schedules
from trellis.platform.triggers import bind_members
from trellis.tenants.registry import utcnow

if TYPE_CHECKING:
    import sqlalchemy as sa

    from trellis.platform.runtime import Runtime

LOG = logging.getLogger("trellis.jobs")


@dataclass
class TenantReport:
    """What one round did for one tenant."""

    timers: int = 0
    done: int = 0
    failed: int = 0
    dead: int = 0
    #: Rows handed to the RQ transport (Redis mode) instead of run here.
    queued: int = 0


@dataclass
class RoundReport:
    """What one round did, by tenant; ``errors`` holds tenants that could not run."""

    tenants: dict[str, TenantReport] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


class Dispatcher:
    """Runs due work of every tenant of a runtime."""

    def __init__(
        self,
        runtime: Runtime,
        *,
        policy: JobPolicy | None = None,
        handlers: Mapping[str, Handler] | None = None,
    ) -> None:
        self.runtime = runtime
        self.policy = policy or JobPolicy()
        self.handlers: dict[str, Handler] = {**DEFAULT_HANDLERS, **(handlers or {})}
        self._timers: WeakKeyDictionary[CompiledApp, TimerRunner] = WeakKeyDictionary()
        self._schedules: WeakKeyDictionary[CompiledApp, ScheduleRunner] = WeakKeyDictionary()

    def run_due(self, now: datetime | None = None, *, drain: bool = True) -> RoundReport:
        """One round over every tenant; ``drain`` repeats a tenant until nothing is due."""
        report = RoundReport()
        for info in self.runtime.registry.list_tenants():
            if info.current_version is None:
                continue
            try:
                report.tenants[info.name] = self.run_tenant(info.name, now, drain=drain)
            except Exception as exc:  # one broken tenant must not stop the others
                LOG.exception("jobs of tenant %r failed", info.name)
                report.errors[info.name] = f"{type(exc).__name__}: {exc}"
        return report

    def run_tenant(
        self, tenant: str, now: datetime | None = None, *, drain: bool = True
    ) -> TenantReport:
        """Fire due timers, then deliver due outbox rows of ``tenant``."""
        at = as_utc(now) if now is not None else None
        app = self.runtime.app(tenant)
        report = TenantReport()
        runner = self._timers.get(app)
        if runner is None:
            runner = self._timers[app] = TimerRunner(app)
        bind_members(app, self.runtime.registry, self.runtime.tenant(tenant).id)
        engines = self.runtime.engines
        while True:
            with engines.tenant_connection(tenant, write=True) as conn, conn.begin():
                fired = runner.fire_due(conn, at or utcnow(), self.policy.batch)
            report.timers += fired
            if not drain or fired < self.policy.batch:
                break
        report.timers += self._fire_schedules(tenant, app, at, drain)
        outbox = Outbox(app.metadata, self.policy)
        ctx = JobContext(self.runtime, tenant, app)
        seen: set[tuple[int, int]] = set()
        while True:
            with engines.tenant_connection(tenant, write=True) as conn, conn.begin():
                jobs = outbox.claim(conn, at or utcnow())
            self._hand_over(ctx, outbox, jobs, at, report)
            claimed = {(j.id, j.attempts) for j in jobs}
            if not drain or len(jobs) < self.policy.batch or claimed <= seen:
                break
            seen |= claimed
        return report

    def _fire_schedules(
        self, tenant: str, app: CompiledApp, at: datetime | None, drain: bool
    ) -> int:
        """Cron rules, SLA timers and reminders (``_schedules``) that are due."""
        runner = self._schedules.get(app)
        if runner is None:
            runner = self._schedules[app] = ScheduleRunner(app)
        if runner.idle:
            return 0  # no write transaction per tick for apps without schedules
        total = 0
        while True:
            with self.runtime.engines.tenant_connection(tenant, write=True) as conn, conn.begin():
                fired = runner.fire_due(conn, at or utcnow(), self.policy.batch)
            total += fired
            if not drain or fired < self.policy.batch:
                return total

    def _hand_over(
        self,
        ctx: JobContext,
        outbox: Outbox,
        jobs: list[Job],
        at: datetime | None,
        report: TenantReport,
    ) -> None:
        """Deliver claimed rows here; the Redis dispatcher enqueues them instead."""
        for job in jobs:
            self._run(ctx, outbox, job, at, report)

    def deliver_claimed(self, tenant: str, job_id: int, attempts: int) -> str:
        """Deliver row ``job_id`` if it is still claimed with ``attempts``.

        The job function of the RQ worker: a stale or duplicate message (the row was
        finished, or claimed again after its lease) is skipped, so a row's effect
        happens once per claim; starting renews the lease. Returns ``done``,
        ``pending``, ``dead`` or ``skipped``.
        """
        app = self.runtime.app(tenant)
        outbox = Outbox(app.metadata, self.policy)
        engines = self.runtime.engines
        with engines.tenant_connection(tenant, write=True) as conn, conn.begin():
            job = outbox.start(conn, job_id, attempts, utcnow())
        if job is None:
            return "skipped"
        report = TenantReport()
        self._run(JobContext(self.runtime, tenant, app), outbox, job, None, report)
        if report.done:
            return "done"
        return "dead" if report.dead else "pending"

    def _run(
        self, ctx: JobContext, outbox: Outbox, job: Job, at: datetime | None, report: TenantReport
    ) -> None:
        handler = self.handlers.get(job.kind)
        error: str | None = None
        permanent = False
        try:
            if handler is None:
                raise PermanentJobError(f"No handler for jobs of kind '{job.kind}'.")
            handler(ctx, job)
        except PermanentJobError as exc:
            error, permanent = str(exc), True
        except Exception as exc:  # any failure is recorded on the row and retried
            error = str(exc) or type(exc).__name__
        engines = self.runtime.engines
        with engines.tenant_connection(ctx.tenant, write=True) as conn, conn.begin():
            if error is None:
                outbox.finish(conn, job, at or utcnow())
                report.done += 1
                return
            state = outbox.fail(conn, job, at or utcnow(), error, permanent=permanent)
        LOG.info("job %s of tenant %r failed (%s): %s", job.id, ctx.tenant, state, error)
        if state == DEAD:
            report.dead += 1
        else:
            report.failed += 1


def job_counts(runtime: Runtime) -> dict[str, dict[str, int]]:
    """Jobs per tenant and state, plus ``scheduled`` timers."""
    counts: dict[str, dict[str, int]] = {}
    for info in runtime.registry.list_tenants():
        try:
            app = runtime.app(info.name)
        except TenantNotFoundError:
            continue
        with runtime.engines.tenant_connection(info.name) as conn:
            counts[info.name] = tenant_job_counts(app, conn)
    return counts


def tenant_job_counts(app: CompiledApp, conn: sa.Connection) -> dict[str, int]:
    """One tenant's jobs per state, plus ``scheduled`` timers and schedules."""
    counts = Outbox(app.metadata).counts(conn)
    counts["scheduled"] = scheduled_count(app, conn) + Schedules(app.metadata).waiting(conn)
    return counts


__all__ = ["Dispatcher", "RoundReport", "TenantReport", "job_counts", "tenant_job_counts"]
