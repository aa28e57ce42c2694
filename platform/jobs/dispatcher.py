"""The dispatcher: fires due timers and delivers due outbox rows, tenant by tenant.

Every tenant gets at most ``JobPolicy.batch`` rows per round, so one tenant's burst
does not starve the others. Several dispatchers (threads, processes, machines) may
run at once: claims never hand the same row to two of them.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from trellis.platform.automation import record_service
from trellis.platform.backup.scheduled import run_scheduled_backup
from trellis.platform.exports.store import purge_expired as purge_expired_exports
from trellis.platform.identity.preferences import UserPreferences
from trellis.platform.jobs.due import DueQuery, DueWork
from trellis.platform.jobs.handlers import DEFAULT_HANDLERS, Handler, JobContext, PermanentJobError
from trellis.platform.jobs.outbox import DEAD, Job, JobPolicy, Outbox
from trellis.platform.jobs.schedule_runner import ScheduleRunner
from trellis.platform.jobs.timers import TimerRunner, scheduled_count
from trellis.platform.records.compiled import CompiledApp
from trellis.platform.records.values import as_utc
from trellis.platform.recycle.audit import purge_auditor
from trellis.platform.recycle.retention import RetentionPurge
from trellis.platform.runtime import AppRuntime, PartKey, TenantNotFoundError
from trellis.platform.schedules import Schedules
from trellis.platform.services.retention import run_retention

if TYPE_CHECKING:
    import sqlalchemy as sa

    from trellis.platform.runtime import Runtime

#: Parts built once per app version (runtime/app_runtime.py).
_DUE: PartKey[DueQuery] = PartKey("jobs.due")
_TIMERS: PartKey[TimerRunner] = PartKey("jobs.timers")
_SCHEDULES: PartKey[ScheduleRunner] = PartKey("jobs.schedules")
_PURGE: PartKey[RetentionPurge] = PartKey("jobs.purge")
LOG = logging.getLogger("trellis.jobs")
#: A job that took this long (seconds) is marked done at once; quicker ones are
#: marked done together, at most ``FINISH_BATCH`` at a time.
SLOW_JOB = 0.02
FINISH_BATCH = 100


@dataclass
class TenantReport:
    """What one round did for one tenant."""

    timers: int = 0
    done: int = 0
    failed: int = 0
    dead: int = 0
    #: Rows handed to the RQ transport (Redis mode) instead of run here.
    queued: int = 0
    #: Whether a claim (or timer batch) was a whole batch, or the tenant was at its cap
    #: of claims in flight: more may be due.
    full: bool = False


@dataclass
class RoundReport:
    """What one round did, by tenant; ``errors`` holds tenants that could not run."""

    tenants: dict[str, TenantReport] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    #: Tenants that filled a whole batch: more may be due right now.
    busy: set[str] = field(default_factory=set)


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

    def _at(self, at: datetime | None) -> datetime:
        """``at`` when a caller fixed the time, else the runtime clock's now."""
        return at or self.runtime.clock.now()

    def run_due(self, now: datetime | None = None, *, drain: bool = True) -> RoundReport:
        """One round over every tenant; ``drain`` repeats a tenant until nothing is due."""
        names = [i.name for i in self.runtime.registry.list_tenants() if i.current_version]
        return self.run_tenants(names, now, drain=drain)

    def run_tenants(
        self,
        names: Sequence[str],
        now: datetime | None = None,
        *,
        drain: bool = True,
        timers: bool = True,
    ) -> RoundReport:
        """One round over the named tenants (each one's failure is reported, not raised).

        ``timers=False`` only claims outbox rows (a wake-up after a commit that wrote
        some): timers and schedules wait for the next full round.
        """
        report = RoundReport()
        for name in names:
            try:
                report.tenants[name] = self.run_tenant(name, now, drain=drain, timers=timers)
            except TenantNotFoundError:
                continue
            except Exception as exc:  # one broken tenant must not stop the others
                LOG.exception("jobs of tenant %r failed", name)
                report.errors[name] = f"{type(exc).__name__}: {exc}"
                continue
            if report.tenants[name].full:
                report.busy.add(name)
        return report

    def run_tenant(
        self, tenant: str, now: datetime | None = None, *, drain: bool = True, timers: bool = True
    ) -> TenantReport:
        """Fire due timers (unless told not), then deliver due outbox rows of ``tenant``."""
        at = as_utc(now) if now is not None else None
        rt = self.runtime.app_runtime(tenant)
        app = rt.app
        report = TenantReport()
        engines = self.runtime.engines
        question = rt.part(_DUE, lambda rt: DueQuery(rt.app.metadata))
        with engines.tenant_connection(tenant) as conn:
            due = question.ask(conn, self._at(at))
        if timers:
            self._fire_timers(rt, at, drain, report, due)
            if due.purge:
                self._purge(rt, at)
            if app.model.retention:  # retention rules: daily, when due
                run_retention(self.runtime, tenant, self._at(at))
            if self.runtime.config.backup_keep:  # scheduled backups, when due
                run_scheduled_backup(self.runtime, tenant, self._at(at))
            purge_expired_exports(self.runtime.config, tenant, self._at(at))
        if not due.outbox and not report.timers:  # fired timers may have queued rows
            return report
        outbox = Outbox(app.metadata, self.policy)
        ctx = JobContext(self.runtime, tenant, app)
        seen: set[tuple[int, int]] = set()
        while True:
            limit = self._claim_limit(tenant, outbox, at)
            if limit <= 0:
                report.full = True  # at its cap: claim again as soon as workers catch up
                break
            with engines.tenant_connection(tenant, write=True) as conn, conn.begin():
                jobs = outbox.claim(conn, self._at(at), limit)
            self._hand_over(ctx, outbox, jobs, at, report)
            report.full = report.full or len(jobs) >= self.policy.batch
            claimed = {(j.id, j.attempts) for j in jobs}
            if not drain or len(jobs) < limit or claimed <= seen:
                break
            seen |= claimed
        return report

    def _fire_timers(
        self,
        rt: AppRuntime,
        at: datetime | None,
        drain: bool,
        report: TenantReport,
        due: DueWork,
    ) -> None:
        """Time-based rule timers, then cron rules, SLA timers and reminders."""
        tenant = rt.tenant
        if due.timers:
            runner = rt.part(_TIMERS, lambda rt: TimerRunner(rt.app, record_service(rt)))
            engines = self.runtime.engines
            while True:
                with engines.tenant_connection(tenant, write=True) as conn, conn.begin():
                    fired = runner.fire_due(conn, self._at(at), self.policy.batch)
                report.timers += fired
                if not drain or fired < self.policy.batch:
                    break
            report.full = fired >= self.policy.batch
        report.timers += self._fire_schedules(rt, at, drain, due.schedules)

    def _claim_limit(self, _tenant: str, _outbox: Outbox, _at: datetime | None) -> int:
        """How many rows to claim now (the Redis dispatcher caps claims in flight)."""
        return self.policy.batch

    def _fire_schedules(self, rt: AppRuntime, at: datetime | None, drain: bool, due: bool) -> int:
        """Cron rules, SLA timers and reminders (``_schedules``) that are due.

        Cron rules are armed on the first round of each published version (a fired
        row arms its next period itself); later rounds write only when a row is due.
        """
        tenant = rt.tenant
        prefs = UserPreferences(self.runtime.registry, clock=self.runtime.clock)
        runner = rt.part(
            _SCHEDULES, lambda rt: ScheduleRunner(rt.app, record_service(rt), prefs.locale)
        )
        if runner.idle or (runner.armed and not due):
            return 0  # no write transaction per tick when nothing is due
        total = 0
        while True:
            with self.runtime.engines.tenant_connection(tenant, write=True) as conn, conn.begin():
                fired = runner.fire_due(conn, self._at(at), self.policy.batch)
            runner.armed = True
            total += fired
            if not drain or fired < self.policy.batch:
                return total

    def _purge(self, rt: AppRuntime, at: datetime | None) -> None:
        """The recycle bin's retention purge, when due (one batch per round)."""
        purge = rt.part(_PURGE, self._retention_purge)
        with self.runtime.engines.tenant_connection(rt.tenant, write=True) as conn, conn.begin():
            purge.run(conn, self._at(at))

    def _retention_purge(self, rt: AppRuntime) -> RetentionPurge:
        days = self.runtime.config.recycle_retention_days
        return RetentionPurge(rt.app, timedelta(days=days), purge_auditor(self.runtime, rt))

    def _hand_over(
        self,
        ctx: JobContext,
        outbox: Outbox,
        jobs: list[Job],
        at: datetime | None,
        report: TenantReport,
    ) -> None:
        """Deliver claimed rows here; the Redis dispatcher enqueues them instead."""
        self._run_many(ctx, outbox, jobs, at, report)

    def deliver_claimed(self, tenant: str, job_id: int, attempts: int) -> str:
        """Deliver row ``job_id`` if it is still claimed with ``attempts``.

        Returns ``done``, ``pending``, ``dead`` or ``skipped`` (see
        :meth:`deliver_claims`).
        """
        report = self.deliver_claims(tenant, [(job_id, attempts)])
        if report.done:
            return "done"
        if report.dead:
            return "dead"
        return "pending" if report.failed else "skipped"

    def deliver_claims(self, tenant: str, claims: Sequence[tuple[int, int]]) -> TenantReport:
        """Deliver the rows still claimed under these (id, attempts) pairs.

        The job function of the RQ worker: a stale or duplicate message (the row was
        started already, finished, or claimed again after its lease) is skipped, so a
        row's effect happens once per claim; starting renews the lease.
        """
        app = self.runtime.app(tenant)
        outbox = Outbox(app.metadata, self.policy)
        engines = self.runtime.engines
        with engines.tenant_connection(tenant, write=True) as conn, conn.begin():
            jobs = outbox.start_many(conn, claims, self.runtime.clock.now())
        report = TenantReport()
        self._run_many(JobContext(self.runtime, tenant, app), outbox, jobs, None, report)
        return report

    def _run_many(
        self,
        ctx: JobContext,
        outbox: Outbox,
        jobs: Sequence[Job],
        at: datetime | None,
        report: TenantReport,
    ) -> None:
        """Run the jobs one by one; successes are marked done together (slow ones at once)."""
        done: list[Job] = []
        for job in jobs:
            began = time.perf_counter()
            error, permanent = self._call(ctx, job)
            if error is None:
                done.append(job)
                if time.perf_counter() - began >= SLOW_JOB or len(done) >= FINISH_BATCH:
                    self._finish(ctx, outbox, done, at, report)
                continue
            self._finish(ctx, outbox, done, at, report)
            self._fail(ctx, outbox, job, at, error, permanent, report)
        self._finish(ctx, outbox, done, at, report)

    def _call(self, ctx: JobContext, job: Job) -> tuple[str | None, bool]:
        """Run one job's handler: (error or None, whether the error is permanent)."""
        handler = self.handlers.get(job.kind)
        try:
            if handler is None:
                raise PermanentJobError(f"No handler for jobs of kind '{job.kind}'.")
            handler(ctx, job)
        except PermanentJobError as exc:
            return str(exc), True
        except Exception as exc:  # any failure is recorded on the row and retried
            return str(exc) or type(exc).__name__, False
        return None, False

    def _finish(
        self,
        ctx: JobContext,
        outbox: Outbox,
        done: list[Job],
        at: datetime | None,
        report: TenantReport,
    ) -> None:
        if not done:
            return
        with self.runtime.engines.tenant_connection(ctx.tenant, write=True) as conn, conn.begin():
            outbox.finish_many(conn, done, self._at(at))
        report.done += len(done)
        done.clear()

    def _fail(
        self,
        ctx: JobContext,
        outbox: Outbox,
        job: Job,
        at: datetime | None,
        error: str,
        permanent: bool,
        report: TenantReport,
    ) -> None:
        with self.runtime.engines.tenant_connection(ctx.tenant, write=True) as conn, conn.begin():
            state = outbox.fail(conn, job, self._at(at), error, permanent=permanent)
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
