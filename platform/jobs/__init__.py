"""Durable jobs: the outbox queue, timers, email and webhook delivery, the embedded worker.

Outbox and timer rows in the tenant database are the source of truth (DESIGN.md §9);
a :class:`Dispatcher` claims due rows safely and records every outcome, with retries,
backoff and a dead-letter state.
"""

from __future__ import annotations

from trellis.platform.jobs.dispatcher import Dispatcher, RoundReport, TenantReport, job_counts
from trellis.platform.jobs.embedded import EmbeddedWorker
from trellis.platform.jobs.handlers import JobContext, PermanentJobError
from trellis.platform.jobs.outbox import STATES, Job, JobPolicy, Outbox
from trellis.platform.jobs.settings import webhook_secret
from trellis.platform.jobs.webhooks import sign, verify

__all__ = [
    "STATES",
    "Dispatcher",
    "EmbeddedWorker",
    "Job",
    "JobContext",
    "JobPolicy",
    "Outbox",
    "PermanentJobError",
    "RoundReport",
    "TenantReport",
    "job_counts",
    "sign",
    "verify",
    "webhook_secret",
]
