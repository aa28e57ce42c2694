"""The ``_outbox`` table as a durable job queue: claim, finish, fail, list, retry.

A claim moves due rows to ``claimed`` with a lease (``next_attempt_at`` = now +
lease) in a short transaction: ``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL,
the write lock of ``BEGIN IMMEDIATE`` on SQLite. A worker starting a claimed row
moves it to ``running`` (once per claim, so a duplicate message cannot run it
twice) and renews the lease. Delivery happens outside those transactions; a worker
that dies mid-job leaves a row whose lease expires, so the row is claimed again (at
least once). Finishing checks the claim (``attempts``) so a late worker cannot
overwrite a newer outcome. Starting and finishing take many rows per statement.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import groupby
from typing import Any

import sqlalchemy as sa

from trellis.platform.db.tables import OUTBOX_TABLE
from trellis.platform.records.values import as_utc

PENDING = "pending"
#: Claimed by a dispatcher and handed to a worker (RQ), not started yet.
CLAIMED = "claimed"
RUNNING = "running"
DONE = "done"
DEAD = "dead"
DISCARDED = "discarded"
STATES = (PENDING, CLAIMED, RUNNING, DONE, DEAD, DISCARDED)
#: States of a claim that has not ended.
IN_FLIGHT = (CLAIMED, RUNNING)
#: Longest stored error text.
MAX_ERROR = 2000


def due_rows(table: sa.Table, now: datetime | sa.BindParameter[Any]) -> sa.ColumnElement[bool]:
    """Rows of ``_outbox`` to claim at ``now``: waiting, or claimed with a lapsed lease."""
    return sa.and_(
        table.c.state.in_((PENDING, *IN_FLIGHT)),
        sa.or_(table.c.next_attempt_at.is_(None), table.c.next_attempt_at <= now),
    )


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
    #: Claimed rows carried by one RQ job (fewer round trips; several workers share
    #: a batch).
    chunk: int = 20
    #: Most claims of one tenant in flight in Redis mode; a tenant over it claims no
    #: more until workers catch up, so its backlog waits in its own table.
    in_flight: int = 500

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
        return due_rows(self.table, now)

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
            .values(state=CLAIMED, attempts=t.c.attempts + 1, next_attempt_at=lease)
        )
        return [Job(int(r.id), r.kind, dict(r.payload), int(r.attempts or 0) + 1) for r in rows]

    def _claimed(self, job: Job) -> sa.ColumnElement[bool]:
        t = self.table
        return sa.and_(t.c.id == job.id, t.c.state.in_(IN_FLIGHT), t.c.attempts == job.attempts)

    def _claims(self, claims: Iterable[tuple[int, int]]) -> sa.ColumnElement[bool]:
        """Rows matching any of the (id, attempts) claims."""
        t = self.table
        by_attempts = groupby(sorted(claims, key=lambda c: c[1]), key=lambda c: c[1])
        return sa.or_(
            sa.false(),
            *(
                sa.and_(t.c.attempts == attempts, t.c.id.in_([c[0] for c in group]))
                for attempts, group in by_attempts
            ),
        )

    def finish(self, conn: sa.Connection, job: Job, now: datetime) -> bool:
        """Mark a claimed job done; False when the claim was lost meanwhile."""
        return self.finish_many(conn, [job], now) == 1

    def finish_many(self, conn: sa.Connection, jobs: Sequence[Job], now: datetime) -> int:
        """Mark claimed jobs done in one statement; returns how many claims still held."""
        if not jobs:
            return 0
        t = self.table
        result = conn.execute(
            t.update()
            .where(t.c.state.in_(IN_FLIGHT), self._claims((j.id, j.attempts) for j in jobs))
            .values(state=DONE, done_at=now, next_attempt_at=None, last_error=None)
        )
        return int(result.rowcount)

    def start(self, conn: sa.Connection, job_id: int, attempts: int, now: datetime) -> Job | None:
        """Begin running row ``job_id`` if it is still claimed under ``attempts``."""
        started = self.start_many(conn, [(job_id, attempts)], now)
        return started[0] if started else None

    def start_many(
        self, conn: sa.Connection, claims: Sequence[tuple[int, int]], now: datetime
    ) -> list[Job]:
        """Move the (id, attempts) claims that are still waiting to ``running``.

        Renews their lease (time spent in a queue does not count), so no dispatcher
        re-claims them while they run. A claim already started (a duplicate message)
        or gone (finished, claimed again) is left out.
        """
        if not claims:
            return []
        t = self.table
        lease = now + timedelta(seconds=self.policy.lease)
        rows = conn.execute(
            t.update()
            .where(t.c.state == CLAIMED, self._claims(claims))
            .values(state=RUNNING, next_attempt_at=lease)
            .returning(t.c.id, t.c.kind, t.c.payload, t.c.attempts)
        ).all()
        found = {int(r.id): r for r in rows}
        return [
            Job(job_id, found[job_id].kind, dict(found[job_id].payload), attempts)
            for job_id, attempts in claims
            if job_id in found
        ]

    def in_flight(self, conn: sa.Connection, now: datetime) -> int:
        """Claims handed over and not ended, whose lease has not run out."""
        t = self.table
        query = sa.select(sa.func.count()).where(
            t.c.state.in_(IN_FLIGHT), t.c.next_attempt_at > now
        )
        return int(conn.execute(query).scalar() or 0)

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
        # Claimed rows are on their way to a worker: shown as running.
        counts[RUNNING] = counts.get(RUNNING, 0) + counts.pop(CLAIMED, 0)
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
    "CLAIMED",
    "DEAD",
    "DISCARDED",
    "DONE",
    "IN_FLIGHT",
    "PENDING",
    "RUNNING",
    "STATES",
    "Job",
    "JobPolicy",
    "Outbox",
    "due_rows",
    "job_json",
]
