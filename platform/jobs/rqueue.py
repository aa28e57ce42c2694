"""Redis mode: RQ on Redis carries claimed outbox rows to ``trellis worker`` processes.

The outbox stays the source of truth (DESIGN.md §9). A :class:`RedisDispatcher`
claims due rows exactly like the embedded dispatcher, but instead of running them
it enqueues them on RQ, ``JobPolicy.chunk`` claims per RQ job, with job id
``<queue>-<tenant>-<first row>-<attempts>[-<rows>]`` so a chunk is never enqueued
twice. The RQ job function :func:`deliver_batch` runs in ``trellis worker``; it
starts only the rows still claimed under those attempts (one statement), so stale
or duplicate messages do nothing. A worker killed mid-job leaves its rows running
until their lease expires; the next claim has a new attempt number, hence a new
RQ job. When Redis cannot be reached, claims are released at once: rows wait as
``pending`` and go out when Redis is back. A tenant with ``JobPolicy.in_flight``
claims not yet finished claims no more until workers catch up, so one tenant's
burst cannot fill the shared queue ahead of the others.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, SimpleWorker
from rq.exceptions import DuplicateJobError, NoSuchJobError
from rq.job import Job as RQJob
from rq.job import JobStatus

from trellis.platform.config.env import DEFAULT_RQ_QUEUE
from trellis.platform.jobs.dispatcher import Dispatcher, TenantReport
from trellis.platform.jobs.handlers import Handler, JobContext
from trellis.platform.jobs.outbox import Job, JobPolicy, Outbox

if TYPE_CHECKING:
    from trellis.platform.config import RuntimeConfig
    from trellis.platform.runtime import Runtime

LOG = logging.getLogger("trellis.jobs")
#: Default RQ queue name (``TRELLIS_RQ_QUEUE``, ``RuntimeConfig.rq_queue``, overrides it).
DEFAULT_QUEUE = DEFAULT_RQ_QUEUE
#: Seconds an RQ job may run before RQ stops it (the outbox lease is longer).
JOB_TIMEOUT = 120
#: Seconds RQ keeps a finished / failed RQ job (the outbox row is the lasting record).
RESULT_TTL = 600
FAILURE_TTL = 86400
_FINISHED = (JobStatus.FINISHED, JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED)


class TransportError(RuntimeError):
    """Redis could not take the claimed rows; they were released and wait as pending."""


def queue_name(config: RuntimeConfig) -> str:
    """The RQ queue of this deployment (``config.rq_queue``)."""
    return config.rq_queue or DEFAULT_QUEUE


def connect(url: str) -> Redis:
    """A Redis client that fails fast when the server is down."""
    return Redis.from_url(url, socket_connect_timeout=2, socket_timeout=10)


def rq_job_id(queue: str, tenant: str, job: Job, rows: int = 1) -> str:
    """The RQ job id of a chunk of claims that starts with ``job``."""
    base = f"{queue}-{tenant}-{job.id}-{job.attempts}"
    return base if rows == 1 else f"{base}-{rows}"


def _chunks(jobs: list[Job], size: int) -> list[list[Job]]:
    return [jobs[i : i + size] for i in range(0, len(jobs), max(1, size))]


def _claims(jobs: Sequence[Job]) -> list[tuple[int, int]]:
    return [(job.id, job.attempts) for job in jobs]


class RedisDispatcher(Dispatcher):
    """Claims due rows tenant by tenant and enqueues them on RQ instead of running them."""

    def __init__(
        self,
        runtime: Runtime,
        queue: Queue,
        *,
        policy: JobPolicy | None = None,
        handlers: Mapping[str, Handler] | None = None,
    ) -> None:
        super().__init__(runtime, policy=policy, handlers=handlers)
        self.queue = queue

    def _claim_limit(self, tenant: str, outbox: Outbox, at: datetime | None) -> int:
        """A whole batch, less what the tenant already has in flight over its cap."""
        engines = self.runtime.engines
        with engines.tenant_connection(tenant) as conn:
            busy = outbox.in_flight(conn, self._at(at))
        return min(self.policy.batch, self.policy.in_flight - busy)

    def _enqueue(self, tenant: str, chunk: list[Job]) -> None:
        job_id = rq_job_id(self.queue.name, tenant, chunk[0], len(chunk))
        args = (tenant, _claims(chunk))
        options = {"job_timeout": JOB_TIMEOUT, "result_ttl": RESULT_TTL, "failure_ttl": FAILURE_TTL}
        try:
            self.queue.enqueue(deliver_batch, *args, job_id=job_id, unique=True, **options)
        except DuplicateJobError:
            # Same chunk already enqueued: keep it unless it ended (an id reused by
            # a manual retry, which restarts attempts).
            try:
                old = RQJob.fetch(job_id, connection=self.queue.connection)
            except NoSuchJobError:
                old = None
            if old is not None and old.get_status(refresh=False) not in _FINISHED:
                return
            if old is not None:
                old.delete()
            self.queue.enqueue(deliver_batch, *args, job_id=job_id, unique=True, **options)

    def _enqueue_batch(self, tenant: str, jobs: list[Job]) -> None:
        """Enqueue the claims in chunks, in one pipeline; ids already known to RQ (reused
        by a manual retry) go through :meth:`_enqueue`, which checks them one by one."""
        redis = self.queue.connection
        chunks = _chunks(jobs, self.policy.chunk)
        ids = [rq_job_id(self.queue.name, tenant, c[0], len(c)) for c in chunks]
        with redis.pipeline(transaction=False) as pipe:
            for job_id in ids:
                pipe.exists(RQJob.key_for(job_id))
            known = pipe.execute()
        fresh = [
            Queue.prepare_data(
                deliver_batch,
                (tenant, _claims(chunk)),
                job_id=job_id,
                timeout=JOB_TIMEOUT,
                result_ttl=RESULT_TTL,
                failure_ttl=FAILURE_TTL,
            )
            for chunk, job_id, seen in zip(chunks, ids, known, strict=True)
            if not seen
        ]
        if fresh:
            self.queue.enqueue_many(fresh)
        for chunk, seen in zip(chunks, known, strict=True):
            if seen:
                self._enqueue(tenant, chunk)

    def _hand_over(
        self,
        ctx: JobContext,
        outbox: Outbox,
        jobs: list[Job],
        at: datetime | None,
        report: TenantReport,
    ) -> None:
        if not jobs:
            return
        try:
            self._enqueue_batch(ctx.tenant, jobs)
        except RedisError as exc:
            # Every claim of the batch goes back to pending: an RQ job of it that got
            # through finds its claim gone and is skipped (deliver_claimed).
            engines = self.runtime.engines
            with engines.tenant_connection(ctx.tenant, write=True) as conn, conn.begin():
                outbox.release(conn, jobs)
            raise TransportError(
                f"Redis is unreachable ({exc}); {len(jobs)} jobs wait as pending."
            ) from exc
        report.queued += len(jobs)


_WORKER: Dispatcher | None = None
_WORKER_LOCK = threading.Lock()


def set_worker_dispatcher(dispatcher: Dispatcher | None) -> None:
    """The dispatcher whose handlers :func:`deliver` uses in this process."""
    global _WORKER
    with _WORKER_LOCK:
        _WORKER = dispatcher


def _worker_dispatcher() -> Dispatcher:
    global _WORKER
    with _WORKER_LOCK:
        if _WORKER is None:
            from trellis.platform.config import config_from_env
            from trellis.platform.runtime import Runtime

            _WORKER = Dispatcher(Runtime(config_from_env()))
        return _WORKER


def deliver(tenant: str, job_id: int, attempts: int) -> str:
    """RQ job function: deliver one claimed outbox row (idempotent, see module doc)."""
    return _worker_dispatcher().deliver_claimed(tenant, job_id, attempts)


def deliver_batch(tenant: str, claims: Sequence[Sequence[int]]) -> dict[str, int]:
    """RQ job function: deliver the rows still claimed under these (id, attempts) pairs.

    Returns how many were done, failed (to be retried), dead, and skipped (stale or
    duplicate claims).
    """
    pairs = [(int(c[0]), int(c[1])) for c in claims]
    report = _worker_dispatcher().deliver_claims(tenant, pairs)
    ran = report.done + report.failed + report.dead
    return {
        "done": report.done,
        "failed": report.failed,
        "dead": report.dead,
        "skipped": len(pairs) - ran,
    }


class PromptWorker(SimpleWorker):
    """RQ's in-process worker whose command listener stops within 0.05 s.

    RQ's listener thread waits up to 60 s for a message; a listener that read its own
    unsubscribe before the stop flag was set held the worker's shutdown for that minute.
    """

    def subscribe(self) -> None:
        self.pubsub = self.connection.pubsub()
        self.pubsub.subscribe(**{self.pubsub_channel_name: self.handle_payload})
        self.pubsub_thread = self.pubsub.run_in_thread(  # type: ignore[assignment]  # RQ: None
            sleep_time=0.05, daemon=True, exception_handler=self._pubsub_exception_handler
        )


def run_worker(
    runtime: Runtime,
    redis: Redis,
    queue: str,
    *,
    burst: bool = False,
    dispatch: bool = True,
    interval: float = 1.0,
    name: str | None = None,
    policy: JobPolicy | None = None,
) -> None:
    """Run an RQ worker on ``queue`` in this thread, with a dispatching thread unless told not."""
    from trellis.platform.jobs.embedded import EmbeddedWorker

    set_worker_dispatcher(Dispatcher(runtime, policy=policy))
    q = Queue(queue, connection=redis)
    loop = None
    if dispatch:
        dispatcher = RedisDispatcher(runtime, q, policy=policy)
        loop = EmbeddedWorker(dispatcher, interval=interval).start()
    try:
        # SimpleWorker runs jobs in this process: no fork, so the runtime's pools stay valid.
        PromptWorker([q], connection=redis, name=name).work(burst=burst, with_scheduler=False)
    finally:
        if loop is not None:
            loop.stop()


__all__ = [
    "DEFAULT_QUEUE",
    "PromptWorker",
    "RedisDispatcher",
    "TransportError",
    "connect",
    "deliver",
    "deliver_batch",
    "queue_name",
    "rq_job_id",
    "run_worker",
    "set_worker_dispatcher",
]
