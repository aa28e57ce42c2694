"""The ``_outbox`` table as a durable job queue: claim, finish, fail, list, retry.

A claim moves due rows to ``running`` with a lease (``next_attempt_at`` = now +
lease) in a short transaction: ``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL,
the write lock of ``BEGIN IMMEDIATE`` on SQLite. Delivery happens outside that
transaction; a worker that dies mid-job leaves a running row whose lease expires,
so the row is claimed again (at least once). Finishing checks the claim
(``attempts``) so a late worker cannot overwrite a newer outcome.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from trellis.platform.db.tables import OUTBOX_TABLE
from trellis.platform.records.values import as_utc

PENDING = "pending"
RUNNING = "running"
DONE = "done"
DEAD = "dead"
DISCARDED = "discarded"
STATES = (PENDING, RUNNING, DONE, DEAD, DISCARDED)
#: Longest stored error text.
MAX_ERROR = 2000


@dataclass(frozen=True, slots=True)
class JobPolicy:
    """Retry and batching settings shared by every dispatcher."""

    max_attempts: int = 5
    #: First retry delay in seconds; doubled on every further failure.
    base_delay: float = 10.0
    #: Longest delay between two tries, in seconds.
    max_delay: float = 3600.0
    #: Seconds a claim lasts before a silent worker's row is claimed again.
    lease: float = 300.0
    #: Rows claimed per tenant per tick (one tenant's burst cannot starve the others).
    batch: int = 50

    def backoff(self, attempts: int) -> timedelta:
        """Delay before the next try after ``attempts`` failed tries (capped)."""
        exponent = max(0, attempts - 1)
        return timedelta(seconds=min(self.max_delay, self.base_delay * 2**exponent))


@dataclass(frozen=True, slots=True)
class Job:
    """One claimed outbox row."""

    id: int
    kind: str
    payload: dict[str, Any]
    #: Tries including this one; also the claim token checked when finishing.
    attempts: int


class Outbox:
    """Queue operations over one tenant's ``_outbox`` table."""

    def __init__(self, metadata: sa.MetaData, policy: JobPolicy | None = None) -> None:
        self.table = metadata.tables[OUTBOX_TABLE]
        self.policy = policy or JobPolicy()

    def _due(self, now: datetime) -> sa.ColumnElement[bool]:
        t = self.table
        return sa.and_(
            t.c.state.in_((PENDING, RUNNING)),
            sa.or_(t.c.next_attempt_at.is_(None), t.c.next_attempt_at <= now),
        )

    def claim(self, conn: sa.Connection, now: datetime, limit: int | None = None) -> list[Job]:
        """Claim up to ``limit`` due rows; call inside a write transaction."""
        t = self.table
        rows = conn.execute(
            sa.select(t.c.id, t.c.kind, t.c.payload, t.c.attempts)
            .where(self._due(now))
            .order_by(t.c.id)
            .limit(limit or self.policy.batch)
            .with_for_update(skip_locked=True)
        ).all()
        if not rows:
            return []
        lease = now + timedelta(seconds=self.policy.lease)
        conn.execute(
            t.update()
            .where(t.c.id.in_([r.id for r in rows]))
            .values(state=RUNNING, attempts=t.c.attempts + 1, next_attempt_at=lease)
        )
        return [Job(int(r.id), r.kind, dict(r.payload), int(r.attempts or 0) + 1) for r in rows]

    def _claimed(self, job: Job) -> sa.ColumnElement[bool]:
        t = self.table
        return sa.and_(t.c.id == job.id, t.c.state == RUNNING, t.c.attempts == job.attempts)

    def finish(self, conn: sa.Connection, job: Job, now: datetime) -> bool:
        """Mark a claimed job done; False when the claim was lost meanwhile."""
        result = conn.execute(
            self.table.update()
            .where(self._claimed(job))
            .values(state=DONE, done_at=now, next_attempt_at=None, last_error=None)
        )
        return result.rowcount == 1

    def start(self, conn: sa.Connection, job_id: int, attempts: int, now: datetime) -> Job | None:
        """Begin running row ``job_id`` if it is still claimed under ``attempts``.

        Renews the lease (time spent waiting in a queue does not count), so no other
        dispatcher re-claims the row while it runs; None when the claim is gone.
        """
        t = self.table
        claimed = sa.and_(t.c.id == job_id, t.c.state == RUNNING, t.c.attempts == attempts)
        lease = now + timedelta(seconds=self.policy.lease)
        if conn.execute(t.update().where(claimed).values(next_attempt_at=lease)).rowcount != 1:
            return None
        row = conn.execute(sa.select(t.c.kind, t.c.payload).where(t.c.id == job_id)).one()
        return Job(job_id, row.kind, dict(row.payload), attempts)

    def release(self, conn: sa.Connection, jobs: list[Job]) -> int:
        """Undo claims that were never handed over (transport down): pending, due now."""
        t = self.table
        done = 0
        for job in jobs:
            result = conn.execute(
                t.update()
                .where(self._claimed(job))
                .values(state=PENDING, attempts=job.attempts - 1, next_attempt_at=None)
            )
            done += result.rowcount
        return done

    def fail(
        self, conn: sa.Connection, job: Job, now: datetime, error: str, *, permanent: bool = False
    ) -> str:
        """Record a failed try: back to pending with backoff, or dead after the last try."""
        dead = permanent or job.attempts >= self.policy.max_attempts
        values: dict[str, Any] = {"last_error": error[:MAX_ERROR]}
        if dead:
            values.update(state=DEAD, next_attempt_at=None, done_at=now)
        else:
            values.update(state=PENDING, next_attempt_at=now + self.policy.backoff(job.attempts))
        conn.execute(self.table.update().where(self._claimed(job)).values(**values))
        return DEAD if dead else PENDING

    def retry(self, conn: sa.Connection, job_id: int, now: datetime) -> bool:
        """Queue a dead, discarded or waiting job again at once, with fresh tries."""
        t = self.table
        result = conn.execute(
            t.update()
            .where(t.c.id == job_id, t.c.state.in_((DEAD, DISCARDED, PENDING)))
            .values(state=PENDING, attempts=0, next_attempt_at=None, done_at=None)
        )
        return result.rowcount == 1

    def discard(self, conn: sa.Connection, job_id: int, now: datetime) -> bool:
        """Give up on a dead or pending job (kept, with state ``discarded``)."""
        t = self.table
        result = conn.execute(
            t.update()
            .where(t.c.id == job_id, t.c.state.in_((DEAD, PENDING)))
            .values(state=DISCARDED, next_attempt_at=None, done_at=now)
        )
        return result.rowcount == 1

    def get(self, conn: sa.Connection, job_id: int) -> dict[str, Any] | None:
        """One job as JSON, or None."""
        row = conn.execute(sa.select(self.table).where(self.table.c.id == job_id)).first()
        return job_json(row._mapping) if row is not None else None

    def list(self, conn: sa.Connection, state: str | None, limit: int) -> list[dict[str, Any]]:
        """Jobs as JSON, newest first, optionally in one state."""
        t = self.table
        query = sa.select(t).order_by(t.c.id.desc()).limit(limit)
        if state is not None:
            query = query.where(t.c.state == state)
        return [job_json(r._mapping) for r in conn.execute(query)]

    def counts(self, conn: sa.Connection) -> dict[str, int]:
        """Number of jobs per state, plus ``queued`` (pending, never failed) and ``failed``
        (pending again after a failed try, waiting for its retry)."""
        t = self.table
        rows = conn.execute(sa.select(t.c.state, sa.func.count()).group_by(t.c.state)).all()
        counts = {str(state): int(n) for state, n in rows}
        retrying = sa.and_(t.c.state == PENDING, t.c.last_error.is_not(None))
        failed = int(conn.execute(sa.select(sa.func.count()).where(retrying)).scalar() or 0)
        counts["failed"] = failed
        counts["queued"] = counts.get(PENDING, 0) - failed
        return counts


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return as_utc(value).isoformat().replace("+00:00", "Z")


def job_json(row: Any) -> dict[str, Any]:
    """The JSON form of an outbox row."""
    return {
        "id": int(row["id"]),
        "kind": row["kind"],
        "state": row["state"],
        "attempts": int(row["attempts"] or 0),
        "last_error": row["last_error"],
        "created_at": _iso(row["created_at"]),
        "next_attempt_at": _iso(row["next_attempt_at"]),
        "done_at": _iso(row["done_at"]),
        "payload": row["payload"],
    }


__all__ = [
    "DEAD",
    "DISCARDED",
    "DONE",
    "PENDING",
    "RUNNING",
    "STATES",
    "Job",
    "JobPolicy",
    "Outbox",
    "job_json",
]
